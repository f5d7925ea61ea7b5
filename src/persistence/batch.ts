import type {
  StoredDelivery, StoredMessage, StoredSession, StoredSubscription,
} from '../broker/index.js';

/**
 * What one client's records became during one batch. Keys are coalesced: the
 * last write to a key wins, so a delivery queued, sent and acknowledged within
 * one batch is never written at all. `null` means deleted.
 */
export interface ClientDelta {
  /** Delete every record of the client before applying the rest (session end). */
  cleared: boolean;
  /** undefined: untouched. */
  session: StoredSession | null | undefined;
  subscriptions: Map<string, StoredSubscription | null>;
  deliveries: Map<number, StoredDelivery | null>;
  /** true: added; false: released. */
  inbound: Map<number, boolean>;
}

/**
 * The deltas of one group commit. Backends apply a batch atomically: all of it
 * or none. Records of different keys are independent (no foreign keys), so the
 * order in which a backend applies them does not matter, except that a client's
 * `cleared` goes before that client's other records.
 */
export interface Batch {
  clients: Map<string, ClientDelta>;
  /** Messages by id; `null` deletes one no delivery refers to any more. */
  messages: Map<number, StoredMessage | null>;
  /** Retained messages by topic; `null` clears a topic. */
  retained: Map<string, StoredMessage | null>;
}

/** An empty batch. */
export function newBatch(): Batch {
  return { clients: new Map(), messages: new Map(), retained: new Map() };
}

/** The delta of a client in a batch, created on first use. */
export function clientDelta(batch: Batch, clientId: string): ClientDelta {
  let delta = batch.clients.get(clientId);
  if (!delta) {
    delta = { cleared: false, session: undefined, subscriptions: new Map(), deliveries: new Map(), inbound: new Map() };
    batch.clients.set(clientId, delta);
  }
  return delta;
}

/** Replaces a client's delta with "delete everything": earlier staged writes of the client are moot. */
export function clearClient(batch: Batch, clientId: string): void {
  batch.clients.set(clientId, {
    cleared: true, session: null, subscriptions: new Map(), deliveries: new Map(), inbound: new Map(),
  });
}

/** Number of record writes in a batch (for metrics and tests). */
export function batchSize(batch: Batch): number {
  let n = batch.messages.size + batch.retained.size;
  for (const d of batch.clients.values()) {
    n += (d.cleared ? 1 : 0) + (d.session === undefined ? 0 : 1) + d.subscriptions.size + d.deliveries.size + d.inbound.size;
  }
  return n;
}

/**
 * Adds the deltas of `later` to `into`, as if `into` had been written first and
 * `later` after it: the last write to a key wins, and a client cleared in `later`
 * loses everything `into` had for it. Used to retry a batch that failed together
 * with what was staged since, in one transaction.
 */
export function mergeBatch(into: Batch, later: Batch): void {
  for (const [clientId, delta] of later.clients) {
    const earlier = into.clients.get(clientId);
    if (!earlier || delta.cleared) {
      into.clients.set(clientId, delta);
      continue;
    }
    if (delta.session !== undefined) earlier.session = delta.session;
    for (const [filter, sub] of delta.subscriptions) earlier.subscriptions.set(filter, sub);
    for (const [seq, d] of delta.deliveries) earlier.deliveries.set(seq, d);
    for (const [packetId, add] of delta.inbound) earlier.inbound.set(packetId, add);
  }
  for (const [id, m] of later.messages) into.messages.set(id, m);
  for (const [topic, m] of later.retained) into.retained.set(topic, m);
}
