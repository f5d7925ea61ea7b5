import { closeSync, constants, fdatasync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { RestoredState } from '../broker/index.js';
import type { Batch } from './batch.js';
import { BufferedStore } from './buffered-store.js';
import {
  decodeDelivery, decodeMessage, decodeSession, decodeSubscription, StoreCorruptError,
  type DeliveryRow, type MessageRow, type SessionRow, type SubscriptionRow,
} from './sqlite-codec.js';
import { BatchWriter, ensureSchema } from './sqlite-schema.js';
import { CommitWorker } from './sqlite-worker-client.js';

/**
 * How far a commit goes before PUBACK/PUBREC. `normal` (WAL, synchronous=NORMAL):
 * a commit is in the operating system's cache when it is acknowledged, so it
 * survives the broker process being killed but not the machine losing power.
 * `full`: the WAL is fsynced before the acknowledgement, so it survives power loss.
 */
export type SyncMode = 'normal' | 'full';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** Directory of the store; created (mode 0700) when missing. */
  location: string;
  /** Default `normal`. */
  sync?: SyncMode;
  /** File name inside `location`; default `midge.db`. */
  fileName?: string;
  /**
   * With `sync: 'full'`, where the fsync runs: `async` (default) writes the
   * transaction on the main thread and fsyncs the WAL on libuv's thread pool, so
   * the event loop keeps serving clients meanwhile; `sqlite` lets SQLite fsync
   * inside the commit (synchronous=FULL), blocking the event loop. For benchmarks.
   */
  fsync?: 'async' | 'sqlite';
  /**
   * Where commits run: `main` (default), or a worker thread that owns the
   * connection after restore, so the SQL work and any fsync leave the event loop
   * at the price of copying every batch to it. See docs/durability.md for the numbers.
   */
  commitThread?: 'main' | 'worker';
}

/** The file name of a store in its directory. */
export const DEFAULT_FILE_NAME = 'midge.db';

/**
 * The SQLite backend (better-sqlite3, WAL mode). The file is created readable by
 * its owner only, locked for this process alone (a second broker on the same
 * directory is refused), and checked at open: a corrupt or unreadable store
 * stops start-up with a message saying so, never an empty broker over it.
 */
export class SqliteStore extends BufferedStore {
  readonly name = 'sqlite';
  readonly file: string;
  readonly sync: SyncMode;
  private readonly asyncFsync: boolean;
  private db: Database.Database | undefined;
  private writer: BatchWriter | undefined;
  private walFd: number | undefined;
  private readonly useWorker: boolean;
  private worker: CommitWorker | undefined;

  constructor(options: SqliteStoreOptions) {
    super();
    this.file = resolve(options.location, options.fileName ?? DEFAULT_FILE_NAME);
    this.sync = options.sync ?? 'normal';
    this.useWorker = options.commitThread === 'worker';
    // A worker may block on fsync: SQLite does it there (synchronous=FULL).
    this.asyncFsync = this.sync === 'full' && options.fsync !== 'sqlite' && !this.useWorker;
  }

  protected async openBackend(): Promise<void> {
    const dir = resolve(this.file, '..');
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      createOwnerOnly(this.file);
    } catch (err) {
      throw this.openError(err);
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(this.file, { timeout: 0 });
      this.configure(db);
      this.db = db;
      this.writer = new BatchWriter(db);
      if (this.asyncFsync) this.openWal(dir);
    } catch (err) {
      db?.close();
      this.db = undefined;
      throw this.openError(err);
    }
  }

  private configure(db: Database.Database): void {
    // One process owns the store: the lock is taken now and held until close.
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`could not switch to WAL mode (got ${String(mode)})`);
    db.pragma(`synchronous = ${this.sync === 'full' && !this.asyncFsync ? 'FULL' : 'NORMAL'}`);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StoreCorruptError(`integrity check failed: ${String(check)}`);
    ensureSchema(db);
    db.exec('BEGIN IMMEDIATE; COMMIT');
  }

  /** For the async fsync: our own descriptor of the WAL, and the directory entries made durable once. */
  private openWal(dir: string): void {
    this.db!.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('opened_at', String(Date.now()));
    this.walFd = openSync(`${this.file}-wal`, constants.O_RDONLY);
    const dirFd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  protected async readBackend(): Promise<RestoredState> {
    const db = this.db;
    if (!db) throw new Error('the sqlite store is not open');
    const state = this.readAll(db);
    if (this.useWorker) await this.handToWorker();
    return state;
  }

  /** The worker takes the connection over: ours is closed first, so the lock passes to it. */
  private async handToWorker(): Promise<void> {
    this.closeDb();
    try {
      this.worker = await CommitWorker.start({ file: this.file, synchronous: this.sync === 'full' ? 'FULL' : 'NORMAL' });
    } catch (err) {
      throw this.openError(err);
    }
  }

  private readAll(db: Database.Database): RestoredState {
    try {
      const all = <T>(sql: string) => db.prepare(sql).all() as T[];
      return {
        sessions: all<SessionRow>('SELECT * FROM sessions').map(decodeSession),
        subscriptions: all<SubscriptionRow>('SELECT * FROM subscriptions').map(decodeSubscription),
        messages: all<MessageRow>('SELECT * FROM messages').map(decodeMessage),
        deliveries: all<DeliveryRow>('SELECT * FROM deliveries ORDER BY client_id, seq').map(decodeDelivery),
        inbound: all<{ client_id: string; packet_id: number }>('SELECT * FROM inbound')
          .map((r) => ({ clientId: r.client_id, packetId: r.packet_id })),
        retained: all<MessageRow>('SELECT * FROM retained').map(decodeMessage),
      };
    } catch (err) {
      this.closeDb();
      throw this.openError(err);
    }
  }

  protected writeBatch(batch: Batch): void | Promise<void> {
    if (this.worker) return this.worker.write(batch);
    if (!this.writer) throw new Error('the sqlite store is not open');
    this.writer.write([batch]);
    const fd = this.walFd;
    if (fd === undefined) return;
    return new Promise((ok, fail) => fdatasync(fd, (err) => (err ? fail(err) : ok())));
  }

  protected async closeBackend(): Promise<void> {
    this.closeDb();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.close();
  }

  private closeDb(): void {
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
    this.db?.close();
    this.db = undefined;
    this.writer = undefined;
  }

  private openError(err: unknown): Error {
    const code = (err as { code?: unknown }).code;
    let why = err instanceof Error ? err.message : String(err);
    if (code === 'SQLITE_BUSY') why = 'it is in use by another process (is another midge running on it?)';
    else if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || err instanceof StoreCorruptError) why = `it is corrupt (${why})`;
    return new Error(
      `cannot open the store ${this.file}: ${why}. midge does not start over a store it cannot read; `
      + 'repair or move it away (an empty store is created when none exists)', { cause: err });
  }
}

/** Creates an empty file readable by its owner only, unless it exists; SQLite's WAL takes the same mode. */
function createOwnerOnly(file: string): void {
  try {
    closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (!statSync(file).isFile()) throw new Error(`${file} is not a file`);
  }
}

/** The store file for a location, for tools and tests. */
export function storeFile(location: string, fileName = DEFAULT_FILE_NAME): string {
  return join(resolve(location), fileName);
}
