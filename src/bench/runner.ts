import { nowNs } from './clock.js';
import type { CounterSnapshot, WorkerInit } from './messages.js';
import { optionProblems, roleCounts, type BenchOptions } from './options.js';
import { planRun, type ClientRole, type RunPlan } from './plan.js';
import { WorkerPool } from './pool.js';
import { sampleProcess } from './proc.js';
import type { Progress } from './progress.js';
import { SharedState, WorkerField } from './shared.js';
import { summarize, type BenchSummary, type Instant, type InstantName, type RunRecord } from './summary.js';

/** How often the main thread looks at the shared counters. */
const POLL_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves after `ms` or as soon as the signal aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Settles with the promise, or rejects as soon as the signal aborts. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => void): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  return promise.finally(() => signal.removeEventListener('abort', onAbort));
}

function workerInits(o: BenchOptions, plan: RunPlan, shared: SharedState): WorkerInit[] {
  return plan.workers.map((w) => ({
    options: o,
    plan: w,
    workerCount: plan.workers.length,
    shared: shared.layout,
    publisherStreams: w.publishers.map((p) => plan.streams?.byPublisher[p.index] ?? []),
    subscriberSlots: o.mode === 'pubsub'
      ? w.subscribers.map((s) => plan.streams?.bySubscriber[s.index] ?? new Int32Array(0))
      : undefined,
    mayBlock: w.subscribers.length === 0 && w.idle.length === 0,
  }));
}

/**
 * Runs a benchmark: spreads the clients over worker threads, connects
 * subscribers then publishers, lets the load run (warm-up, measured window),
 * drains what is in flight, closes everything and sums up. `signal` ends the
 * run early (Ctrl-C) and still produces a summary.
 */
export async function runBench(o: BenchOptions, progress: Progress, signal?: AbortSignal): Promise<BenchSummary> {
  const problems = optionProblems(o);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const plan = planRun(o);
  if (plan.streamsSkipped) progress.note(`no end-to-end window or sequence checks: ${plan.streamsSkipped}`);
  const counts = roleCounts(o);
  const shared = SharedState.create(counts.publishers, plan.streams?.count ?? 0, plan.workers.length);
  const run = new Run(o, plan, shared, progress, signal);
  return run.execute();
}

/** One run's state on the main thread. */
class Run {
  private readonly pool: WorkerPool;
  private readonly startedAt = new Date();
  private begin: CounterSnapshot[] = [];
  private end: CounterSnapshot[] = [];
  private readonly instants: Partial<Record<InstantName, Instant>> = {};

  constructor(
    private readonly o: BenchOptions,
    private readonly plan: RunPlan,
    private readonly shared: SharedState,
    private readonly progress: Progress,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.pool = new WorkerPool(workerInits(o, plan, shared));
  }

  async execute(): Promise<BenchSummary> {
    this.sample('before');
    this.progress.start(this.shared, this.o);
    try {
      const connected = await this.connectAll();
      this.sample('connected');
      if (connected) await this.load();
      const reports = await this.pool.close();
      return summarize(this.record(reports));
    } finally {
      this.progress.stop();
      await this.pool.terminate();
    }
  }

  /** Notes the time and what /proc says about this process and the broker. */
  private sample(name: InstantName): void {
    const pid = this.o.brokerPid;
    this.instants[name] = {
      atNs: nowNs(),
      // The generator's work happens in its worker threads; a broker's in its main thread.
      generator: sampleProcess(process.pid, true),
      broker: pid === undefined ? undefined : sampleProcess(pid),
    };
  }

  /** Subscribers first, so that no message is published before they listen. False when the run cannot go on. */
  private async connectAll(): Promise<boolean> {
    const counts = roleCounts(this.o);
    const phases: Array<[ClientRole, number, string]> = [
      ['sub', counts.subscribers, 'connecting subscribers'],
      ['pub', counts.publishers, 'connecting publishers'],
      ['idle', counts.idle, 'connecting'],
    ];
    for (const [role, count, phase] of phases) {
      if (count === 0) continue;
      this.progress.phase(phase);
      try {
        const result = await unlessAborted(this.pool.connect(role), this.signal, () => this.pool.cancelRound('interrupted'));
        if (result.failed > 0 && this.o.mode !== 'conn') return false;
      } catch (err) {
        if (this.signal?.aborted) return false;
        throw err;
      }
    }
    return !this.signal?.aborted;
  }

  private async load(): Promise<void> {
    const o = this.o;
    if (o.mode === 'conn') return this.hold();
    this.pool.broadcast({ type: 'start', startNs: nowNs() + 1e6 });
    if (o.warmupS > 0) {
      this.progress.phase('warming up');
      await pause(o.warmupS * 1000, this.signal);
    }
    await this.measure(() => this.reachedEnd());
    this.pool.broadcast({ type: 'stop' });
    this.progress.phase('draining');
    await this.drain();
  }

  /** The conn mode: hold the connections for the duration, measuring the broker meanwhile. */
  private async hold(): Promise<void> {
    this.progress.phase('holding');
    await this.measure(() => false);
  }

  private async measure(done: () => boolean): Promise<void> {
    this.begin = await this.pool.mark('begin');
    this.sample('start');
    this.progress.phase('measuring');
    const deadline = this.o.durationS > 0 ? nowNs() + this.o.durationS * 1e9 : Infinity;
    while (!this.signal?.aborted && nowNs() < deadline && !done()) {
      await pause(Math.min(POLL_MS, Math.max(1, (deadline - nowNs()) / 1e6)), this.signal);
    }
    this.sample('end');
    this.end = await this.pool.mark('end');
  }

  /** A message limit was reached (sent for publishers, received for `sub`). */
  private reachedEnd(): boolean {
    const o = this.o;
    if (o.limit === 0) return false;
    if (o.mode === 'sub') return this.shared.total(WorkerField.RECEIVED) >= o.limit;
    let sent = 0;
    for (const s of this.shared.sent) sent += s;
    return sent >= o.limit;
  }

  /** Waits, at most `drainS`, until every stream caught up with its publisher and every flow completed. */
  private async drain(): Promise<void> {
    const deadline = nowNs() + this.o.drainS * 1e9;
    while (nowNs() < deadline && !this.signal?.aborted && !this.drained()) await sleep(POLL_MS / 5);
  }

  private drained(): boolean {
    const { sent, acked } = this.shared;
    if (this.o.qos > 0) for (let p = 0; p < sent.length; p++) if (acked[p]! < sent[p]!) return false;
    return this.undelivered() === 0;
  }

  /** Messages some stream has not received yet (counted from shared memory). */
  private undelivered(): number {
    const streams = this.plan.streams;
    if (!streams) return 0;
    let missing = 0;
    streams.byPublisher.forEach((slots, p) => {
      for (const slot of slots) missing += Math.max(0, this.shared.sent[p]! - this.shared.expect[slot]!);
    });
    return missing;
  }

  private record(reports: RunRecord['reports']): RunRecord {
    return {
      options: this.o,
      startedAt: this.startedAt,
      streams: this.plan.streams?.count ?? 0,
      begin: this.begin.length > 0 ? this.begin : reports.map(() => ({ atNs: 0, sent: 0, acked: 0, received: 0 })),
      end: this.end.length > 0 ? this.end : reports.map(() => ({ atNs: 0, sent: 0, acked: 0, received: 0 })),
      reports,
      undelivered: this.undelivered(),
      instants: this.instants,
    };
  }
}
