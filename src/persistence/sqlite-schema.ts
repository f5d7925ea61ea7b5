import type Database from 'better-sqlite3';
import type { Batch, ClientDelta } from './batch.js';
import {
  deliveryParams, messageParams, sessionParams, subscriptionParams, StoreCorruptError,
} from './sqlite-codec.js';

/** Bumped when the tables change; a store written by a newer midge is refused, not guessed at. */
export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (client_id TEXT PRIMARY KEY, record TEXT NOT NULL, will_payload BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscriptions (
  client_id TEXT NOT NULL, filter TEXT NOT NULL, qos INTEGER NOT NULL, no_local INTEGER NOT NULL,
  retain_as_published INTEGER NOT NULL, retain_handling INTEGER NOT NULL, subscription_id INTEGER,
  PRIMARY KEY (client_id, filter)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
  properties TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, origin TEXT, confidential INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
  client_id TEXT NOT NULL, seq INTEGER NOT NULL, message_id INTEGER NOT NULL, qos INTEGER NOT NULL,
  retain INTEGER NOT NULL, subscription_ids TEXT, packet_id INTEGER, state TEXT NOT NULL,
  PRIMARY KEY (client_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbound (client_id TEXT NOT NULL, packet_id INTEGER NOT NULL, PRIMARY KEY (client_id, packet_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retained (
  topic TEXT PRIMARY KEY, id INTEGER NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
  properties TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, origin TEXT, confidential INTEGER NOT NULL);
`;

/** Creates the tables of a new store, or checks that an existing one is of a version we can read. */
export function ensureSchema(db: Database.Database): void {
  db.exec(SCHEMA);
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
  if (row === undefined) {
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    return;
  }
  const version = Number(row.value);
  if (!Number.isInteger(version) || version < 1) throw new StoreCorruptError(`unknown schema version '${row.value}'`);
  if (version > SCHEMA_VERSION) {
    throw new StoreCorruptError(`written by a newer midge (schema ${version}; this one reads up to ${SCHEMA_VERSION})`);
  }
}

/**
 * Applies batches to the database in one transaction: everything or nothing.
 * The statements are prepared once. Used on the main thread, and by the commit
 * worker when there is one.
 */
export class BatchWriter {
  private readonly s;
  private readonly transaction: (batches: Batch[]) => void;

  constructor(db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      clearSession: p('DELETE FROM sessions WHERE client_id = ?'),
      clearSubs: p('DELETE FROM subscriptions WHERE client_id = ?'),
      clearDeliveries: p('DELETE FROM deliveries WHERE client_id = ?'),
      clearInbound: p('DELETE FROM inbound WHERE client_id = ?'),
      putSession: p('INSERT OR REPLACE INTO sessions (client_id, record, will_payload) VALUES (?, ?, ?)'),
      putSub: p(`INSERT OR REPLACE INTO subscriptions (client_id, filter, qos, no_local, retain_as_published, retain_handling, subscription_id)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
      delSub: p('DELETE FROM subscriptions WHERE client_id = ? AND filter = ?'),
      putDelivery: p(`INSERT OR REPLACE INTO deliveries (client_id, seq, message_id, qos, retain, subscription_ids, packet_id, state)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      delDelivery: p('DELETE FROM deliveries WHERE client_id = ? AND seq = ?'),
      putInbound: p('INSERT OR IGNORE INTO inbound (client_id, packet_id) VALUES (?, ?)'),
      delInbound: p('DELETE FROM inbound WHERE client_id = ? AND packet_id = ?'),
      putMessage: p(`INSERT OR REPLACE INTO messages (id, topic, payload, qos, retain, properties, created_at, expires_at, origin, confidential)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      delMessage: p('DELETE FROM messages WHERE id = ?'),
      putRetained: p(`INSERT OR REPLACE INTO retained (id, topic, payload, qos, retain, properties, created_at, expires_at, origin, confidential)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      delRetained: p('DELETE FROM retained WHERE topic = ?'),
    };
    this.transaction = db.transaction((batches: Batch[]) => {
      for (const batch of batches) this.applyBatch(batch);
    });
  }

  /** Writes the batches in order, in one transaction. */
  write(batches: Batch[]): void {
    this.transaction(batches);
  }

  private applyBatch(batch: Batch): void {
    const s = this.s;
    for (const [clientId, delta] of batch.clients) this.applyClient(clientId, delta);
    for (const [id, m] of batch.messages) {
      if (m) s.putMessage.run(messageParams(m));
      else s.delMessage.run(id);
    }
    for (const [topic, m] of batch.retained) {
      if (m) s.putRetained.run(messageParams(m));
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
    if (delta.session) s.putSession.run(sessionParams(delta.session));
    else if (delta.session === null && !delta.cleared) s.clearSession.run(clientId);
    for (const [filter, sub] of delta.subscriptions) {
      if (sub) s.putSub.run(subscriptionParams(sub));
      else if (!delta.cleared) s.delSub.run(clientId, filter);
    }
    for (const [seq, d] of delta.deliveries) {
      if (d) s.putDelivery.run(deliveryParams(d));
      else if (!delta.cleared) s.delDelivery.run(clientId, seq);
    }
    for (const [packetId, add] of delta.inbound) {
      if (add) s.putInbound.run(clientId, packetId);
      else if (!delta.cleared) s.delInbound.run(clientId, packetId);
    }
  }
}
