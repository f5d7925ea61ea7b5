import type { BrokerMessage } from './message.js';

const NO_CHILDREN: ReadonlyMap<string, RetainedNode> = new Map();

class RetainedNode {
  /** Made with the first child: most nodes are leaves (one per topic), and a Map each would be most of the tree's memory. */
  private map: Map<string, RetainedNode> | undefined;
  message: BrokerMessage | undefined;

  get children(): ReadonlyMap<string, RetainedNode> {
    return this.map ?? NO_CHILDREN;
  }

  /** The child of a level, made when missing. */
  child(level: string): RetainedNode {
    this.map ??= new Map();
    let child = this.map.get(level);
    if (!child) {
      child = new RetainedNode();
      this.map.set(level, child);
    }
    return child;
  }

  removeChild(level: string): void {
    this.map?.delete(level);
  }
}

/**
 * Retained messages, one per topic [MQTT-3.3.1-5], in a tree of topic levels so
 * that a wildcard subscription finds its retained messages without scanning them all.
 */
export class RetainedMessages {
  private readonly root = new RetainedNode();
  private readonly byTopic = new Map<string, BrokerMessage>();
  /** Messages held on topics starting with `$` (the broker's `$SYS` tree). */
  private dollarTopics = 0;

  /** Every retained message, the broker's own `$SYS` figures included. */
  get size(): number {
    return this.byTopic.size;
  }

  /**
   * Retained messages outside the `$` topics: what a `#` subscription receives
   * [MQTT-4.7.2-1], and what the admin API, the dashboard, `/metrics` and
   * `$SYS/broker/retained messages/count` report as "retained messages".
   */
  get sizeWithoutSys(): number {
    return this.byTopic.size - this.dollarTopics;
  }

  get(topic: string): BrokerMessage | undefined {
    return this.byTopic.get(topic);
  }

  /**
   * Stores a message as the retained one for its topic, replacing any earlier
   * [MQTT-3.3.1-5]; an empty payload removes it [MQTT-3.3.1-6] [MQTT-3.3.1-7].
   * Returns true when the set of retained messages changed.
   */
  set(message: BrokerMessage): boolean {
    if (message.payload.length === 0) return this.delete(message.topic);
    let node = this.root;
    for (const level of message.topic.split('/')) node = node.child(level);
    node.message = message;
    if (!this.byTopic.has(message.topic) && message.topic.startsWith('$')) this.dollarTopics++;
    this.byTopic.set(message.topic, message);
    return true;
  }

  delete(topic: string): boolean {
    if (!this.byTopic.delete(topic)) return false;
    if (topic.startsWith('$')) this.dollarTopics--;
    const levels = topic.split('/');
    const path = [this.root];
    for (const level of levels) path.push(path[path.length - 1]!.children.get(level)!);
    path[path.length - 1]!.message = undefined;
    for (let i = path.length - 1; i > 0; i--) {
      const node = path[i]!;
      if (node.message || node.children.size > 0) break;
      path[i - 1]!.removeChild(levels[i - 1]!);
    }
    return true;
  }

  /**
   * The retained messages whose topics match a filter. Wildcards at the first
   * level do not match topics starting with `$` [MQTT-4.7.2-1].
   */
  match(filter: string): BrokerMessage[] {
    const out: BrokerMessage[] = [];
    const levels = filter.split('/');
    const walk = (node: RetainedNode, i: number): void => {
      if (i === levels.length) {
        if (node.message) out.push(node.message);
        return;
      }
      const level = levels[i]!;
      if (level === '#') {
        this.collectAll(node, i === 0, out);
        return;
      }
      if (level === '+') {
        for (const [name, child] of node.children) {
          if (i === 0 && name.startsWith('$')) continue;
          walk(child, i + 1);
        }
        return;
      }
      const child = node.children.get(level);
      if (child) walk(child, i + 1);
    };
    walk(this.root, 0);
    return out;
  }

  /** Every retained message (for stores and the admin API). */
  all(): IterableIterator<BrokerMessage> {
    return this.byTopic.values();
  }

  /** `#` matches the parent level too (section 4.7.1.2). */
  private collectAll(node: RetainedNode, atRoot: boolean, out: BrokerMessage[]): void {
    if (node.message && !atRoot) out.push(node.message);
    for (const [name, child] of node.children) {
      if (atRoot && name.startsWith('$')) continue;
      const stack = [child];
      while (stack.length > 0) {
        const n = stack.pop()!;
        if (n.message) out.push(n.message);
        for (const c of n.children.values()) stack.push(c);
      }
    }
  }
}
