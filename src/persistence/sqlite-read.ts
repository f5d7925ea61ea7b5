import type Database from 'better-sqlite3';
import type { RestoredState } from '../broker/index.js';
import { decodeDelivery, decodeMessage, decodeSession, decodeSubscription } from './sqlite-codec.js';
import { COLUMNS, ROW_KEY, selectRows, type RecordTable } from './sqlite-layout.js';
import {
  DELIVERY_FLAGS_SCALE, heldChecksum, MESSAGE_FLAGS_SCALE, rowSums,
  type DeliveryRow, type InboundRow, type MessageRow, type SessionRow, type SubscriptionRow,
} from './sqlite-rows.js';
import { SCHEMA_VERSION } from './sqlite-schema.js';

/** A record that cannot be trusted: its checksum does not match, it cannot be decoded, or what it refers to is gone. */
export interface DamagedRecord {
  table: RecordTable;
  /** The row's primary key values, as stored (they may be the damaged part). */
  key: unknown[];
  /** The client the row belongs to, when the row says so. */
  clientId: string | undefined;
  /** One line for people, e.g. `message 12 (topic "a/b"): checksum mismatch`. */
  what: string;
}

/** What a store holds, with the records that failed their checks set apart. */
export interface StoreContents {
  /** Every record that passed its checks (deliveries only with their message). */
  state: RestoredState;
  damaged: DamagedRecord[];
}

type Row = unknown[];

/**
 * Reads every record and checks each against its checksum [the store's own
 * rule, see row-checksum.ts]. Nothing is left out silently: a row that fails is
 * reported in `damaged`, and so is a delivery whose message is missing or damaged.
 * `schema`: the store's version, when it is not the current one (`midge store`
 * reads stores as they are); version 1 has no checksums to check.
 */
export function readContents(db: Database.Database, options: { schema?: number; queued?: 'read' | 'leave' } = {}): StoreContents {
  const damaged: DamagedRecord[] = [];
  const schema = options.schema ?? SCHEMA_VERSION;
  const checksums = schema >= 2;
  const sql = selectRows(schema);
  if (options.queued === 'leave') {
    // Queued deliveries and the messages only they refer to stay in the store (queue paging, sqlite-paging.ts).
    sql.messages = `${sql.messages} WHERE id IN (SELECT message_id FROM deliveries WHERE ${IN_FLIGHT})`;
    sql.deliveries = `SELECT ${COLUMNS.deliveries.join(', ')} FROM deliveries WHERE ${IN_FLIGHT} ORDER BY client_id, seq`;
  }
  const read = <R extends Row, T>(table: RecordTable, decode: (r: R) => T): T[] =>
    readChecked(db, { table, sql: sql[table], decode, checksums }, damaged);
  const state: RestoredState = {
    sessions: read('sessions', decodeSession),
    subscriptions: read('subscriptions', decodeSubscription),
    messages: read('messages', decodeMessage),
    deliveries: read('deliveries', decodeDelivery),
    inbound: read('inbound', (r: InboundRow) => ({ clientId: r[0], packetId: r[1] })),
    retained: read('retained', decodeMessage),
  };
  const messages = new Set(state.messages.map((m) => m.id));
  const damagedMessages = new Set(damaged.filter((d) => d.table === 'messages').map((d) => d.key[0]));
  state.deliveries = state.deliveries.filter((d) => {
    if (messages.has(d.messageId)) return true;
    damaged.push({
      table: 'deliveries', key: [d.clientId, d.seq], clientId: d.clientId,
      what: `delivery ${JSON.stringify(d.clientId)} #${d.seq}: its message ${d.messageId} is ${damagedMessages.has(d.messageId) ? 'damaged' : 'missing'}`,
    });
    return false;
  });
  return { state, damaged };
}

/** Schema 3: deliveries that are not simply queued (sent, or released), by the state packed in `checksum_flags`. */
export const IN_FLIGHT = '((COALESCE(checksum_flags, 0) >> 3) & 3) != 0';

/** How to read rows of one table: the query (columns in the table's order) and how a row becomes a record. */
export interface TableRead<R extends Row, T> {
  table: RecordTable;
  sql: string;
  decode: (r: R) => T;
  checksums: boolean;
  params?: unknown[];
}

/** Rows of a query, each checked against its checksum and decoded; those that fail go to `damaged`. */
export function readChecked<R extends Row, T>(db: Database.Database, how: TableRead<R, T>, damaged: DamagedRecord[]): T[] {
  const out: T[] = [];
  const { table, decode } = how;
  const check = CHECKS[table] as unknown as (r: R) => string | undefined;
  for (const row of readRows(db, table, how.sql, damaged, how.params) as R[]) {
    const problem = how.checksums ? check(row) : undefined;
    if (problem === undefined) {
      try {
        out.push(decode(row));
        continue;
      } catch (err) {
        damaged.push(describe(table, row, err instanceof Error ? err.message : String(err)));
        continue;
      }
    }
    damaged.push(describe(table, row, problem));
  }
  return out;
}

/**
 * All rows of a table, each an array of its values (raw mode: cheaper than an
 * object per row). When SQLite fails part-way (a damaged page), the rows read
 * before the failure are kept and the failure is reported as damage.
 */
function readRows(db: Database.Database, table: RecordTable, sql: string, damaged: DamagedRecord[], params: unknown[] = []): unknown[] {
  const statement = db.prepare(sql).raw();
  try {
    return statement.all(...params);
  } catch (err) {
    const rows: unknown[] = [];
    try {
      for (const row of statement.iterate(...params)) rows.push(row);
    } catch {
      // What was read before the failure is kept; the failure is reported below.
    }
    const why = err instanceof Error ? err.message : String(err);
    damaged.push({ table, key: [], clientId: undefined, what: `table ${table}: only ${rows.length} rows could be read (${why})` });
    return rows;
  }
}

/**
 * Each table's check of a row: the checksum it holds against the sum of its
 * values; undefined when they match. One function per table, so that each
 * reads one shape of row (this runs for every row at start-up).
 */
export const CHECKS = {
  sessions: (r: SessionRow) => verdict(r[3], 1, rowSums.session(r)),
  subscriptions: (r: SubscriptionRow) => verdict(r[7], 1, rowSums.subscription(r)),
  messages: (r: MessageRow) => verdict(r[7], MESSAGE_FLAGS_SCALE, rowSums.message(r)),
  deliveries: (r: DeliveryRow) => verdict(r[5], DELIVERY_FLAGS_SCALE, rowSums.delivery(r)),
  inbound: (r: InboundRow) => verdict(r[2], 1, rowSums.inbound(r)),
  retained: (r: MessageRow) => verdict(r[7], MESSAGE_FLAGS_SCALE, rowSums.message(r)),
};

/** `held`: the checksum column, or the packed column with the checksum above `scale`. */
function verdict(held: unknown, scale: number, sum: number): string | undefined {
  if (typeof held !== 'number') return 'no checksum';
  return heldChecksum(held, scale) === sum ? undefined : 'checksum mismatch';
}

export function describe(table: RecordTable, row: Row, problem: string): DamagedRecord {
  const value = (column: string) => row[COLUMNS[table].indexOf(column)];
  const key = ROW_KEY[table].map(value);
  const clientId = table === 'messages' || table === 'retained' ? undefined : value('client_id');
  return { table, key, clientId: typeof clientId === 'string' ? clientId : undefined, what: `${recordName(table, value)}: ${problem}` };
}

/** A row as people name it, e.g. `message 12 (topic "a/b")`. */
function recordName(table: RecordTable, value: (column: string) => unknown): string {
  const q = (v: unknown) => JSON.stringify(typeof v === 'string' ? v : String(v));
  switch (table) {
    case 'sessions': return `session ${q(value('client_id'))}`;
    case 'subscriptions': return `subscription ${q(value('client_id'))} ${q(value('filter'))}`;
    case 'messages': return `message ${String(value('id'))} (topic ${q(value('topic'))})`;
    case 'deliveries': return `delivery ${q(value('client_id'))} #${String(value('seq'))} (message ${String(value('message_id'))})`;
    case 'inbound': return `inbound QoS 2 id ${String(value('packet_id'))} of ${q(value('client_id'))}`;
    case 'retained': return `retained message of topic ${q(value('topic'))}`;
  }
}
