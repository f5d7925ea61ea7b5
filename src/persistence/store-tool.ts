import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { RestoredState } from '../broker/index.js';
import { readContents, type DamagedRecord } from './sqlite-read.js';
import type { StoreIdentity } from './sqlite-schema.js';
import { storeFile } from './sqlite-store.js';
import { fileProblem, identityProblem, type StoreProblem } from './store-problems.js';
import { markerFile, readMarker, type MarkerReading } from './store-marker.js';

/** A store the `midge store` command could not look at (none there, locked, not a database). */
export class StoreToolError extends Error {}

/** What `midge store check` found. */
export interface StoreReport {
  file: string;
  marker: MarkerReading;
  /** Problems of the store as a whole (missing, emptied, cut short, replaced, unreadable structure). */
  problems: StoreProblem[];
  /** Records that fail their checks. */
  damaged: DamagedRecord[];
  /** Undefined when the database could not be opened (missing or empty). */
  schema: number | undefined;
  identity: StoreIdentity | undefined;
  /** The records that passed their checks. */
  state: RestoredState | undefined;
}

/** A store opened by the `midge store` command, with what it holds and what is wrong with it. */
export interface OpenedForTool {
  report: StoreReport;
  /** Undefined when there is no database to open. */
  db: Database.Database | undefined;
}

/**
 * Opens the store in `location` for `midge store`: the same checks as the broker
 * makes at start-up, collected instead of refused. The database is locked for
 * this process alone, as the broker locks it, so a running broker is never read
 * under its feet. Nothing is written; the caller closes `db`.
 */
export function openForTool(location: string): OpenedForTool {
  const file = storeFile(location);
  const marker = readMarker(markerFile(file));
  const report: StoreReport = { file, marker, problems: [], damaged: [], schema: undefined, identity: undefined, state: undefined };
  const before = fileProblem(file, marker);
  if (before) report.problems.push(before);
  if (!existsSync(file)) {
    if (marker.kind === 'none' && !before) throw new StoreToolError(`there is no store at ${file}`);
    return { report, db: undefined };
  }
  if (before?.kind === 'empty') return { report, db: undefined };
  const db = openLocked(file);
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      report.problems.push({
        kind: 'damaged-records', why: `SQLite's integrity check fails (${String(check)})`,
        fix: 'Restore the store from a backup; `midge store export` saves what can still be read',
      });
    }
    report.schema = Number(meta(db, 'schema_version'));
    if (!Number.isInteger(report.schema)) throw new StoreToolError(`${file} is not a midge store (it has no schema version)`);
    const id = meta(db, 'store_id');
    if (id !== undefined) report.identity = { id, commit: Number(meta(db, 'commit_seq') ?? 0) };
    const mismatch = report.identity && identityProblem(file, marker, report.identity);
    if (mismatch) report.problems.push(mismatch);
    const { state, damaged } = readContents(db, { schema: report.schema });
    report.state = state;
    report.damaged = damaged;
    return { report, db };
  } catch (err) {
    db.close();
    throw err;
  }
}

function openLocked(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 0, fileMustExist: true });
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN IMMEDIATE; COMMIT');
    return db;
  } catch (err) {
    db?.close();
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY') throw new StoreToolError(`${file} is in use by another process: stop the midge using it first`);
    throw new StoreToolError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function meta(db: Database.Database, key: string): string | undefined {
  try {
    return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  } catch {
    return undefined;
  }
}

/** `midge store check`: the report, closing what it opened. */
export function checkStore(location: string): StoreReport {
  const { report, db } = openForTool(location);
  db?.close();
  return report;
}

/** True when the broker would start on the store as it is. */
export function isHealthy(report: StoreReport): boolean {
  return report.problems.length === 0 && report.damaged.length === 0;
}

/** The check's report as lines for people. */
export function describeReport(report: StoreReport): string[] {
  const lines = [`store ${report.file}`];
  if (report.identity) lines.push(`  schema ${report.schema}, store id ${report.identity.id}, last commit ${report.identity.commit}`);
  if (report.schema === 1) lines.push('  schema 1 has no checksums: rows cannot be checked (midge adds them when it next opens the store)');
  const s = report.state;
  if (s) {
    lines.push(`  ${s.sessions.length} sessions, ${s.subscriptions.length} subscriptions, ${s.deliveries.length} queued or in-flight deliveries `
      + `of ${s.messages.length} messages, ${s.inbound.length} QoS 2 ids awaiting PUBREL, ${s.retained.length} retained messages`);
  }
  for (const p of report.problems) lines.push(`  problem: ${p.why}`, `    what to do: ${p.fix}`);
  if (report.damaged.length > 0) lines.push(`  ${report.damaged.length} damaged records:`);
  for (const d of report.damaged) lines.push(`    ${d.what}`);
  return lines;
}
