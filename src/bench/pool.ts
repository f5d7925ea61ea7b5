import { Worker } from 'node:worker_threads';
import type { CounterSnapshot, FromWorker, ToWorker, WorkerInit, WorkerReport } from './messages.js';
import type { ClientRole } from './plan.js';

type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

interface Waiter {
  type: FromWorker['type'];
  replies: FromWorker[];
  resolve(replies: FromWorker[]): void;
  reject(err: Error): void;
}

/**
 * Starts a worker thread. Compiled, it loads `worker.js`; run from the
 * TypeScript sources (tests, tsx), the thread first registers tsx itself,
 * because a worker does not inherit the parent's `--import` hooks.
 */
function startWorker(init: WorkerInit): Worker {
  const ownUrl = import.meta.url;
  if (!ownUrl.endsWith('.ts')) return new Worker(new URL('./worker.js', ownUrl), { workerData: init });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', ownUrl).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData: init });
}

/**
 * The worker threads of a run and the request/reply rounds with them: a command
 * goes to every worker and the round ends when each has answered.
 */
export class WorkerPool {
  private readonly workers: Worker[];
  private waiter: Waiter | undefined;
  private failure: Error | undefined;

  constructor(inits: WorkerInit[]) {
    this.workers = inits.map((init) => {
      const worker = startWorker(init);
      worker.on('message', (m: FromWorker) => this.onMessage(m));
      worker.on('error', (err: Error) => this.fail(err));
      worker.on('exit', (code) => { if (code !== 0) this.fail(new Error(`a bench worker exited with code ${code}`)); });
      return worker;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Opens every worker's clients of a role; resolves with the totals. */
  async connect(role: ClientRole): Promise<{ ready: number; failed: number }> {
    const replies = await this.round({ type: 'connect', role }, 'connected');
    return replies.reduce((t, r) => ({ ready: t.ready + r.ready, failed: t.failed + r.failed }), { ready: 0, failed: 0 });
  }

  /** Begins or ends the measured window; resolves with each worker's counters at that instant. */
  async mark(phase: 'begin' | 'end'): Promise<CounterSnapshot[]> {
    return (await this.round({ type: 'mark', phase }, 'marked')).map((r) => r.snapshot);
  }

  /** Closes every connection and collects the reports. */
  async close(): Promise<WorkerReport[]> {
    return (await this.round({ type: 'close' }, 'report')).map((r) => r.report);
  }

  /** Sends a command that needs no answer. */
  broadcast(message: ToWorker): void {
    for (const w of this.workers) w.postMessage(message);
  }

  /** Gives up waiting for the open round (the run was interrupted); late replies are dropped. */
  cancelRound(reason: string): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(new Error(reason));
  }

  /** Stops the threads (after close, or to give up). */
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private round<T extends FromWorker['type']>(message: ToWorker, type: T): Promise<Array<Reply<T>>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error(`a ${this.waiter.type} round is still open`));
    return new Promise<Array<Reply<T>>>((resolve, reject) => {
      this.waiter = { type, replies: [], resolve: resolve as (r: FromWorker[]) => void, reject };
      this.broadcast(message);
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'fatal') return this.fail(new Error(`bench worker failed: ${m.message}`));
    const waiter = this.waiter;
    if (!waiter || waiter.type !== m.type) return;
    waiter.replies.push(m);
    if (waiter.replies.length === this.workers.length) {
      this.waiter = undefined;
      waiter.resolve(waiter.replies);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(err);
  }
}
