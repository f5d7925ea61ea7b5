/**
 * Entry point of a load worker thread: it builds a {@link LoadWorker} from its
 * `workerData` and relays commands and reports through the parent port.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LoadWorker } from './load-worker.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';

const port = parentPort;
if (!port) throw new Error('the bench worker must run in a worker thread');

const post = (message: FromWorker): void => port.postMessage(message);
try {
  const worker = new LoadWorker(workerData as WorkerInit, post);
  port.on('message', (message: ToWorker) => {
    try {
      worker.handle(message);
    } catch (err) {
      post({ type: 'fatal', message: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
  });
} catch (err) {
  post({ type: 'fatal', message: err instanceof Error ? err.stack ?? err.message : String(err) });
}
