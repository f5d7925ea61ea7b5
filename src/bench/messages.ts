import type { BenchOptions } from './options.js';
import type { ClientRole, WorkerPlan } from './plan.js';
import type { SharedLayout } from './shared.js';

/** What a worker thread is started with. */
export interface WorkerInit {
  options: BenchOptions;
  plan: WorkerPlan;
  workerCount: number;
  shared: SharedLayout;
  /** Stream slots of each of this worker's publishers, by position in `plan.publishers`. */
  publisherStreams: number[][];
  /** Stream slots by publisher of each of this worker's subscribers; absent in a `sub` run (discovered). */
  subscriberSlots: Int32Array[] | undefined;
  /** May a publisher block this thread to keep its schedule (no subscriber or idle client here)? */
  mayBlock: boolean;
}

/** Commands from the main thread. */
export type ToWorker =
  | { type: 'connect'; role: ClientRole }
  | { type: 'start'; startNs: number }
  | { type: 'mark'; phase: 'begin' | 'end' }
  | { type: 'stop' }
  | { type: 'close' };

/** Counters at one instant, to compute rates over the measured window. */
export interface CounterSnapshot {
  atNs: number;
  sent: number;
  acked: number;
  received: number;
}

/** A histogram as it crosses threads. */
export interface HistogramData {
  counts: Float64Array;
  maxNs: number;
}

/** Everything a worker saw, sent once when it has closed its connections. */
export interface WorkerReport {
  worker: number;
  connected: number;
  failed: number;
  dropped: number;
  /** Failure and drop reasons with how often each happened. */
  problems: Array<[reason: string, count: number]>;
  sent: number;
  acked: number;
  unacknowledged: number;
  received: number;
  unstamped: number;
  unexpected: number;
  dupFlags: number;
  badAcks: number;
  stalls: number;
  gaps: number;
  outOfOrder: number;
  duplicates: number;
  latency: HistogramData;
  serviceLatency: HistogramData;
  sendLag: HistogramData;
  connectLatency: HistogramData;
  /** Monotonic ns of the first connection attempt and of the last client to become ready (0: none). */
  firstOpenNs: number;
  lastReadyNs: number;
}

/** Replies and reports from a worker. */
export type FromWorker =
  | { type: 'connected'; role: ClientRole; ready: number; failed: number }
  | { type: 'marked'; phase: 'begin' | 'end'; snapshot: CounterSnapshot }
  | { type: 'report'; report: WorkerReport }
  | { type: 'fatal'; message: string };
