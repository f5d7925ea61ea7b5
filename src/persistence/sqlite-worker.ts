/**
 * The commit worker of {@link SqliteStore} with `commitThread: 'worker'`: it owns
 * the database connection (and its exclusive lock) and applies the batches the
 * main thread posts, one transaction each, answering with the batch's number.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { ForwardedProperties, StoredMessage } from '../broker/index.js';
import type { Batch } from './batch.js';
import { BatchWriter } from './sqlite-writer.js';

/** What the store tells its worker. */
export interface WorkerConfig {
  file: string;
  synchronous: 'NORMAL' | 'FULL';
}

/** Messages from the store to the worker. */
export type ToWorker = { seq: number; batch: Batch; commit: number } | { close: true };
/** Messages from the worker to the store; a failed write carries SQLite's error code. */
export type FromWorker = { ready: true } | { seq: number; error?: string; code?: string } | { closed: true } | { failed: string };

/** Structured cloning turns Buffers into Uint8Arrays; SQLite and base64 encoding want Buffers back. */
function revive(batch: Batch): void {
  const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  const props = (p: ForwardedProperties | undefined) => {
    if (p?.correlationData) p.correlationData = buf(p.correlationData);
  };
  const message = (m: StoredMessage | null) => {
    if (!m) return;
    m.payload = buf(m.payload);
    props(m.properties);
  };
  for (const m of batch.messages.values()) message(m);
  for (const m of batch.retained.values()) message(m);
  for (const d of batch.clients.values()) if (d.session?.will) message(d.session.will.message);
}

function serve(port: NonNullable<typeof parentPort>, config: WorkerConfig): void {
  let db: Database.Database;
  let writer: BatchWriter;
  try {
    db = new Database(config.file, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${config.synchronous}`);
    db.exec('BEGIN IMMEDIATE; COMMIT');
    writer = new BatchWriter(db);
  } catch (err) {
    port.postMessage({ failed: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
    return;
  }
  port.on('message', (msg: ToWorker) => {
    if ('close' in msg) {
      db.close();
      port.postMessage({ closed: true } satisfies FromWorker);
      port.close();
      return;
    }
    try {
      revive(msg.batch);
      writer.write([msg.batch], msg.commit);
      port.postMessage({ seq: msg.seq } satisfies FromWorker);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      port.postMessage({
        seq: msg.seq, error: err instanceof Error ? err.message : String(err), code: typeof code === 'string' ? code : undefined,
      } satisfies FromWorker);
    }
  });
  port.postMessage({ ready: true } satisfies FromWorker);
}

if (parentPort) serve(parentPort, workerData as WorkerConfig);
