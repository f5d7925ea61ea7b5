import { Worker } from 'node:worker_threads';
import type { Batch } from './batch.js';
import type { FromWorker, ToWorker, WorkerConfig } from './sqlite-worker.js';

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * The main thread's side of the commit worker: posts each batch (the structured
 * clone copies it, payloads included) and resolves when the worker has committed it.
 */
export class CommitWorker {
  private next = 1;
  private readonly waiting = new Map<number, Waiter>();
  private closed: (() => void) | undefined;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    worker.on('error', (err) => this.failAll(err));
    // A worker that is gone without an error must not leave commits waiting for ever.
    worker.on('exit', (code) => this.failAll(new Error(`the commit worker exited (code ${code})`)));
  }

  /** Starts the worker on the store file; rejects when it cannot open it. */
  static start(config: WorkerConfig): Promise<CommitWorker> {
    const worker = spawnWorker(config);
    return new Promise((resolve, reject) => {
      const first = (msg: FromWorker) => {
        worker.off('error', reject);
        if ('ready' in msg) resolve(new CommitWorker(worker));
        else {
          void worker.terminate();
          reject(new Error('failed' in msg ? msg.failed : 'the commit worker did not start'));
        }
      };
      worker.once('message', first);
      worker.once('error', reject);
    });
  }

  /** Has the worker write `batch` as commit number `commit`; resolves once it is committed. */
  write(batch: Batch, commit: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, batch, commit } satisfies ToWorker);
    });
  }

  /** Closes the database in the worker (after every posted batch), then ends the thread. */
  async close(): Promise<void> {
    if (this.failure) return;
    await new Promise<void>((resolve) => {
      this.closed = resolve;
      this.worker.postMessage({ close: true } satisfies ToWorker);
    });
    await this.worker.terminate();
  }

  private onMessage(msg: FromWorker): void {
    if ('closed' in msg) return this.closed?.();
    if (!('seq' in msg)) return;
    const waiter = this.waiting.get(msg.seq);
    this.waiting.delete(msg.seq);
    if (msg.error === undefined) waiter?.resolve();
    else waiter?.reject(Object.assign(new Error(msg.error), { code: msg.code }));
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
    this.closed?.();
  }
}

/**
 * Built, the worker is plain JavaScript beside this file. Run from source (the
 * tests, under tsx) it is TypeScript, and Node 20 does not carry the loader of
 * `--import tsx` into worker threads, so the worker registers it first.
 */
function spawnWorker(config: WorkerConfig): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData: config });
  const entry = JSON.stringify(new URL('./sqlite-worker.ts', import.meta.url).href);
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${entry}); })`;
  return new Worker(boot, { eval: true, workerData: config });
}
