import type { Authorizer, ClientPrincipal } from '../broker/ports/auth.js';
import { parseSharedFilter, topicFilterProblem, topicNameProblem, type QoS } from '../protocol/index.js';
import { loadAclFile, type AclDefinition } from './acl-file.js';
import { compileRules, decideSubscription, decideTopic, usesClientId, type AccessKind, type CompiledRules } from './acl-rules.js';
import { BoundedCache } from './bounded-cache.js';

/** Options of {@link AclFileAuthorizer.open}. */
export interface AclFileAuthorizerOptions {
  /** The Mosquitto-format ACL file. */
  path: string;
  /**
   * How SUBSCRIBE is checked. `reachable` (default) grants a filter only when some topic it
   * matches is readable, so an empty ACL refuses every subscription. `grant-all` is Mosquitto
   * 2.0's behaviour (its ACL file never refuses a SUBSCRIBE; delivery is filtered instead).
   * Either way every delivery is checked with {@link AclFileAuthorizer.canReceive}.
   */
  subscriptions?: 'reachable' | 'grant-all';
  /** Compiled rule sets kept (one per user name, or per user and client id when patterns use `%c`). Default 4,096. */
  ruleSetCacheSize?: number;
  /** Decisions remembered per rule set and access kind. Default 256. */
  topicCacheSize?: number;
}

/** The compiled rules of one user (and client id, when patterns use it) with its decision caches. */
interface RuleSet {
  readonly rules: CompiledRules;
  readonly reads: BoundedCache<string, boolean>;
  readonly writes: BoundedCache<string, boolean>;
  retired: boolean;
}

/** Which rule set a principal object was last seen with, and under which identity. */
interface Binding {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly ruleSet: RuleSet;
}

/** `$SYS` and everything under it (what `$SYS/#` matches). */
function isSysTopic(topic: string): boolean {
  return topic === '$SYS' || topic.startsWith('$SYS/');
}

/**
 * Authorizes publish, subscribe and delivery with a Mosquitto ACL file (see acl-file.ts for
 * the syntax). Semantics follow Mosquitto 2.0's `security_default.c`, made to fail closed:
 *
 * - anonymous clients get the `topic` lines before the first `user` line, plus patterns;
 *   a user gets its own section (none when it has none), plus patterns;
 * - an empty ACL file denies everything;
 * - `deny` wins over every grant, patterns included (Mosquitto lets a user's `topic` grant
 *   win over a `pattern deny`);
 * - a client id or user name containing `+`, `#` or `/` (or empty, or turning the filter into
 *   a `$` topic) never matches a `%c`/`%u` pattern, and such a client is denied everything if
 *   a deny pattern uses it (Mosquitto 2.0 only checks `+` and `#`);
 * - nobody publishes to `$SYS` or below, whatever the ACL says (§4.7.2: `$` topics are the
 *   Server's);
 * - `$` topics are matched only by ACL filters that start with the same `$` level [MQTT-4.7.2-1].
 *
 * `canReceive` is on the delivery hot path: decisions are cached per rule set and topic
 * (bounded), and each principal object remembers its rule set, so a cached decision costs two
 * map lookups. `reload()` invalidates everything.
 */
export class AclFileAuthorizer implements Authorizer {
  /** Name for logs. */
  readonly name = 'acl-file';
  readonly #options: AclFileAuthorizerOptions;
  readonly #ruleSets: BoundedCache<string, RuleSet>;
  readonly #topicCacheSize: number;
  #bindings = new WeakMap<ClientPrincipal, Binding>();
  #acl: AclDefinition;
  #keyedByClientId: boolean;
  #version = 0;

  private constructor(options: AclFileAuthorizerOptions, acl: AclDefinition) {
    this.#options = options;
    this.#acl = acl;
    this.#keyedByClientId = usesClientId(acl);
    this.#topicCacheSize = options.topicCacheSize ?? 256;
    this.#ruleSets = new BoundedCache(options.ruleSetCacheSize ?? 4_096, (_key, ruleSet) => retire(ruleSet));
  }

  /** Reads the ACL file and returns an authorizer for it; rejects with an AuthFileError when it is malformed. */
  static async open(options: AclFileAuthorizerOptions): Promise<AclFileAuthorizer> {
    return new AclFileAuthorizer(options, await loadAclFile(options.path));
  }

  /**
   * Re-reads the ACL file. When the new file cannot be read or parsed, the rules loaded before
   * stay in force and the promise rejects with the error (never falling back to open access).
   */
  async reload(): Promise<void> {
    const acl = await loadAclFile(this.#options.path);
    for (const ruleSet of this.#ruleSets.values()) retire(ruleSet);
    this.#ruleSets.clear();
    this.#bindings = new WeakMap();
    this.#acl = acl;
    this.#keyedByClientId = usesClientId(acl);
    this.#version++;
  }

  /**
   * Grows with every reload that took effect: until it changes, a read decision stands
   * (the broker reuses the one it made when routing a message at its transmission).
   */
  get version(): number {
    return this.#version;
  }

  /** May the client publish to the topic (also used for the will topic)? Never for `$SYS`. */
  canPublish(client: ClientPrincipal, topic: string, _qos: QoS, _retain: boolean): boolean {
    if (isSysTopic(topic) || topicNameProblem(topic)) return false;
    return this.#decide(client, topic, 'write');
  }

  /** May the client subscribe to the filter? See {@link AclFileAuthorizerOptions.subscriptions}. */
  canSubscribe(client: ClientPrincipal, filter: string, _qos: QoS): boolean {
    if (topicFilterProblem(filter)) return false;
    if (this.#options.subscriptions === 'grant-all') return true;
    // A shared subscription delivers the topics of its inner filter [MQTT-4.8.2-1].
    const inner = parseSharedFilter(filter)?.filter ?? filter;
    return decideSubscription(this.#ruleSetFor(client).rules, inner.split('/'));
  }

  /** May a message on the topic be delivered to the client? Cached; called per message per subscriber. */
  canReceive(client: ClientPrincipal, topic: string): boolean {
    return this.#decide(client, topic, 'read');
  }

  #decide(client: ClientPrincipal, topic: string, access: AccessKind): boolean {
    const ruleSet = this.#ruleSetFor(client);
    const cache = access === 'read' ? ruleSet.reads : ruleSet.writes;
    const cached = cache.get(topic);
    if (cached !== undefined) return cached;
    const allowed = decideTopic(ruleSet.rules, topic.split('/'), access);
    cache.set(topic, allowed);
    return allowed;
  }

  #ruleSetFor(client: ClientPrincipal): RuleSet {
    const bound = this.#bindings.get(client);
    if (
      bound !== undefined &&
      !bound.ruleSet.retired &&
      bound.clientId === client.clientId &&
      bound.username === client.username
    ) {
      return bound.ruleSet;
    }
    const key = this.#ruleSetKey(client);
    let ruleSet = this.#ruleSets.get(key);
    if (ruleSet === undefined) {
      ruleSet = {
        rules: compileRules(this.#acl, client.clientId, client.username),
        reads: new BoundedCache(this.#topicCacheSize),
        writes: new BoundedCache(this.#topicCacheSize),
        retired: false,
      };
      this.#ruleSets.set(key, ruleSet);
    }
    this.#bindings.set(client, { clientId: client.clientId, username: client.username, ruleSet });
    return ruleSet;
  }

  /** Clients that share this key get identical rules, so they share compiled rules and caches. */
  #ruleSetKey(client: ClientPrincipal): string {
    const user = client.username === undefined ? '-' : `+${client.username.length}:${client.username}`;
    return this.#keyedByClientId ? `${user}|${client.clientId}` : user;
  }
}

/** Marks a rule set as no longer current and frees its caches (principals may still point at it). */
function retire(ruleSet: RuleSet): void {
  ruleSet.retired = true;
  ruleSet.reads.clear();
  ruleSet.writes.clear();
}
