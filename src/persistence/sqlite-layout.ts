import { DELIVERY_FLAGS_SCALE, DELIVERY_STATES, MESSAGE_FLAGS_SCALE } from './sqlite-rows.js';

/**
 * The tables of a store as schema 3 lays them out, and how rows of every schema
 * are read in that layout. Schema 3 keeps the checksum of messages, retained
 * messages and deliveries packed with their small fields in `checksum_flags`
 * (sqlite-rows.ts); the other tables have a `checksum` column of their own.
 */

/** The tables that hold records, each with a checksum in every row. */
export const RECORD_TABLES = ['sessions', 'subscriptions', 'messages', 'deliveries', 'inbound', 'retained'] as const;
export type RecordTable = (typeof RECORD_TABLES)[number];

/** The tables whose layout schema 3 changed (rebuilt when an older store is upgraded). */
export const PACKED_TABLES = ['messages', 'retained', 'deliveries'] as const;
export type PackedTable = (typeof PACKED_TABLES)[number];

export const TABLES: Record<RecordTable | 'meta', string> = {
  meta: 'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID',
  sessions: 'CREATE TABLE IF NOT EXISTS sessions (client_id TEXT PRIMARY KEY, record TEXT NOT NULL, will_payload BLOB, checksum INTEGER) WITHOUT ROWID',
  subscriptions: `CREATE TABLE IF NOT EXISTS subscriptions (
    client_id TEXT NOT NULL, filter TEXT NOT NULL, qos INTEGER NOT NULL, no_local INTEGER NOT NULL,
    retain_as_published INTEGER NOT NULL, retain_handling INTEGER NOT NULL, subscription_id INTEGER, checksum INTEGER,
    PRIMARY KEY (client_id, filter)) WITHOUT ROWID`,
  messages: `CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL, properties TEXT, created_at INTEGER NOT NULL,
    expires_at INTEGER, origin TEXT, checksum_flags INTEGER)`,
  deliveries: `CREATE TABLE IF NOT EXISTS deliveries (
    client_id TEXT NOT NULL, seq INTEGER NOT NULL, message_id INTEGER NOT NULL, subscription_ids TEXT, packet_id INTEGER,
    checksum_flags INTEGER, PRIMARY KEY (client_id, seq)) WITHOUT ROWID`,
  inbound: 'CREATE TABLE IF NOT EXISTS inbound (client_id TEXT NOT NULL, packet_id INTEGER NOT NULL, checksum INTEGER, PRIMARY KEY (client_id, packet_id)) WITHOUT ROWID',
  retained: `CREATE TABLE IF NOT EXISTS retained (
    topic TEXT PRIMARY KEY, id INTEGER NOT NULL, payload BLOB NOT NULL, properties TEXT, created_at INTEGER NOT NULL,
    expires_at INTEGER, origin TEXT, checksum_flags INTEGER)`,
};

/** Each table's columns in the order of its rows (sqlite-rows.ts): how they are written and read. */
export const COLUMNS: Record<RecordTable, readonly string[]> = {
  sessions: ['client_id', 'record', 'will_payload', 'checksum'],
  subscriptions: ['client_id', 'filter', 'qos', 'no_local', 'retain_as_published', 'retain_handling', 'subscription_id', 'checksum'],
  messages: ['id', 'topic', 'payload', 'properties', 'created_at', 'expires_at', 'origin', 'checksum_flags'],
  deliveries: ['client_id', 'seq', 'message_id', 'subscription_ids', 'packet_id', 'checksum_flags'],
  inbound: ['client_id', 'packet_id', 'checksum'],
  retained: ['id', 'topic', 'payload', 'properties', 'created_at', 'expires_at', 'origin', 'checksum_flags'],
};

/** The primary key columns of each table, to name or delete one row. */
export const ROW_KEY: Record<RecordTable, readonly string[]> = {
  sessions: ['client_id'], subscriptions: ['client_id', 'filter'], messages: ['id'],
  deliveries: ['client_id', 'seq'], inbound: ['client_id', 'packet_id'], retained: ['topic'],
};

/** Where each table keeps its checksum: a column of its own, or above the packed flags (times `scale`). */
export const CHECKSUM_AT: Record<RecordTable, { column: 'checksum' | 'checksum_flags'; scale: number }> = {
  sessions: { column: 'checksum', scale: 1 },
  subscriptions: { column: 'checksum', scale: 1 },
  inbound: { column: 'checksum', scale: 1 },
  messages: { column: 'checksum_flags', scale: MESSAGE_FLAGS_SCALE },
  retained: { column: 'checksum_flags', scale: MESSAGE_FLAGS_SCALE },
  deliveries: { column: 'checksum_flags', scale: DELIVERY_FLAGS_SCALE },
};

/**
 * The query that reads each table's rows as schema 3 lays them out, whatever the
 * store's version (`midge store` reads stores as they are): an older store's
 * separate columns are packed as the upgrade packs them; schema 1 had no checksums.
 */
export function selectRows(schema: number): Record<RecordTable, string> {
  const column = (table: RecordTable, name: string): string => {
    if (schema >= 3) return name;
    if (name === 'checksum_flags') return `${packedFlags(table as PackedTable, schema)} AS checksum_flags`;
    return name === 'checksum' && schema < 2 ? 'NULL AS checksum' : name;
  };
  const select = (table: RecordTable) => `SELECT ${COLUMNS[table].map((c) => column(table, c)).join(', ')} FROM ${table}`;
  return {
    sessions: select('sessions'),
    subscriptions: select('subscriptions'),
    messages: select('messages'),
    deliveries: `${select('deliveries')} ORDER BY client_id, seq`,
    inbound: select('inbound'),
    retained: select('retained'),
  };
}

/** A value that cannot be a row's checksum: for a row whose packed fields were out of range (damaged). */
const spoiled = (inRange: string) => `CASE WHEN ${inRange} THEN checksum ELSE (checksum + 1) % 4294967296 END`;
const QOS = 'CASE WHEN qos IN (0, 1, 2) THEN qos ELSE 3 END';
const STATES = DELIVERY_STATES.map((s) => `'${s}'`).join(', ');
const STATE_CODE = `CASE state ${DELIVERY_STATES.map((s, i) => `WHEN '${s}' THEN ${i * 8}`).join(' ')} ELSE 24 END`;

/**
 * Schema 3's `checksum_flags` from the separate columns of schema 2, or of schema
 * 1 (no checksum: 0 in its place). The checksum is carried over, not recomputed,
 * so that a row damaged before the upgrade is still found damaged after it; a
 * qos or state out of range stays out of range (3), and spoils the checksum.
 */
export function packedFlags(table: PackedTable, schema: number): string {
  if (table === 'deliveries') {
    const sum = schema < 2 ? '0' : spoiled(`qos IN (0, 1, 2) AND retain IN (0, 1) AND state IN (${STATES})`);
    return `${sum} * ${DELIVERY_FLAGS_SCALE} + ${QOS} + (retain != 0) * 4 + ${STATE_CODE}`;
  }
  const sum = schema < 2 ? '0' : spoiled('qos IN (0, 1, 2) AND retain IN (0, 1) AND confidential IN (0, 1)');
  return `${sum} * ${MESSAGE_FLAGS_SCALE} + ${QOS} + (retain != 0) * 4 + (confidential != 0) * 8`;
}
