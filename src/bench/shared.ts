/**
 * Counters shared by all threads of a run through SharedArrayBuffers. Publishers
 * publish how far they got, subscribers how far each stream got, so that
 * publishers in one thread can keep an end-to-end window against subscribers in
 * another, and the main thread can show progress and decide when a drain is over
 * without a message round trip.
 */

/** Per-worker counters, in this order. */
export const WorkerField = { CONNECTED: 0, FAILED: 1, DROPPED: 2, RECEIVED: 3, ERRORS: 4 } as const;
const WORKER_FIELDS = 5;

/** Sizes and buffers, as they cross into a worker. */
export interface SharedLayout {
  publishers: number;
  streams: number;
  workers: number;
  numbers: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** Values for typing `Atomics.waitAsync`, missing from the ES2023 lib. */
interface WaitAsyncResult {
  async: boolean;
  value: Promise<'ok' | 'timed-out'> | 'not-equal' | 'timed-out';
}
type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs?: number) => WaitAsyncResult;
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** See the file comment. */
export class SharedState {
  /** Messages sent by each publisher (its next sequence number). */
  readonly sent: Float64Array;
  /** Messages acknowledged (PUBACK, PUBCOMP) per publisher. */
  readonly acked: Float64Array;
  /** Next sequence number each stream expects (messages received in order). */
  readonly expect: Float64Array;
  private readonly perWorker: Float64Array;
  /** [0]: a fence counter; then a "blocked" flag and a wake-up counter per worker. */
  private readonly control: Int32Array;

  private constructor(readonly layout: SharedLayout) {
    const { publishers: p, streams: s, workers: w } = layout;
    this.sent = new Float64Array(layout.numbers, 0, p);
    this.acked = new Float64Array(layout.numbers, p * 8, p);
    this.expect = new Float64Array(layout.numbers, 2 * p * 8, s);
    this.perWorker = new Float64Array(layout.numbers, (2 * p + s) * 8, w * WORKER_FIELDS);
    this.control = new Int32Array(layout.control);
  }

  /** Allocates the buffers of a run. */
  static create(publishers: number, streams: number, workers: number): SharedState {
    const numbers = new SharedArrayBuffer(Math.max(8, (2 * publishers + streams + workers * WORKER_FIELDS) * 8));
    const control = new SharedArrayBuffer((1 + 2 * workers) * 4);
    return new SharedState({ publishers, streams, workers, numbers, control });
  }

  /** Opens the buffers created by the main thread. */
  static attach(layout: SharedLayout): SharedState {
    return new SharedState(layout);
  }

  get(worker: number, field: number): number {
    return this.perWorker[worker * WORKER_FIELDS + field]!;
  }

  set(worker: number, field: number, value: number): void {
    this.perWorker[worker * WORKER_FIELDS + field] = value;
  }

  /** Sum of one counter over all workers. */
  total(field: number): number {
    let sum = 0;
    for (let w = 0; w < this.layout.workers; w++) sum += this.get(w, field);
    return sum;
  }

  /**
   * Called by a publisher thread about to wait for subscribers: raises its flag
   * and returns the wake-up counter to wait on. The caller must look at the
   * stream counters once more afterwards (they may have moved meanwhile).
   */
  announceBlocked(worker: number): number {
    Atomics.store(this.control, 1 + worker, 1);
    return Atomics.load(this.control, 1 + this.layout.workers + worker);
  }

  /** Resolves when a subscriber thread calls {@link wakeBlocked}, or after `timeoutMs`. */
  async waitForProgress(worker: number, seen: number, timeoutMs: number): Promise<void> {
    const result = waitAsync(this.control, 1 + this.layout.workers + worker, seen, timeoutMs);
    if (result.async) await result.value;
  }

  /**
   * Called by a subscriber thread after it advanced stream counters: wakes every
   * publisher thread that said it was blocked. The atomic add orders the plain
   * stores of the counters before the flags are read.
   */
  wakeBlocked(): void {
    Atomics.add(this.control, 0, 1);
    const workers = this.layout.workers;
    for (let w = 0; w < workers; w++) {
      if (Atomics.load(this.control, 1 + w) === 0) continue;
      Atomics.store(this.control, 1 + w, 0);
      Atomics.add(this.control, 1 + workers + w, 1);
      Atomics.notify(this.control, 1 + workers + w);
    }
  }
}
