import { chmodSync, copyFileSync, existsSync, renameSync, unlinkSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { DamagedRecord } from './sqlite-read.js';
import { ROW_KEY, type RecordTable } from './sqlite-layout.js';
import { markerFile, writeMarker } from './store-marker.js';
import { openForTool, StoreToolError, type StoreReport } from './store-tool.js';

/** What `midge store repair` did and what the store lost by it. */
export interface RepairResult {
  file: string;
  /** What was changed, one line each (empty: nothing needed repair). */
  actions: string[];
  /** What the store no longer holds, one line each. */
  lost: string[];
  /** The copy of the store taken before changing it. */
  backup: string | undefined;
}

/**
 * `midge store repair`: makes the store one the broker starts on, keeping all
 * that can be trusted and saying what could not be.
 *
 * - Damaged records (checksum mismatch, undecodable) are deleted; a delivery
 *   whose message was damaged goes with it; a client whose session record was
 *   damaged loses its whole session (subscriptions, queue, QoS 2 ids), since
 *   what it was cannot be known. Everything else is kept.
 * - A store that lost the end of its WAL, or replaced its marker's store, is
 *   accepted as it is: the marker is rewritten from it.
 * - A store file that is missing or empty where the marker says one was: the
 *   marker is removed, so the broker starts with an empty store.
 * - A store whose SQLite structure is damaged is not repaired in place.
 *
 * The store is copied to `midge.db.before-repair-TIME` before it is changed.
 */
export function repairStore(location: string, now = new Date()): RepairResult {
  const { report, db } = openForTool(location);
  const result: RepairResult = { file: report.file, actions: [], lost: [], backup: undefined };
  if (!db) return resetLostStore(report, result, now);
  try {
    const structural = report.problems.find((p) => p.why.startsWith("SQLite's integrity check"));
    if (structural) throw new StoreToolError(`${report.file} cannot be repaired in place: ${structural.why}. ${structural.fix}`);
    if (report.problems.length === 0 && report.damaged.length === 0) return result;
    if (!report.identity) throw new StoreToolError(`${report.file} has no store id (schema ${report.schema}); start midge on it once to upgrade it`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    result.backup = `${report.file}.before-repair-${stamp(now)}`;
    copyFileSync(report.file, result.backup);
    chmodSync(result.backup, 0o600);
    result.actions.push(`copied the store to ${result.backup} before changing it`);
    const markerCommit = report.marker.kind === 'ok' ? report.marker.identity.commit : 0;
    const commit = Math.max(report.identity.commit, markerCommit) + 1;
    db.transaction(() => {
      dropDamaged(db, report.damaged, result);
      db.prepare("UPDATE meta SET value = ? WHERE key = 'commit_seq'").run(String(commit));
    })();
    for (const p of report.problems) {
      if (p.kind === 'lost-tail') {
        result.lost.push(`commits ${report.identity.commit + 1} to ${markerCommit}, which its WAL no longer holds (what they acknowledged cannot be recovered)`);
      }
      if (p.kind === 'other-store') result.actions.push(`adopted store ${report.identity.id} in place of the marker's`);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    writeMarker(markerFile(report.file), { id: report.identity.id, commit });
    result.actions.push(`wrote the marker ${markerFile(report.file)} (commit ${commit})`);
    return result;
  } finally {
    db.close();
  }
}

/** A store gone or emptied: its marker goes too (or an orphaned -wal is moved aside), so the broker starts afresh. */
function resetLostStore(report: StoreReport, result: RepairResult, now: Date): RepairResult {
  const marker = markerFile(report.file);
  const wal = `${report.file}-wal`;
  if (existsSync(wal)) {
    const aside = `${wal}.orphaned-${stamp(now)}`;
    renameSync(wal, aside);
    result.actions.push(`moved the -wal file without its database to ${aside}`);
  }
  if (existsSync(marker)) {
    unlinkSync(marker);
    result.actions.push(`removed the marker ${marker}: midge will start with an empty store`);
    result.lost.push('everything the store held (it was missing or empty)');
  }
  return result;
}

/** Deletes damaged rows, the deliveries of damaged messages, and whole sessions whose record was damaged. */
function dropDamaged(db: Database.Database, damaged: readonly DamagedRecord[], result: RepairResult): void {
  const lostSessions = new Set<string>();
  for (const d of damaged) {
    if (d.key.length === 0) continue;
    deleteRow(db, d.table, d.key);
    result.lost.push(d.what);
    if (d.table === 'sessions' && d.clientId !== undefined) lostSessions.add(d.clientId);
  }
  for (const clientId of lostSessions) {
    const counts = (['subscriptions', 'deliveries', 'inbound'] as const).map((t) => db.prepare(`DELETE FROM ${t} WHERE client_id = ?`).run(clientId).changes);
    result.lost.push(`the rest of session ${JSON.stringify(clientId)} (its record was damaged): ${counts[0]} subscriptions, `
      + `${counts[1]} queued or in-flight deliveries, ${counts[2]} QoS 2 ids; the client gets a new session when it connects`);
  }
  const orphans = db.prepare('DELETE FROM messages WHERE id NOT IN (SELECT message_id FROM deliveries)').run().changes;
  if (orphans > 0) result.actions.push(`deleted ${orphans} messages no delivery refers to any more`);
  if (damaged.length > 0) result.actions.push(`deleted ${damaged.length} damaged records`);
}

function deleteRow(db: Database.Database, table: RecordTable, key: unknown[]): void {
  const where = ROW_KEY[table].map((k) => `${k} IS ?`).join(' AND ');
  db.prepare(`DELETE FROM ${table} WHERE ${where}`).run(...key);
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
