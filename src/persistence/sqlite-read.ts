import type Database from 'better-sqlite3';
import type { RestoredState, StoredMessage } from '../broker/index.js';
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
export function readContents(db: Database.Database, options: ReadOptions = {}): StoreContents {
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
    retained: [],
  };
  const retained = { table: 'retained', sql: sql.retained, decode: decodeRetained, checksums } as const;
  if (options.onRetained) forEachChecked(db, retained, damaged, options.onRetained);
  else state.retained = readChecked(db, retained, damaged);
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

/**
 * A retained message as the broker keeps it, for as long as its topic keeps it:
 * a small payload is copied into Node's shared buffer pool (as `Buffer.from` does
 * below 4 KiB), because SQLite hands each blob over in a buffer of its own, and
 * 200,000 of those cost V8 a tracked allocation each (some 40 MiB more, and
 * slower collections). A pool chunk stays while any of its messages does.
 */
function decodeRetained(r: MessageRow): StoredMessage {
  const payload = r[2];
  if (Buffer.isBuffer(payload) && payload.length < Buffer.poolSize >>> 1) r[2] = Buffer.from(payload);
  return decodeMessage(r);
}

/** What {@link readContents} reads and how. */
export interface ReadOptions {
  /** The store's version, when it is not the current one. */
  schema?: number;
  /** `leave`: queued deliveries (and the messages only they refer to) stay in the store. */
  queued?: 'read' | 'leave';
  /**
   * Takes each retained message that passed its checks as it is read (`retained`
   * comes back empty): 200,000 retained messages are then never all held as rows
   * or records, only as what the taker makes of them.
   */
  onRetained?: (message: StoredMessage) => void;
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
  forEachChecked(db, how, damaged, (record) => out.push(record));
  return out;
}

/**
 * Each row of a query, checked against its checksum and decoded, handed to `each`
 * as it is read (one statement stepped row by row, each row an array: raw mode),
 * so that nothing of the table is held here. Rows that fail go to `damaged`. When
 * SQLite fails part-way (a damaged page), the rows read before the failure have
 * been handed over and the failure is reported as damage.
 */
export function forEachChecked<R extends Row, T>(
  db: Database.Database, how: TableRead<R, T>, damaged: DamagedRecord[], each: (record: T) => void,
): void {
  const { table, decode, checksums } = how;
  const check = CHECKS[table] as unknown as (r: R) => string | undefined;
  const rows = db.prepare(how.sql).raw().iterate(...(how.params ?? [])) as IterableIterator<R>;
  let read = 0;
  try {
    for (;;) {
      let next: IteratorResult<R>;
      try {
        next = rows.next();
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        damaged.push({ table, key: [], clientId: undefined, what: `table ${table}: only ${read} rows could be read (${why})` });
        return;
      }
      if (next.done) return;
      read++;
      const record = checkedRecord(table, next.value, checksums ? check : undefined, decode, damaged);
      if (record !== DAMAGED) each(record);
    }
  } finally {
    // `each` may throw: the statement is let go of either way.
    rows.return?.();
  }
}

const DAMAGED = Symbol('damaged');

/** A row decoded once it passed its check, or {@link DAMAGED} (reported in `damaged`). */
function checkedRecord<R extends Row, T>(
  table: RecordTable, row: R, check: ((r: R) => string | undefined) | undefined, decode: (r: R) => T, damaged: DamagedRecord[],
): T | typeof DAMAGED {
  const problem = check?.(row);
  if (problem !== undefined) {
    damaged.push(describe(table, row, problem));
    return DAMAGED;
  }
  try {
    return decode(row);
  } catch (err) {
    damaged.push(describe(table, row, err instanceof Error ? err.message : String(err)));
    return DAMAGED;
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
