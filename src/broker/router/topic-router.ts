import { parseSharedFilter } from '../../protocol/index.js';
import type { MatchResult, SharedGroup, Subscriber, SubscriptionEntry } from './types.js';

class TrieNode<S extends Subscriber> {
  readonly children = new Map<string, TrieNode<S>>();
  /** Non-shared subscriptions ending at this node, by client id. */
  subscriptions: Map<string, SubscriptionEntry<S>> | undefined;
  /** Shared groups ending at this node, by share name. */
  groups: Map<string, SharedGroup<S>> | undefined;

  isEmpty(): boolean {
    return this.children.size === 0 && !this.subscriptions?.size && !this.groups?.size;
  }
}

const EMPTY_RESULT: MatchResult<never> = { bySubscriber: [], groups: [] };

/**
 * The topic router: a trie of subscription filters, one level per node, with
 * `+` and `#` as ordinary child keys, and a cache of match results per topic that
 * any change of subscriptions clears. Shared subscriptions hang off the node of
 * their inner filter as groups [MQTT-4.8.2-1].
 */
export class TopicRouter<S extends Subscriber> {
  private readonly root = new TrieNode<S>();
  private readonly cache = new Map<string, MatchResult<S>>();
  private count = 0;

  /** @param cacheSize topics whose match results are kept */
  constructor(private readonly cacheSize = 10_000) {}

  /** Number of subscriptions held (shared members included). */
  get size(): number {
    return this.count;
  }

  /**
   * Adds or replaces the subscriber's subscription to `entry.filter`; a repeated
   * SUBSCRIBE to the same filter replaces the existing one [MQTT-3.8.4-3].
   * Returns true when it replaced one.
   */
  add(entry: SubscriptionEntry<S>): boolean {
    this.cache.clear();
    const node = this.nodeFor(entry.matchFilter, true)!;
    const id = entry.subscriber.clientId;
    if (entry.shareGroup === undefined) {
      node.subscriptions ??= new Map();
      const replaced = node.subscriptions.has(id);
      node.subscriptions.set(id, entry);
      if (!replaced) this.count++;
      return replaced;
    }
    node.groups ??= new Map();
    let group = node.groups.get(entry.shareGroup);
    if (!group) {
      group = { group: entry.shareGroup, matchFilter: entry.matchFilter, members: [], cursor: -1 };
      node.groups.set(entry.shareGroup, group);
    }
    const at = group.members.findIndex((m) => m.subscriber.clientId === id);
    if (at >= 0) {
      group.members[at] = entry;
      return true;
    }
    group.members.push(entry);
    this.count++;
    return false;
  }

  /** Removes the subscriber's subscription to `filter` (as subscribed); returns it if it existed. */
  remove(subscriber: S, filter: string): SubscriptionEntry<S> | undefined {
    const shared = parseSharedFilter(filter);
    const matchFilter = shared ? shared.filter : filter;
    const path = this.pathTo(matchFilter);
    const node = path?.[path.length - 1];
    if (!path || !node) return undefined;
    let removed: SubscriptionEntry<S> | undefined;
    if (shared) {
      const group = node.groups?.get(shared.group);
      const at = group ? group.members.findIndex((m) => m.subscriber.clientId === subscriber.clientId) : -1;
      if (group && at >= 0) {
        removed = group.members.splice(at, 1)[0];
        if (group.cursor >= at) group.cursor--;
        if (group.members.length === 0) node.groups!.delete(shared.group);
      }
    } else {
      removed = node.subscriptions?.get(subscriber.clientId);
      if (removed) node.subscriptions!.delete(subscriber.clientId);
    }
    if (removed) {
      this.count--;
      this.cache.clear();
      this.prune(path, matchFilter);
    }
    return removed;
  }

  /** Finds the subscriber's subscription to `filter`, if any. */
  get(subscriber: S, filter: string): SubscriptionEntry<S> | undefined {
    const shared = parseSharedFilter(filter);
    const path = this.pathTo(shared ? shared.filter : filter);
    const node = path?.[path.length - 1];
    if (!node) return undefined;
    if (shared) return node.groups?.get(shared.group)?.members.find((m) => m.subscriber.clientId === subscriber.clientId);
    return node.subscriptions?.get(subscriber.clientId);
  }

  /**
   * The subscriptions matching a topic name. Topics starting with `$` are not
   * matched by filters starting with a wildcard [MQTT-4.7.2-1]; `a/#` also
   * matches `a` (section 4.7.1.2).
   */
  match(topic: string): MatchResult<S> {
    const cached = this.cache.get(topic);
    if (cached) return cached;
    const found: SubscriptionEntry<S>[] = [];
    const groups: SharedGroup<S>[] = [];
    const levels = topic.split('/');
    this.collect(this.root, levels, 0, topic.charCodeAt(0) === 36 /* $ */, found, groups);
    const result = found.length === 0 && groups.length === 0 ? (EMPTY_RESULT as MatchResult<S>) : groupBySubscriber(found, groups);
    // A full cache keeps what it has rather than start over: clearing 10,000 results each
    // time one more topic came along (a fleet of 10,000 devices and $SYS) cost more than
    // matching without a cache, and made as much garbage (issue 19).
    if (this.cache.size < this.cacheSize) this.cache.set(topic, result);
    return result;
  }

  /** Calls `visit` for every subscription (shared members included). */
  forEach(visit: (entry: SubscriptionEntry<S>) => void): void {
    const walk = (node: TrieNode<S>): void => {
      node.subscriptions?.forEach(visit);
      node.groups?.forEach((g) => g.members.forEach(visit));
      node.children.forEach(walk);
    };
    walk(this.root);
  }

  private collect(
    node: TrieNode<S>, levels: string[], i: number, dollar: boolean,
    found: SubscriptionEntry<S>[], groups: SharedGroup<S>[],
  ): void {
    const skipWildcards = dollar && i === 0;
    const hash = skipWildcards ? undefined : node.children.get('#');
    if (hash) addAll(hash, found, groups);
    if (i === levels.length) {
      addAll(node, found, groups);
      return;
    }
    const exact = node.children.get(levels[i]!);
    if (exact) this.collect(exact, levels, i + 1, dollar, found, groups);
    const plus = skipWildcards ? undefined : node.children.get('+');
    if (plus) this.collect(plus, levels, i + 1, dollar, found, groups);
  }

  private nodeFor(filter: string, create: boolean): TrieNode<S> | undefined {
    let node = this.root;
    for (const level of filter.split('/')) {
      let child = node.children.get(level);
      if (!child) {
        if (!create) return undefined;
        child = new TrieNode<S>();
        node.children.set(level, child);
      }
      node = child;
    }
    return node;
  }

  private pathTo(filter: string): TrieNode<S>[] | undefined {
    const path = [this.root];
    let node = this.root;
    for (const level of filter.split('/')) {
      const child = node.children.get(level);
      if (!child) return undefined;
      path.push(child);
      node = child;
    }
    return path;
  }

  /** Drops nodes left empty so that churn does not grow the trie. */
  private prune(path: TrieNode<S>[], filter: string): void {
    const levels = filter.split('/');
    for (let i = path.length - 1; i > 0; i--) {
      if (!path[i]!.isEmpty()) return;
      path[i - 1]!.children.delete(levels[i - 1]!);
    }
  }
}

function addAll<S extends Subscriber>(node: TrieNode<S>, found: SubscriptionEntry<S>[], groups: SharedGroup<S>[]): void {
  if (node.subscriptions) for (const e of node.subscriptions.values()) found.push(e);
  if (node.groups) for (const g of node.groups.values()) groups.push(g);
}

/** Overlapping subscriptions of one subscriber become one delivery [MQTT-3.3.4-2]. */
function groupBySubscriber<S extends Subscriber>(found: SubscriptionEntry<S>[], groups: SharedGroup<S>[]): MatchResult<S> {
  // One subscription: the usual case of a device's own topic, without a map to group by.
  if (found.length === 1) return { bySubscriber: [{ subscriber: found[0]!.subscriber, entries: found }], groups };
  const byId = new Map<string, { subscriber: S; entries: SubscriptionEntry<S>[] }>();
  for (const e of found) {
    const slot = byId.get(e.subscriber.clientId);
    if (slot) slot.entries.push(e);
    else byId.set(e.subscriber.clientId, { subscriber: e.subscriber, entries: [e] });
  }
  return { bySubscriber: [...byId.values()], groups };
}
