import type Database from 'better-sqlite3';
import type { Batch, ClientDelta } from './batch.js';
import { randomBytes } from 'node:crypto';
import { rowChecksum } from './row-checksum.js';
import {
  deliveryParams, messageParams, rowValues, sessionParams, subscriptionParams, StoreCorruptError,
} from './sqlite-codec.js';

/**
 * Bumped when the tables change; a store written by a newer midge is refused, not
 * guessed at. 2: every row carries a checksum of its values (`checksum`) and `meta` holds
 * the store's id and the number of its last commit.
 */
export const SCHEMA_VERSION = 2;

/** The tables that hold records, each with its `checksum` column. */
export const RECORD_TABLES = ['sessions', 'subscriptions', 'messages', 'deliveries', 'inbound', 'retained'] as const;
export type RecordTable = (typeof RECORD_TABLES)[number];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (client_id TEXT PRIMARY KEY, record TEXT NOT NULL, will_payload BLOB, checksum INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscriptions (
  client_id TEXT NOT NULL, filter TEXT NOT NULL, qos INTEGER NOT NULL, no_local INTEGER NOT NULL,
  retain_as_published INTEGER NOT NULL, retain_handling INTEGER NOT NULL, subscription_id INTEGER, checksum INTEGER,
  PRIMARY KEY (client_id, filter)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
  properties TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, origin TEXT, confidential INTEGER NOT NULL, checksum INTEGER);
CREATE TABLE IF NOT EXISTS deliveries (
  client_id TEXT NOT NULL, seq INTEGER NOT NULL, message_id INTEGER NOT NULL, qos INTEGER NOT NULL,
  retain INTEGER NOT NULL, subscription_ids TEXT, packet_id INTEGER, state TEXT NOT NULL, checksum INTEGER,
  PRIMARY KEY (client_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbound (client_id TEXT NOT NULL, packet_id INTEGER NOT NULL, checksum INTEGER, PRIMARY KEY (client_id, packet_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retained (
  topic TEXT PRIMARY KEY, id INTEGER NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
  properties TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, origin TEXT, confidential INTEGER NOT NULL, checksum INTEGER);
`;

/** Who a store is and how far it got: kept in `meta` and, beside the file, in its marker. */
export interface StoreIdentity {
  /** Random, made when the store was created. */
  id: string;
  /** Number of the last commit; one more with every group commit. */
  commit: number;
}

/**
 * Creates the tables of a new store, brings a version 1 store to version 2, or
 * checks that an existing one is of a version we can read. Returns the store's
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
    db.exec(SCHEMA);
    if (version === 1) addChecksums(db);
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

/** Version 1 to 2: a `checksum` column in every record table, filled from the rows as they are. */
function addChecksums(db: Database.Database): void {
  for (const table of RECORD_TABLES) {
    db.exec(`ALTER TABLE ${table} ADD COLUMN checksum INTEGER`);
    const values = ROW_VALUES[table] as (r: unknown) => unknown[];
    const key = ROW_KEY[table];
    const update = db.prepare(`UPDATE ${table} SET checksum = ? WHERE ${key.map((k) => `${k} = ?`).join(' AND ')}`);
    for (const row of db.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>) {
      update.run(rowChecksum(values(row)), ...key.map((k) => row[k]));
    }
  }
}

/** How to list the checksummed values of a row of each table. */
export const ROW_VALUES = {
  sessions: rowValues.session, subscriptions: rowValues.subscription, messages: rowValues.message,
  deliveries: rowValues.delivery, inbound: rowValues.inbound, retained: rowValues.message,
} as const;

/** The primary key columns of each table, to name or delete one row. */
export const ROW_KEY: Record<RecordTable, readonly string[]> = {
  sessions: ['client_id'], subscriptions: ['client_id', 'filter'], messages: ['id'],
  deliveries: ['client_id', 'seq'], inbound: ['client_id', 'packet_id'], retained: ['topic'],
};

/** Binds a row's values followed by their checksum. */
function withChecksum(values: unknown[]): unknown[] {
  values.push(rowChecksum(values));
  return values;
}

/**
 * Applies batches to the database in one transaction: everything or nothing.
 * The statements are prepared once. Used on the main thread, and by the commit
 * worker when there is one.
 */
export class BatchWriter {
  private readonly s;
  private readonly transaction: (batches: Batch[], commit: number) => void;

  constructor(db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      clearSession: p('DELETE FROM sessions WHERE client_id = ?'),
      clearSubs: p('DELETE FROM subscriptions WHERE client_id = ?'),
      clearDeliveries: p('DELETE FROM deliveries WHERE client_id = ?'),
      clearInbound: p('DELETE FROM inbound WHERE client_id = ?'),
      putSession: p('INSERT OR REPLACE INTO sessions (client_id, record, will_payload, checksum) VALUES (?, ?, ?, ?)'),
      putSub: p(`INSERT OR REPLACE INTO subscriptions (client_id, filter, qos, no_local, retain_as_published, retain_handling, subscription_id, checksum)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      delSub: p('DELETE FROM subscriptions WHERE client_id = ? AND filter = ?'),
      putDelivery: p(`INSERT OR REPLACE INTO deliveries (client_id, seq, message_id, qos, retain, subscription_ids, packet_id, state, checksum)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      delDelivery: p('DELETE FROM deliveries WHERE client_id = ? AND seq = ?'),
      putInbound: p('INSERT OR IGNORE INTO inbound (client_id, packet_id, checksum) VALUES (?, ?, ?)'),
      delInbound: p('DELETE FROM inbound WHERE client_id = ? AND packet_id = ?'),
      putMessage: p(`INSERT OR REPLACE INTO messages (id, topic, payload, qos, retain, properties, created_at, expires_at, origin, confidential, checksum)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      delMessage: p('DELETE FROM messages WHERE id = ?'),
      putRetained: p(`INSERT OR REPLACE INTO retained (id, topic, payload, qos, retain, properties, created_at, expires_at, origin, confidential, checksum)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      delRetained: p('DELETE FROM retained WHERE topic = ?'),
      putCommit: p("UPDATE meta SET value = ? WHERE key = 'commit_seq'"),
    };
    this.transaction = db.transaction((batches: Batch[], commit: number) => {
      for (const batch of batches) this.applyBatch(batch);
      this.s.putCommit.run(String(commit));
    });
  }

  /**
   * Writes the batches in order, in one transaction that also records `commit`
   * as the number of the store's last commit (see the store's marker).
   */
  write(batches: Batch[], commit: number): void {
    this.transaction(batches, commit);
  }

  private applyBatch(batch: Batch): void {
    const s = this.s;
    for (const [clientId, delta] of batch.clients) this.applyClient(clientId, delta);
    for (const [id, m] of batch.messages) {
      if (m) s.putMessage.run(withChecksum(messageParams(m)));
      else s.delMessage.run(id);
    }
    for (const [topic, m] of batch.retained) {
      if (m) s.putRetained.run(withChecksum(messageParams(m)));
      else s.delRetained.run(topic);
    }
  }

  private applyClient(clientId: string, delta: ClientDelta): void {
    const s = this.s;
    if (delta.cleared) {
      s.clearSession.run(clientId);
      s.clearSubs.run(clientId);
      s.clearDeliveries.run(clientId);
      s.clearInbound.run(clientId);
    }
    if (delta.session) s.putSession.run(withChecksum(sessionParams(delta.session)));
    else if (delta.session === null && !delta.cleared) s.clearSession.run(clientId);
    for (const [filter, sub] of delta.subscriptions) {
      if (sub) s.putSub.run(withChecksum(subscriptionParams(sub)));
      else if (!delta.cleared) s.delSub.run(clientId, filter);
    }
    for (const [seq, d] of delta.deliveries) {
      if (d) s.putDelivery.run(withChecksum(deliveryParams(d)));
      else if (!delta.cleared) s.delDelivery.run(clientId, seq);
    }
    for (const [packetId, add] of delta.inbound) {
      if (add) s.putInbound.run(clientId, packetId, rowChecksum([clientId, packetId]));
      else if (!delta.cleared) s.delInbound.run(clientId, packetId);
    }
  }
}
