import type Database from 'better-sqlite3';
import type { RestoredState } from '../broker/index.js';
import { rowChecksum } from './row-checksum.js';
import {
  decodeDelivery, decodeMessage, decodeSession, decodeSubscription,
  type DeliveryRow, type InboundRow, type MessageRow, type SessionRow, type SubscriptionRow,
} from './sqlite-codec.js';
import { ROW_KEY, ROW_VALUES, type RecordTable } from './sqlite-schema.js';

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

type Row = Record<string, unknown> & { checksum: number | null };

/**
 * Reads every record and checks each against its checksum [the store's own
 * rule, see row-checksum.ts]. Nothing is left out silently: a row that fails is
 * reported in `damaged`, and so is a delivery whose message is missing or damaged.
 */
export function readContents(db: Database.Database, options: { checksums?: boolean } = {}): StoreContents {
  const damaged: DamagedRecord[] = [];
  const checksums = options.checksums ?? true;
  const read = <R, T>(table: RecordTable, sql: string, decode: (r: R) => T, clientOf: (r: R) => unknown): T[] => {
    const out: T[] = [];
    const values = ROW_VALUES[table] as (r: R) => unknown[];
    for (const row of readRows(db, table, sql, damaged) as Array<R & Row>) {
      const problem = checksums ? rowProblem(row, values) : undefined;
      if (problem === undefined) {
        try {
          out.push(decode(row));
          continue;
        } catch (err) {
          damaged.push(describe(table, row, clientOf(row), err instanceof Error ? err.message : String(err)));
          continue;
        }
      }
      damaged.push(describe(table, row, clientOf(row), problem));
    }
    return out;
  };
  const byClient = (r: { client_id?: unknown }) => r.client_id;
  const state: RestoredState = {
    sessions: read<SessionRow, RestoredState['sessions'][number]>('sessions', 'SELECT * FROM sessions', decodeSession, byClient),
    subscriptions: read('subscriptions', 'SELECT * FROM subscriptions', (r: SubscriptionRow) => decodeSubscription(r), byClient),
    messages: read('messages', 'SELECT * FROM messages', (r: MessageRow) => decodeMessage(r), () => undefined),
    deliveries: read('deliveries', 'SELECT * FROM deliveries ORDER BY client_id, seq', (r: DeliveryRow) => decodeDelivery(r), byClient),
    inbound: read('inbound', 'SELECT * FROM inbound', (r: InboundRow) => ({ clientId: r.client_id, packetId: r.packet_id }), byClient),
    retained: read('retained', 'SELECT * FROM retained', (r: MessageRow) => decodeMessage(r), () => undefined),
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

/**
 * All rows of a table. When SQLite fails part-way (a damaged page), the rows
 * read before the failure are kept and the failure is reported as damage.
 */
function readRows(db: Database.Database, table: RecordTable, sql: string, damaged: DamagedRecord[]): unknown[] {
  const statement = db.prepare(sql);
  try {
    return statement.all();
  } catch (err) {
    const rows: unknown[] = [];
    try {
      for (const row of statement.iterate()) rows.push(row);
    } catch {
      // What was read before the failure is kept; the failure is reported below.
    }
    const why = err instanceof Error ? err.message : String(err);
    damaged.push({ table, key: [], clientId: undefined, what: `table ${table}: only ${rows.length} rows could be read (${why})` });
    return rows;
  }
}

function rowProblem<R>(row: R & Row, values: (r: R) => unknown[]): string | undefined {
  if (typeof row.checksum !== 'number') return 'no checksum';
  return rowChecksum(values(row)) === row.checksum ? undefined : 'checksum mismatch';
}

function describe(table: RecordTable, row: Row, clientId: unknown, problem: string): DamagedRecord {
  const key = ROW_KEY[table].map((k) => row[k]);
  return { table, key, clientId: typeof clientId === 'string' ? clientId : undefined, what: `${recordName(table, row)}: ${problem}` };
}

/** A row as people name it, e.g. `message 12 (topic "a/b")`. */
function recordName(table: RecordTable, row: Row): string {
  const q = (v: unknown) => JSON.stringify(typeof v === 'string' ? v : String(v));
  switch (table) {
    case 'sessions': return `session ${q(row.client_id)}`;
    case 'subscriptions': return `subscription ${q(row.client_id)} ${q(row.filter)}`;
    case 'messages': return `message ${String(row.id)} (topic ${q(row.topic)})`;
    case 'deliveries': return `delivery ${q(row.client_id)} #${String(row.seq)} (message ${String(row.message_id)})`;
    case 'inbound': return `inbound QoS 2 id ${String(row.packet_id)} of ${q(row.client_id)}`;
    case 'retained': return `retained message of topic ${q(row.topic)}`;
  }
}
