import { createMessage, decodeStoredMessage, type StoredMessage } from '../broker/index.js';
import type { ClusterContext } from './context.js';

/**
 * Keeps this node's copy of the retained messages (the broker's, which answers
 * SUBSCRIBE) in line with the store in Redis, where every node writes them. Each
 * change is numbered by Redis and announced on the store's retained channel; a
 * copy only ever moves to a higher number, so a late announcement cannot undo a
 * newer state read at a resync.
 */
export class RetainedSync {
  /** The number of the last change applied, by topic. */
  private readonly seqs = new Map<string, number>();

  constructor(private readonly ctx: ClusterContext) {}

  /** A retained change announced on the channel: `seq \0 origin \0 topic \0 bytes`. */
  announced(payload: Buffer): void {
    const a = payload.indexOf(0);
    const b = payload.indexOf(0, a + 1);
    const c = payload.indexOf(0, b + 1);
    if (a < 0 || b < 0 || c < 0) return;
    const seq = Number(payload.toString('latin1', 0, a));
    const origin = payload.toString('utf8', a + 1, b);
    const topic = payload.toString('utf8', b + 1, c);
    const bytes = payload.subarray(c + 1);
    if (!(seq > (this.seqs.get(topic) ?? 0))) return;
    this.seqs.set(topic, seq);
    // This node's own change is in its copy already (the broker set it when it was published).
    if (origin === this.ctx.me) return;
    this.set(topic, bytes.length === 0 ? undefined : decodeStoredMessage(bytes));
  }

  /** Reads every retained message again (start, and after a lost link). */
  async resync(): Promise<void> {
    const { seq, retained } = await this.ctx.store.loadRetained();
    const present = new Set<string>();
    for (const r of retained) {
      present.add(r.message.topic);
      if (r.seq <= (this.seqs.get(r.message.topic) ?? 0)) continue;
      this.seqs.set(r.message.topic, r.seq);
      this.set(r.message.topic, r.message);
    }
    // Gone from Redis and not changed since the read: cleared while this node was not listening.
    const copy = this.ctx.broker.retained;
    for (const m of [...copy.all()]) {
      if (!present.has(m.topic) && !m.topic.startsWith('$SYS/') && (this.seqs.get(m.topic) ?? 0) <= seq) copy.delete(m.topic);
    }
  }

  private set(topic: string, message: StoredMessage | undefined): void {
    const copy = this.ctx.broker.retained;
    if (message === undefined) copy.delete(topic);
    else copy.set(createMessage({ ...message, id: undefined }));
  }
}
