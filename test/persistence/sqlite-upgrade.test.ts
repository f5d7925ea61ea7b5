/**
 * Stores written by an earlier midge open with everything they hold, and keep
 * what their checksums detect. Schema 3 packs the checksum of messages, retained
 * messages and deliveries with their small fields; the stores here are laid out
 * as schema 1 (no checksums) and schema 2 (a `checksum` column, the sums of
 * `rowChecksum`) wrote them, row for row.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { RestoredState } from '../../src/broker/index.js';
import { SqliteStore, storeFile } from '../../src/persistence/index.js';
import { rowChecksum } from '../../src/persistence/row-checksum.js';
import { readContents } from '../../src/persistence/sqlite-read.js';
import { restoreAll } from './store-contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'midge-upgrade-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The tables of schema 1; schema 2 added a `checksum INTEGER` column to each record table. */
const TABLES_V1: Record<string, string> = {
  sessions: 'client_id TEXT PRIMARY KEY, record TEXT NOT NULL, will_payload BLOB',
  subscriptions: `client_id TEXT NOT NULL, filter TEXT NOT NULL, qos INTEGER NOT NULL, no_local INTEGER NOT NULL,
    retain_as_published INTEGER NOT NULL, retain_handling INTEGER NOT NULL, subscription_id INTEGER`,
  messages: `id INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
    properties TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, origin TEXT, confidential INTEGER NOT NULL`,
  deliveries: `client_id TEXT NOT NULL, seq INTEGER NOT NULL, message_id INTEGER NOT NULL, qos INTEGER NOT NULL,
    retain INTEGER NOT NULL, subscription_ids TEXT, packet_id INTEGER, state TEXT NOT NULL`,
  inbound: 'client_id TEXT NOT NULL, packet_id INTEGER NOT NULL',
  retained: `topic TEXT PRIMARY KEY, id INTEGER NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
    properties TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, origin TEXT, confidential INTEGER NOT NULL`,
};
const KEYS: Record<string, string> = {
  sessions: '', subscriptions: ', PRIMARY KEY (client_id, filter)', messages: '', deliveries: ', PRIMARY KEY (client_id, seq)',
  inbound: ', PRIMARY KEY (client_id, packet_id)', retained: '',
};
const WITHOUT_ROWID = new Set(['sessions', 'subscriptions', 'deliveries', 'inbound']);

/** The rows of the old store, each table's values in the order of its columns. */
const ROWS: Record<string, unknown[][]> = {
  sessions: [['sub', JSON.stringify({ protocolVersion: 5, expiryInterval: 3600 }), null]],
  subscriptions: [['sub', 'a/#', 2, 0, 1, 1, 7]],
  messages: [
    [1, 'a/b', Buffer.from('first payload'), 1, 0, JSON.stringify({ contentType: 'text/plain' }), 1_700_000_000_000, null, 'pub', 0],
    [2, 'a/c', Buffer.from('second payload'), 2, 1, null, 1_700_000_000_001, 1_700_000_900_000, null, 1],
  ],
  deliveries: [
    ['sub', 1, 1, 1, 0, '7', null, 'queued'],
    ['sub', 2, 2, 2, 1, null, 12, 'sent'],
    ['sub', 3, 2, 2, 0, '7,9', 13, 'released'],
  ],
  inbound: [['sub', 44]],
  retained: [[3, 'r/1', Buffer.from('retained payload'), 1, 1, null, 1_700_000_000_002, null, 'pub', 0]],
};

/** The columns rows are given in (and summed in, by schema 2): a retained message's as a message's. */
const COLUMN_ORDER: Record<string, string | undefined> = {
  retained: 'id, topic, payload, qos, retain, properties, created_at, expires_at, origin, confidential',
};

/** A store laid out as `schema` (1 or 2) wrote it, with `edit` applied to its rows before they are stored. */
function oldStore(schema: 1 | 2, edit: (table: string, row: unknown[]) => unknown[] = (_t, r) => r): string {
  const location = tempDir();
  const db = new Database(storeFile(location));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(schema));
  if (schema === 2) {
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('store_id', '0123456789abcdef');
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('commit_seq', '5');
  }
  for (const [table, columns] of Object.entries(TABLES_V1)) {
    const checksum = schema === 2 ? ', checksum INTEGER' : '';
    db.exec(`CREATE TABLE ${table} (${columns}${checksum}${KEYS[table]!})${WITHOUT_ROWID.has(table) ? ' WITHOUT ROWID' : ''}`);
    for (const row of ROWS[table]!) {
      const values = schema === 2 ? [...row, rowChecksum(row)] : row;
      const columns = COLUMN_ORDER[table] === undefined ? '' : `(${COLUMN_ORDER[table]!}${schema === 2 ? ', checksum' : ''})`;
      db.prepare(`INSERT INTO ${table} ${columns} VALUES (${values.map(() => '?').join(', ')})`).run(edit(table, values));
    }
  }
  db.close();
  return location;
}

/** What the rows above are to the broker. */
const EXPECTED: RestoredState = {
  sessions: [{ clientId: 'sub', protocolVersion: 5, expiryInterval: 3600, disconnectedAt: undefined, will: undefined, username: undefined }],
  subscriptions: [{ clientId: 'sub', filter: 'a/#', qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 1, subscriptionId: 7 }],
  messages: [
    {
      id: 1, topic: 'a/b', payload: Buffer.from('first payload'), qos: 1, retain: false, properties: { contentType: 'text/plain' },
      createdAt: 1_700_000_000_000, expiresAt: undefined, origin: 'pub', confidential: false,
    },
    {
      id: 2, topic: 'a/c', payload: Buffer.from('second payload'), qos: 2, retain: true, properties: undefined,
      createdAt: 1_700_000_000_001, expiresAt: 1_700_000_900_000, origin: undefined, confidential: true,
    },
  ],
  deliveries: [
    { clientId: 'sub', seq: 1, messageId: 1, qos: 1, retain: false, subscriptionIds: [7], packetId: undefined, state: 'queued' },
    { clientId: 'sub', seq: 2, messageId: 2, qos: 2, retain: true, subscriptionIds: undefined, packetId: 12, state: 'sent' },
    { clientId: 'sub', seq: 3, messageId: 2, qos: 2, retain: false, subscriptionIds: [7, 9], packetId: 13, state: 'released' },
  ],
  inbound: [{ clientId: 'sub', packetId: 44 }],
  retained: [{
    id: 3, topic: 'r/1', payload: Buffer.from('retained payload'), qos: 1, retain: true, properties: undefined,
    createdAt: 1_700_000_000_002, expiresAt: undefined, origin: 'pub', confidential: false,
  }],
};

async function restore(location: string): Promise<RestoredState> {
  const store = new SqliteStore({ location });
  await store.open();
  try {
    return await restoreAll(store);
  } finally {
    await store.close();
  }
}

const schemaOf = (location: string): string => {
  const db = new Database(storeFile(location), { readonly: true });
  try {
    return (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value;
  } finally {
    db.close();
  }
};

describe('stores written by an earlier midge', () => {
  for (const schema of [1, 2] as const) {
    it(`opens a schema ${schema} store with every session, subscription, message, delivery, QoS 2 id and retained message, and again after its upgrade`, async () => {
      const location = oldStore(schema);
      assert.deepEqual(await restore(location), EXPECTED);
      assert.equal(schemaOf(location), '3');
      assert.deepEqual(await restore(location), EXPECTED, 'the upgraded store reads back the same');
    });
  }

  const damage: Array<[string, string, number, unknown, RegExp]> = [
    ['a payload', 'messages', 2, Buffer.from('first pAyload'), /message 1 \(topic "a\/b"\): checksum mismatch/],
    ['a topic', 'messages', 1, 'a/x', /message 1 \(topic "a\/x"\): checksum mismatch/],
    ['properties', 'messages', 5, JSON.stringify({ contentType: 'text/html' }), /message 1 \(topic "a\/b"\): checksum mismatch/],
    ['a QoS', 'messages', 3, 2, /message 1 \(topic "a\/b"\): checksum mismatch/],
    ['a delivery state', 'deliveries', 7, 'released', /delivery "sub" #2 \(message 2\): checksum mismatch/],
    ['a QoS out of range', 'deliveries', 3, 7, /delivery "sub" #2 \(message 2\): checksum mismatch/],
    ['a retained payload', 'retained', 2, Buffer.from('retained pAyload'), /retained message of topic "r\/1": checksum mismatch/],
  ];
  for (const [what, table, column, value, said] of damage) {
    it(`finds ${what} damaged in a schema 2 store, naming the row, as midge store check reads it and once upgraded`, async () => {
      const location = oldStore(2, (t, row) => (t === table && isFirst(table, row) ? row.map((v, i) => (i === column ? value : v)) : row));
      const db = new Database(storeFile(location), { readonly: true });
      try {
        const { damaged } = readContents(db, { schema: 2 });
        assert.match(damaged.map((d) => d.what).join('\n'), said, 'midge store check reads the old store as it is');
      } finally {
        db.close();
      }
      await assert.rejects(restore(location), said, 'restore upgrades it and refuses it');
      await assert.rejects(restore(location), said, 'and refuses it again once upgraded');
    });
  }
});

describe('a store of this midge (schema 3)', () => {
  /** A store with message 1 and its delivery, whose message row `edit` then changes behind the store's back. */
  async function damagedStore(edit: string, ...values: unknown[]): Promise<string> {
    const location = tempDir();
    const store = new SqliteStore({ location });
    await store.open();
    await store.restore();
    store.saveSession(EXPECTED.sessions[0]!);
    store.saveMessage(EXPECTED.messages[0]!);
    store.saveDelivery(EXPECTED.deliveries[0]!);
    await store.close();
    const db = new Database(storeFile(location));
    assert.equal(db.prepare(`UPDATE messages SET ${edit} WHERE id = 1`).run(...values).changes, 1);
    db.close();
    return location;
  }

  const damage: Array<[string, string, unknown[], RegExp]> = [
    ['payload', 'payload = ?', [Buffer.from('first pAyload')], /message 1 \(topic "a\/b"\): checksum mismatch/],
    ['topic', "topic = 'a/x'", [], /message 1 \(topic "a\/x"\): checksum mismatch/],
    ['properties', 'properties = ?', [JSON.stringify({ contentType: 'text/html' })], /message 1 \(topic "a\/b"\): checksum mismatch/],
    ['QoS, packed beside the checksum', 'checksum_flags = checksum_flags + 1', [], /message 1 \(topic "a\/b"\): checksum mismatch/],
    ['checksum', 'checksum_flags = checksum_flags + 16', [], /message 1 \(topic "a\/b"\): checksum mismatch/],
  ];
  for (const [what, edit, values, said] of damage) {
    it(`refuses a store whose message ${what} changed behind its back, and store check names the message`, async () => {
      const location = await damagedStore(edit, ...values);
      const db = new Database(storeFile(location), { readonly: true });
      try {
        assert.match(readContents(db).damaged.map((d) => d.what).join('\n'), said);
      } finally {
        db.close();
      }
      await assert.rejects(restore(location), said);
    });
  }
});

/** The row each damage case changes: message 1, delivery #2, the retained message. */
function isFirst(table: string, row: unknown[]): boolean {
  return table === 'deliveries' ? row[1] === 2 : row[0] === (table === 'retained' ? 3 : 1);
}
