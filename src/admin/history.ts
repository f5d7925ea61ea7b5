import type { Broker } from '../broker/index.js';
import { queueDepths } from './broker-view.js';
import type { HistoryView } from './ui/api-types.js';

/** One figure the history keeps: a gauge read as is, or a counter turned into a rate per second. */
interface HistorySeries {
  name: string;
  kind: 'gauge' | 'rate';
  read(broker: Broker): number;
}

/**
 * The figures sampled, in the order of `HistoryView.series`. Rates are averages
 * over the sampling interval, so a burst between two samples is not missed.
 */
const SERIES: readonly HistorySeries[] = [
  { name: 'publishIn', kind: 'rate', read: (b) => b.stats.publishReceived },
  { name: 'publishOut', kind: 'rate', read: (b) => b.stats.publishSent },
  { name: 'bytesIn', kind: 'rate', read: (b) => b.stats.bytesReceived },
  { name: 'bytesOut', kind: 'rate', read: (b) => b.stats.bytesSent },
  { name: 'dropped', kind: 'rate', read: (b) => b.stats.publishDropped },
  { name: 'connects', kind: 'rate', read: (b) => b.stats.totalConnections },
  { name: 'connected', kind: 'gauge', read: (b) => b.stats.connectedClients },
  { name: 'sessions', kind: 'gauge', read: (b) => b.sessions.size },
  { name: 'subscriptions', kind: 'gauge', read: (b) => b.router.size },
  { name: 'retained', kind: 'gauge', read: (b) => b.retained.sizeWithoutSys },
  { name: 'queued', kind: 'gauge', read: (b) => queueDepths(b).queued },
  { name: 'inflight', kind: 'gauge', read: (b) => queueDepths(b).inflight },
  { name: 'heapUsed', kind: 'gauge', read: () => process.memoryUsage().heapUsed },
];

/** What {@link StatsHistory} keeps. */
export interface HistoryOptions {
  /** Sampling interval, ms; default 10 s. */
  intervalMs?: number;
  /** Samples kept; default 6 hours' worth of 10 s samples (2,160). */
  capacity?: number;
}

/** The history's default size: 6 h at 10 s. */
export const DEFAULT_HISTORY = { intervalMs: 10_000, capacity: 2160 };

/**
 * A ring of the broker's figures sampled every `intervalMs`, so the dashboard's
 * charts show the last hours from the first view, and again after a reload.
 * Memory is fixed when it starts: one Float64Array per series and one of times,
 * `capacity` long ((13 + 1) x 2,160 x 8 bytes = 242 KB by default). Sampling
 * reads the core's counters once per interval; the hot path counts nothing more.
 */
export class StatsHistory {
  readonly intervalMs: number;
  readonly capacity: number;
  private readonly times: Float64Array;
  private readonly columns: Float64Array[];
  /** Counter readings of the previous sample, to turn them into rates. */
  private readonly previous: number[];
  private previousTime: number;
  /** Samples written since start; the newest is at `(written - 1) % capacity`. */
  private written = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly broker: Broker, options: HistoryOptions = {}) {
    this.intervalMs = options.intervalMs ?? DEFAULT_HISTORY.intervalMs;
    this.capacity = options.capacity ?? DEFAULT_HISTORY.capacity;
    this.times = new Float64Array(this.capacity);
    this.columns = SERIES.map(() => new Float64Array(this.capacity));
    this.previous = SERIES.map((s) => s.read(broker));
    this.previousTime = Date.now();
  }

  /** Bytes the ring holds, allocated once. */
  get bytes(): number {
    return this.times.byteLength * (1 + this.columns.length);
  }

  /** Samples every interval until {@link stop}; the timer keeps no process alive. */
  start(): void {
    this.timer ??= setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample now (the timer calls this; tests may too). */
  sample(now = Date.now()): void {
    const slot = this.written % this.capacity;
    const seconds = Math.max(0.001, (now - this.previousTime) / 1000);
    SERIES.forEach((series, i) => {
      const value = series.read(this.broker);
      this.columns[i]![slot] = series.kind === 'gauge' ? value : Math.max(0, value - this.previous[i]!) / seconds;
      this.previous[i] = value;
    });
    this.times[slot] = now;
    this.previousTime = now;
    this.written++;
  }

  /** The samples taken after `since` (epoch ms), oldest first, as columns. */
  since(since: number): HistoryView {
    const kept = Math.min(this.written, this.capacity);
    const first = this.written - kept;
    const indexes: number[] = [];
    for (let n = first; n < this.written; n++) {
      const slot = n % this.capacity;
      if (this.times[slot]! > since) indexes.push(slot);
    }
    const series: Record<string, number[]> = {};
    SERIES.forEach((s, i) => {
      const column = this.columns[i]!;
      series[s.name] = indexes.map((slot) => column[slot]!);
    });
    return { intervalMs: this.intervalMs, capacity: this.capacity, time: indexes.map((slot) => this.times[slot]!), series };
  }
}
