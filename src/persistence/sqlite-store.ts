import { closeSync, constants, fdatasync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { PagedDeliveries, PageOutcome, QueuePaging, RestoredState, RestoreOptions } from '../broker/index.js';
import type { Batch } from './batch.js';
import { BufferedStore } from './buffered-store.js';
import { StoreCorruptError } from './sqlite-codec.js';
import { describeSqliteError } from './sqlite-errors.js';
import { ensurePagingIndex, MessageCollector, QueueReader, scanQueued } from './sqlite-paging.js';
import { readContents, type DamagedRecord } from './sqlite-read.js';
import { ensureSchema, type StoreIdentity } from './sqlite-schema.js';
import { BatchWriter } from './sqlite-writer.js';
import { CommitWorker } from './sqlite-worker-client.js';
import { fileProblem, identityProblem, StoreRefusedError } from './store-problems.js';
import { MarkerWriter, markerFile, readMarker } from './store-marker.js';

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
export class SqliteStore extends BufferedStore implements QueuePaging {
  readonly name = 'sqlite';
  readonly file: string;
  readonly sync: SyncMode;
  private readonly asyncFsync: boolean;
  private db: Database.Database | undefined;
  private writer: BatchWriter | undefined;
  private walFd: number | undefined;
  private readonly useWorker: boolean;
  private worker: CommitWorker | undefined;
  private marker: MarkerWriter | undefined;
  /** Number of the last commit written (see the marker). */
  private commitSeq = 0;
  private readonly found: string[] = [];
  protected override readonly retriesFailedWrites = true;
  /** Queues are paged (and messages collected in SQL) unless commits run in a worker, which owns the only connection. */
  protected override readonly countsReferences: boolean;
  private reader: QueueReader | undefined;
  private collector: MessageCollector | undefined;

  constructor(options: SqliteStoreOptions) {
    super();
    this.file = resolve(options.location, options.fileName ?? DEFAULT_FILE_NAME);
    this.sync = options.sync ?? 'normal';
    this.useWorker = options.commitThread === 'worker';
    // A worker may block on fsync: SQLite does it there (synchronous=FULL).
    this.asyncFsync = this.sync === 'full' && options.fsync !== 'sqlite' && !this.useWorker;
    this.countsReferences = this.useWorker;
  }

  /** Queue paging (see sqlite-paging.ts); not with the commit worker. */
  get paging(): QueuePaging | undefined {
    return this.useWorker ? undefined : this;
  }

  /** The queued deliveries of a client after `afterSeq`, committed ones only, checked row by row. */
  async readQueued(clientId: string, afterSeq: number, limit: number): Promise<PagedDeliveries & PageOutcome> {
    if (!this.reader) throw new Error('the sqlite store is not open');
    try {
      return this.reader.read(clientId, afterSeq, limit);
    } catch (err) {
      throw new Error(`cannot read the queue of ${JSON.stringify(clientId)} from the store ${this.file}: ${describeSqliteError(err)}`, { cause: err });
    }
  }

  /** What {@link open} found worth telling an operator (a store without its marker). */
  get notices(): readonly string[] {
    return this.found;
  }

  protected async openBackend(): Promise<void> {
    const dir = resolve(this.file, '..');
    const markerPath = markerFile(this.file);
    this.found.length = 0;
    let marker;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      marker = readMarker(markerPath);
      const problem = fileProblem(this.file, marker);
      if (problem) throw new StoreRefusedError(this.file, problem);
      createOwnerOnly(this.file);
    } catch (err) {
      throw this.openError(err);
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(this.file, { timeout: 0 });
      const identity = this.configure(db, marker.kind === 'ok');
      // Nothing is written before this check: a refused store is left as it was.
      const problem = identityProblem(this.file, marker, identity);
      if (problem) throw new StoreRefusedError(this.file, problem);
      if (marker.kind === 'none' && identity.commit > 0) {
        this.found.push(`the store ${this.file} had no marker beside it, so whether its last commits are all there cannot be told; a new marker was written`);
      }
      this.commitSeq = identity.commit;
      this.marker = new MarkerWriter(markerPath, identity.id, identity.commit);
      this.db = db;
      this.writer = new BatchWriter(db);
      if (!this.useWorker) this.openPaging(db);
      if (this.asyncFsync) this.openWal(dir);
    } catch (err) {
      db?.close();
      this.db = undefined;
      this.closeMarker();
      throw this.openError(err);
    }
  }

  private configure(db: Database.Database, existing: boolean): StoreIdentity {
    // One process owns the store: the lock is taken now and held until close.
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`could not switch to WAL mode (got ${String(mode)})`);
    db.pragma(`synchronous = ${this.sync === 'full' && !this.asyncFsync ? 'FULL' : 'NORMAL'}`);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StoreCorruptError(`integrity check failed: ${String(check)}`);
    const identity = ensureSchema(db, existing);
    db.exec('BEGIN IMMEDIATE; COMMIT');
    return identity;
  }

  private openPaging(db: Database.Database): void {
    ensurePagingIndex(db);
    this.reader = new QueueReader(db);
    this.collector = new MessageCollector(db);
    const writer = this.writer!;
    const collector = this.collector;
    const write = db.transaction((batch: Batch, commit: number) => {
      const candidates = collector.candidates(batch);
      writer.write([batch], commit);
      collector.collect(candidates);
    });
    this.writeCollecting = (batch, commit) => write(batch, commit);
  }

  /** Writes a batch and deletes the messages it left unreferenced, in one transaction. */
  private writeCollecting: ((batch: Batch, commit: number) => void) | undefined;

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

  protected async readBackend(options: RestoreOptions): Promise<RestoredState> {
    const db = this.db;
    if (!db) throw new Error('the sqlite store is not open');
    const state = this.readAll(db, options);
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

  /**
   * Everything but the queued deliveries when paging: those are checked in one
   * streaming pass and summed up per session (sqlite-paging.ts).
   */
  private read(db: Database.Database, options: RestoreOptions): { state: RestoredState; damaged: DamagedRecord[] } {
    const { onRetained } = options;
    if (this.useWorker) return readContents(db, { onRetained });
    const { state, damaged } = readContents(db, { queued: 'leave', onRetained });
    state.paged = scanQueued(db, damaged, state.messages);
    return { state, damaged };
  }

  /** Every record, each checked against its checksum; a store with damaged records is refused. */
  private readAll(db: Database.Database, options: RestoreOptions): RestoredState {
    try {
      const { state, damaged } = this.read(db, options);
      if (damaged.length > 0) {
        const shown = damaged.slice(0, 5).map((d) => d.what).join('; ');
        const more = damaged.length > 5 ? `; and ${damaged.length - 5} more` : '';
        const dir = resolve(this.file, '..');
        throw new StoreRefusedError(this.file, {
          kind: 'damaged-records',
          why: `${damaged.length} of its records ${damaged.length === 1 ? 'is' : 'are'} damaged (${shown}${more})`,
          fix: `\`midge store check ${dir}\` lists them; \`midge store repair ${dir}\` removes them and reports what was lost`,
        });
      }
      return state;
    } catch (err) {
      this.closeDb();
      this.closeMarker();
      throw this.openError(err);
    }
  }

  protected writeBatch(batch: Batch): void | Promise<void> {
    const commit = this.commitSeq + 1;
    if (this.worker) return this.worker.write(batch, commit).then(() => this.committed(commit));
    if (!this.writer) throw new Error('the sqlite store is not open');
    if (this.writeCollecting) this.writeCollecting(batch, commit);
    else this.writer.write([batch], commit);
    const fd = this.walFd;
    if (fd === undefined) return this.committed(commit);
    return new Promise((ok, fail) => fdatasync(fd, (err) => (err ? fail(err) : ok(this.committed(commit)))));
  }

  /** A commit is durable: the marker may now claim it. */
  private committed(commit: number): void {
    this.commitSeq = commit;
    try {
      this.marker?.update(commit);
    } catch {
      // The commit is in the store; a marker that lags claims nothing false (see store-marker.ts).
    }
  }

  protected override describeWriteError(err: unknown): string {
    return `cannot write the store ${this.file}: ${describeSqliteError(err)}`;
  }

  protected async closeBackend(): Promise<void> {
    this.closeDb();
    this.closeMarker();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.close();
  }

  private closeMarker(): void {
    this.marker?.close();
    this.marker = undefined;
  }

  private closeDb(): void {
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
    this.db?.close();
    this.db = undefined;
    this.writer = undefined;
    this.reader = undefined;
    this.collector = undefined;
    this.writeCollecting = undefined;
  }

  private openError(err: unknown): Error {
    if (err instanceof StoreRefusedError) return err;
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
