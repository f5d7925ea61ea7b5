import type {
  RestoredState, StoredDelivery, StoredMessage, StoredSession, StoredSubscription,
} from '../broker/index.js';
import type { Batch, ClientDelta } from './batch.js';
import { BufferedStore } from './buffered-store.js';

interface ClientRecords {
  session: StoredSession | undefined;
  subscriptions: Map<string, StoredSubscription>;
  deliveries: Map<number, StoredDelivery>;
  inbound: Set<number>;
}

/**
 * A store that keeps its records in this process's memory. It survives a broker
 * being closed and a new one started on the same store object (embedding, tests),
 * not the process. It goes through the same staging, group commit and message
 * reference counting as the disk backends, so the contract tests check those too.
 */
export class MemoryStore extends BufferedStore {
  readonly name = 'memory';
  protected override readonly retriesFailedWrites: boolean = true;
  private readonly clients = new Map<string, ClientRecords>();
  private readonly messages = new Map<number, StoredMessage>();
  private readonly retained = new Map<string, StoredMessage>();

  /** Messages held (each once, however many deliveries refer to it). */
  get messageCount(): number {
    return this.messages.size;
  }

  /**
   * A new store holding what is committed now, without what is staged or still
   * being written: what a crash at this instant would leave on disk. For tests.
   */
  snapshot(): MemoryStore {
    const copy = new MemoryStore();
    for (const [clientId, c] of this.clients) {
      copy.clients.set(clientId, {
        session: c.session, subscriptions: new Map(c.subscriptions), deliveries: new Map(c.deliveries), inbound: new Set(c.inbound),
      });
    }
    for (const [id, m] of this.messages) copy.messages.set(id, m);
    for (const [topic, m] of this.retained) copy.retained.set(topic, m);
    return copy;
  }

  protected async openBackend(): Promise<void> {}

  protected async closeBackend(): Promise<void> {}

  protected async readBackend(): Promise<RestoredState> {
    const state: RestoredState = { sessions: [], subscriptions: [], messages: [], deliveries: [], inbound: [], retained: [] };
    for (const [clientId, c] of this.clients) {
      if (c.session) state.sessions.push({ ...c.session });
      for (const s of c.subscriptions.values()) state.subscriptions.push({ ...s });
      for (const d of c.deliveries.values()) state.deliveries.push({ ...d });
      for (const packetId of c.inbound) state.inbound.push({ clientId, packetId });
    }
    for (const m of this.messages.values()) state.messages.push({ ...m });
    for (const m of this.retained.values()) state.retained.push({ ...m });
    return state;
  }

  protected writeBatch(batch: Batch): void {
    for (const [clientId, delta] of batch.clients) this.applyClient(clientId, delta);
    for (const [id, m] of batch.messages) {
      if (m) this.messages.set(id, m);
      else this.messages.delete(id);
    }
    for (const [topic, m] of batch.retained) {
      if (m) this.retained.set(topic, m);
      else this.retained.delete(topic);
    }
  }

  private applyClient(clientId: string, delta: ClientDelta): void {
    if (delta.cleared) this.clients.delete(clientId);
    let c = this.clients.get(clientId);
    if (!c) {
      c = { session: undefined, subscriptions: new Map(), deliveries: new Map(), inbound: new Set() };
      this.clients.set(clientId, c);
    }
    if (delta.session !== undefined) c.session = delta.session ?? undefined;
    for (const [filter, s] of delta.subscriptions) {
      if (s) c.subscriptions.set(filter, s);
      else c.subscriptions.delete(filter);
    }
    for (const [seq, d] of delta.deliveries) {
      if (d) c.deliveries.set(seq, d);
      else c.deliveries.delete(seq);
    }
    for (const [packetId, add] of delta.inbound) {
      if (add) c.inbound.add(packetId);
      else c.inbound.delete(packetId);
    }
    if (!c.session && c.subscriptions.size === 0 && c.deliveries.size === 0 && c.inbound.size === 0) this.clients.delete(clientId);
  }
}
