import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { StoreCorruptError } from './sqlite-codec.js';
import {
  CHECKSUM_AT, COLUMNS, PACKED_TABLES, packedFlags, RECORD_TABLES, ROW_KEY, TABLES, type RecordTable,
} from './sqlite-layout.js';
import { rowSums } from './sqlite-rows.js';

/**
 * Bumped when the tables change; a store written by a newer midge is refused, not
 * guessed at. 2: every row carries a checksum of its values (`checksum`) and `meta` holds
 * the store's id and the number of its last commit. 3: messages, retained messages and
 * deliveries hold their checksum and their small fields (qos, retain, confidential,
 * state) packed in one integer, `checksum_flags` (see sqlite-layout.ts); the checksums
 * themselves are those of schema 2.
 */
export const SCHEMA_VERSION = 3;

/** Who a store is and how far it got: kept in `meta` and, beside the file, in its marker. */
export interface StoreIdentity {
  /** Random, made when the store was created. */
  id: string;
  /** Number of the last commit; one more with every group commit. */
  commit: number;
}

/**
 * Creates the tables of a new store, brings a version 1 or 2 store to version 3,
 * or checks that an existing one is of a version we can read. Returns the store's
 * identity (made now for a new or version 1 store, and then checkpointed into the
 * database file, so that it never lives in the WAL alone). `existing`: the store
 * is known to have been used (its marker says so), so one without tables is a
 * lost store, not a new one, and nothing is written to it.
 */
export function ensureSchema(db: Database.Database, existing = false): StoreIdentity {
  const hadMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  if (!hadMeta && existing) throw new StoreCorruptError('it holds no midge tables, though its marker says it was used');
  const version = hadMeta ? schemaVersion(db) : undefined;
  if (version !== undefined && version > SCHEMA_VERSION) {
    throw new StoreCorruptError(`written by a newer midge (schema ${version}; this one reads up to ${SCHEMA_VERSION})`);
  }
  db.transaction(() => {
    db.exec(Object.values(TABLES).join(';\n'));
    if (version === 1 || version === 2) upgrade(db, version);
    const put = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    if (version !== SCHEMA_VERSION) put.run('schema_version', String(SCHEMA_VERSION));
    if (readMeta(db, 'store_id') === undefined) put.run('store_id', randomBytes(8).toString('hex'));
    if (readMeta(db, 'commit_seq') === undefined) put.run('commit_seq', '0');
  })();
  if (version !== SCHEMA_VERSION) db.pragma('wal_checkpoint(TRUNCATE)');
  const commit = Number(readMeta(db, 'commit_seq'));
  if (!Number.isSafeInteger(commit) || commit < 0) throw new StoreCorruptError(`its commit number is unreadable (${readMeta(db, 'commit_seq')})`);
  return { id: readMeta(db, 'store_id')!, commit };
}

function schemaVersion(db: Database.Database): number | undefined {
  const text = readMeta(db, 'schema_version');
  if (text === undefined) return undefined;
  const version = Number(text);
  if (!Number.isInteger(version) || version < 1) throw new StoreCorruptError(`unknown schema version '${text}'`);
  return version;
}

function readMeta(db: Database.Database, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

/**
 * Version 1 or 2 to 3. The tables with packed fields are rebuilt in SQL, row for
 * row (see {@link packedFlags}: version 2's checksums are carried over); version
 * 1 had no checksums, so its rows get them from what they hold now.
 */
function upgrade(db: Database.Database, version: 1 | 2): void {
  if (version === 1) for (const table of ['sessions', 'subscriptions', 'inbound']) db.exec(`ALTER TABLE ${table} ADD COLUMN checksum INTEGER`);
  for (const table of PACKED_TABLES) {
    const columns = COLUMNS[table].filter((c) => c !== 'checksum_flags').join(', ');
    db.exec(`ALTER TABLE ${table} RENAME TO ${table}_old`);
    db.exec(TABLES[table]);
    db.exec(`INSERT INTO ${table} (${columns}, checksum_flags) SELECT ${columns}, ${packedFlags(table, version)} FROM ${table}_old`);
    db.exec(`DROP TABLE ${table}_old`);
  }
  if (version === 1) for (const table of RECORD_TABLES) addChecksums(db, table);
}

/** The sum of a row's values, per table (see {@link rowSums}). */
const ROW_SUMS = {
  sessions: rowSums.session, subscriptions: rowSums.subscription, messages: rowSums.message,
  deliveries: rowSums.delivery, inbound: rowSums.inbound, retained: rowSums.message,
} as const;

/** Fills in the checksum of every row of `table` from the values it holds; packed flags are in place already. */
function addChecksums(db: Database.Database, table: RecordTable): void {
  const sumOf = ROW_SUMS[table] as (r: unknown[]) => number;
  const { column, scale } = CHECKSUM_AT[table];
  const at = COLUMNS[table].indexOf(column);
  const key = ROW_KEY[table];
  const update = db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key.map((k) => `${k} = ?`).join(' AND ')}`);
  const rows = db.prepare(`SELECT ${COLUMNS[table].join(', ')}, ${key.join(', ')} FROM ${table}`).raw().all() as unknown[][];
  const width = COLUMNS[table].length;
  for (const row of rows) {
    const flags = scale === 1 ? 0 : Number(row[at]);
    update.run(sumOf(row) * scale + flags, ...row.slice(width));
  }
}
