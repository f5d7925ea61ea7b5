import type {
  RestoredState, RestoreOptions, Store, StoredDelivery, StoredInbound, StoredMessage, StoredSession, StoredSubscription, StoreHealth,
} from '../broker/index.js';
import { batchSize, clearClient, clientDelta, mergeBatch, newBatch, type Batch } from './batch.js';
import { MessageRefs } from './message-refs.js';

/** Commit figures of a store since it was opened. */
export interface CommitMetrics {
  /** Group commits written. */
  commits: number;
  /** Record writes in them, after coalescing. */
  records: number;
  /** Wall time spent in commits (ms), from the start of the write to durability. */
  totalMs: number;
  maxMs: number;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/** First wait before retrying a failed write; it doubles up to {@link RETRY_MAX_MS}. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  // A commit nobody awaits must not become an unhandled rejection: the store keeps the error.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/**
 * The part of every {@link Store} backend that does not depend on the backend:
 * deltas are staged in a {@link Batch} (coalesced by key), the batch of one
 * event-loop turn is written as one group commit, one commit is in flight at a
 * time (deltas staged meanwhile form the next batch, so batches grow with load),
 * and messages are reference-counted by the deliveries that refer to them.
 *
 * A failed write (disk full, an I/O error) is retried with backoff when the
 * backend says it may be ({@link BufferedStore.retriesFailedWrites}): the batch
 * is kept, what is staged meanwhile is merged into it, every commit stays pending
 * (so nothing that needs the store is acknowledged) and {@link health} says so
 * until a retry succeeds. Otherwise, and while closing, a failed write is fatal:
 * the store keeps the error and every later commit rejects with it. Either way
 * the broker never acknowledges what it could not keep.
 */
export abstract class BufferedStore implements Store {
  abstract readonly name: string;
  private readonly refs = new MessageRefs();
  private staged: Batch | undefined;
  private stagedDone: Deferred | undefined;
  /** The waiters of the batch being written, if any (the last one resolves last). */
  private inFlight: Deferred[] | undefined;
  /** A batch whose write failed, kept for the next retry with the commits waiting for it. */
  private failed: { batch: Batch; waiters: Deferred[] } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = RETRY_FIRST_MS;
  private failure: Error | undefined;
  private opened = false;
  private closing = false;
  private readonly healthListeners = new Set<(health: StoreHealth) => void>();
  readonly metrics: CommitMetrics = { commits: 0, records: 0, totalMs: 0, maxMs: 0 };
  readonly health: StoreHealth = { writable: true, problem: undefined, failingSince: undefined, failedWrites: 0, recoveries: 0 };
  /** Whether a failed write is retried (the batch is kept) rather than fatal; see the class comment. */
  protected readonly retriesFailedWrites: boolean = false;
  /**
   * Whether this class counts which delivery refers to which message (in memory,
   * per delivery). A backend that deletes unreferenced messages itself (SQLite,
   * in SQL: sqlite-paging.ts) says no: it is handed every message offered and
   * every delivery deleted, and its `readBackend` drops orphans itself.
   */
  protected readonly countsReferences: boolean = true;
  /** Deliveries written or deleted in the staged batch: how far the store is behind. */
  private stagedDeliveries = 0;

  /** Opens the backend; rejects with a clear message when it is corrupt or unreadable. */
  protected abstract openBackend(): Promise<void>;
  /** Reads everything the backend holds, orphans included. */
  protected abstract readBackend(options: RestoreOptions): Promise<RestoredState>;
  /** Writes one batch atomically; resolves (or returns) once it is durable. */
  protected abstract writeBatch(batch: Batch): void | Promise<void>;
  protected abstract closeBackend(): Promise<void>;

  async open(): Promise<void> {
    if (this.opened) return;
    await this.openBackend();
    this.opened = true;
    this.closing = false;
    this.failure = undefined;
  }

  onHealthChange(listener: (health: StoreHealth) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  /** One line for logs naming what failed; backends add the file and translate the cause. */
  protected describeWriteError(err: unknown): string {
    return `the ${this.name} store failed to write: ${err instanceof Error ? err.message : String(err)}`;
  }

  /**
   * Reads the store once at boot. Messages no delivery refers to (there should be
   * none) and deliveries whose message is missing are dropped from the result and
   * deleted at the next commit.
   */
  async restore(options: RestoreOptions = {}): Promise<RestoredState> {
    const state = await this.readBackend(options);
    this.refs.clear();
    if (!this.countsReferences) return state;
    const known = new Set(state.messages.map((m) => m.id));
    const deliveries: StoredDelivery[] = [];
    for (const d of state.deliveries) {
      if (known.has(d.messageId)) {
        this.refs.add(d.clientId, d.seq, d.messageId);
        deliveries.push(d);
      } else {
        clientDelta(this.stage(), d.clientId).deliveries.set(d.seq, null);
      }
    }
    const messages = state.messages.filter((m) => {
      if (this.refs.has(m.id)) return true;
      this.stage().messages.set(m.id, null);
      return false;
    });
    return { ...state, messages, deliveries };
  }

  saveSession(session: StoredSession): void {
    clientDelta(this.stage(), session.clientId).session = session;
  }

  deleteSession(clientId: string): void {
    const batch = this.stage();
    clearClient(batch, clientId);
    if (!this.countsReferences) return;
    for (const id of this.refs.removeClient(clientId)) this.dropMessage(batch, id);
  }

  saveSubscription(sub: StoredSubscription): void {
    clientDelta(this.stage(), sub.clientId).subscriptions.set(sub.filter, sub);
  }

  deleteSubscription(clientId: string, filter: string): void {
    clientDelta(this.stage(), clientId).subscriptions.set(filter, null);
  }

  /** Stages a message; it is written only if a delivery refers to it when the batch commits. */
  saveMessage(message: StoredMessage): void {
    if (this.refs.has(message.id)) return;
    this.stage().messages.set(message.id, message);
  }

  saveDelivery(delivery: StoredDelivery): void {
    const batch = this.stage();
    this.stagedDeliveries++;
    if (!this.countsReferences) {
      clientDelta(batch, delivery.clientId).deliveries.set(delivery.seq, delivery);
      return;
    }
    const freed = this.refs.add(delivery.clientId, delivery.seq, delivery.messageId);
    if (freed !== undefined) this.dropMessage(batch, freed);
    clientDelta(batch, delivery.clientId).deliveries.set(delivery.seq, delivery);
  }

  deleteDelivery(clientId: string, seq: number): void {
    const batch = this.stage();
    clientDelta(batch, clientId).deliveries.set(seq, null);
    this.stagedDeliveries++;
    if (!this.countsReferences) return;
    const freed = this.refs.remove(clientId, seq);
    if (freed !== undefined) this.dropMessage(batch, freed);
  }

  saveInbound(inbound: StoredInbound): void {
    clientDelta(this.stage(), inbound.clientId).inbound.set(inbound.packetId, true);
  }

  deleteInbound(clientId: string, packetId: number): void {
    clientDelta(this.stage(), clientId).inbound.set(packetId, false);
  }

  setRetained(topic: string, message: StoredMessage | undefined): void {
    this.stage().retained.set(topic, message ?? null);
  }

  /** Writes the staged batch now unless a commit is in flight (see `QueuePaging.writeStaged`). */
  writeStaged(): void {
    this.flush();
  }

  /** Deliveries written or deleted and not yet handed to the backend (see `QueuePaging.stagedRecords`). */
  get stagedRecords(): number {
    return this.stagedDeliveries;
  }

  /** Number of messages some stored delivery refers to (each kept once). */
  get referencedMessages(): number {
    return this.refs.size;
  }

  get pending(): boolean {
    return this.staged !== undefined || this.inFlight !== undefined || this.failed !== undefined || this.failure !== undefined;
  }

  commit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.staged) return this.stagedDone!.promise;
    const waiters = this.inFlight ?? this.failed?.waiters;
    return waiters ? waiters[waiters.length - 1]!.promise : Promise.resolve();
  }

  /**
   * Commits what is staged and closes. A store that is failing gets one more
   * attempt; if that fails too, the commits waiting for it reject.
   */
  async close(): Promise<void> {
    if (!this.opened) return;
    this.closing = true;
    if (this.failed) this.retryNow();
    await this.commit().catch(() => {});
    this.opened = false;
    this.staged = undefined;
    this.stagedDone = undefined;
    this.refs.clear();
    await this.closeBackend();
  }

  /** A message nothing refers to: never written if it was only staged, deleted otherwise. */
  private dropMessage(batch: Batch, id: number): void {
    batch.messages.set(id, null);
  }

  /**
   * The batch of this turn; the first delta of a turn schedules its commit. A
   * backend that commits more than records with a batch (the Redis store's stream
   * acknowledgements) calls it so that a commit happens.
   */
  protected stage(): Batch {
    if (this.staged) return this.staged;
    this.staged = newBatch();
    this.stagedDone = deferred();
    if (!this.inFlight && !this.failed) setImmediate(() => this.flush());
    return this.staged;
  }

  private flush(): void {
    const batch = this.staged;
    const done = this.stagedDone;
    if (!batch || !done || this.inFlight || this.failed) return;
    this.staged = undefined;
    this.stagedDone = undefined;
    this.stagedDeliveries = 0;
    if (this.failure) return done.reject(this.failure);
    this.write(batch, [done]);
  }

  private write(batch: Batch, waiters: Deferred[]): void {
    this.dropUnreferenced(batch);
    this.inFlight = waiters;
    const started = performance.now();
    let result: void | Promise<void>;
    try {
      result = this.writeBatch(batch);
    } catch (err) {
      return this.finish(batch, waiters, started, err);
    }
    if (result === undefined) return this.finish(batch, waiters, started, undefined);
    result.then(() => this.finish(batch, waiters, started, undefined), (err: unknown) => this.finish(batch, waiters, started, err ?? new Error('write failed')));
  }

  private finish(batch: Batch, waiters: Deferred[], started: number, err: unknown): void {
    this.inFlight = undefined;
    if (err !== undefined) {
      this.health.failedWrites++;
      this.health.problem = this.describeWriteError(err);
      if (this.retriesFailedWrites && !this.closing) return this.keepForRetry(batch, waiters);
      this.failure ??= new Error(this.health.problem, { cause: err });
      for (const w of waiters) w.reject(this.failure);
    } else {
      this.countCommit(batch, performance.now() - started);
      for (const w of waiters) w.resolve();
      this.recovered();
    }
    // Deltas staged during the write: the next group commit (or its rejection).
    if (this.staged) this.flush();
  }

  /** Keeps a batch that failed, with its waiters, and tries it again after the backoff. */
  private keepForRetry(batch: Batch, waiters: Deferred[]): void {
    this.failed = { batch, waiters };
    const h = this.health;
    if (h.writable) {
      h.writable = false;
      h.failingSince = Date.now();
      this.retryDelay = RETRY_FIRST_MS;
      this.tellHealth();
    }
    this.retryTimer = setTimeout(() => this.retryNow(), this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
  }

  /** Writes the failed batch again, with everything staged since merged into it, in one transaction. */
  private retryNow(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const failed = this.failed;
    if (!failed) return;
    this.failed = undefined;
    if (this.staged) {
      mergeBatch(failed.batch, this.staged);
      failed.waiters.push(this.stagedDone!);
      this.staged = undefined;
      this.stagedDone = undefined;
      this.stagedDeliveries = 0;
    }
    this.write(failed.batch, failed.waiters);
  }

  private recovered(): void {
    const h = this.health;
    if (h.writable) return;
    h.writable = true;
    h.failingSince = undefined;
    h.recoveries++;
    this.tellHealth();
  }

  private tellHealth(): void {
    for (const listener of this.healthListeners) listener(this.health);
  }

  /** A staged message that no delivery came to refer to is deleted rather than written (or any more). */
  private dropUnreferenced(batch: Batch): void {
    if (!this.countsReferences) return;
    for (const [id, message] of batch.messages) {
      if (message !== null && !this.refs.has(id)) batch.messages.set(id, null);
    }
  }

  private countCommit(batch: Batch, ms: number): void {
    const m = this.metrics;
    m.commits++;
    m.records += batchSize(batch);
    m.totalMs += ms;
    if (ms > m.maxMs) m.maxMs = ms;
  }
}
