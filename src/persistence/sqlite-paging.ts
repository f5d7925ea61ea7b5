import type Database from 'better-sqlite3';
import type { PagedDeliveries, PagedQueue, PageOutcome, StoredMessage } from '../broker/index.js';
import type { Batch } from './batch.js';
import { decodeDelivery, decodeMessage } from './sqlite-codec.js';
import { COLUMNS } from './sqlite-layout.js';
import { CHECKS, describe, IN_FLIGHT, readChecked, type DamagedRecord } from './sqlite-read.js';
import type { DeliveryRow, MessageRow } from './sqlite-rows.js';

/**
 * Queue paging for the SQLite store (issue 15): queued deliveries stay on disk
 * until their client reads them, and a message is deleted by SQL once no delivery
 * refers to it, so that neither the broker nor the store keeps anything in memory
 * per queued delivery. The index on `deliveries (message_id)` makes "does any
 * delivery still refer to this message" one lookup; a store without it (written
 * by an older midge) gets it at open, and an older midge ignores it.
 */
export function ensurePagingIndex(db: Database.Database): void {
  db.exec('CREATE INDEX IF NOT EXISTS deliveries_by_message ON deliveries (message_id)');
}

/**
 * One pass over the queued deliveries and the messages they refer to, row by row
 * (nothing of them is kept but a count per session): every row is checked against
 * its checksum as a full read would, so a damaged store is still refused at start,
 * and each session's queue is summed up for {@link PagedQueue}.
 */
export function scanQueued(db: Database.Database, damaged: DamagedRecord[], inFlightMessages: readonly StoredMessage[]): PagedQueue[] {
  // Messages in-flight deliveries refer to were read (and checked) with them.
  const sizes = new Map<number, number>(inFlightMessages.map((m) => [m.id, m.payload.length]));
  const badMessages = new Set<unknown>();
  const messageSql = `SELECT ${COLUMNS.messages.join(', ')} FROM messages WHERE id NOT IN (SELECT message_id FROM deliveries WHERE ${IN_FLIGHT})`;
  for (const row of db.prepare(messageSql).raw().iterate() as Iterable<MessageRow>) {
    const problem = CHECKS.messages(row);
    if (problem === undefined && Buffer.isBuffer(row[2])) sizes.set(row[0], row[2].length);
    else {
      badMessages.add(row[0]);
      damaged.push(describe('messages', row, problem ?? 'no payload'));
    }
  }
  const queues: PagedQueue[] = [];
  let current: PagedQueue | undefined;
  const sql = `SELECT ${COLUMNS.deliveries.join(', ')} FROM deliveries WHERE NOT (${IN_FLIGHT}) ORDER BY client_id, seq`;
  for (const row of db.prepare(sql).raw().iterate() as Iterable<DeliveryRow>) {
    const [clientId, seq, messageId] = row;
    const problem = CHECKS.deliveries(row);
    if (problem !== undefined) {
      damaged.push(describe('deliveries', row, problem));
      continue;
    }
    const size = sizes.get(messageId);
    if (size === undefined) {
      const why = `its message ${messageId} is ${badMessages.has(messageId) ? 'damaged' : 'missing'}`;
      damaged.push({ table: 'deliveries', key: [clientId, seq], clientId, what: `delivery ${JSON.stringify(clientId)} #${seq}: ${why}` });
      continue;
    }
    if (current?.clientId !== clientId) {
      current = { clientId, count: 0, bytes: 0, lastSeq: 0, afterSeq: seq - 1 };
      queues.push(current);
    }
    current.count++;
    current.bytes += size;
    current.lastSeq = seq;
  }
  // New deliveries are numbered after every one of the session, in flight ones included.
  const last = db.prepare('SELECT client_id, MAX(seq) FROM deliveries GROUP BY client_id').raw();
  const lastSeqs = new Map(last.all() as [string, number][]);
  for (const q of queues) q.lastSeq = Math.max(q.lastSeq, lastSeqs.get(q.clientId) ?? 0);
  return queues;
}

/**
 * Reads a session's queue back a page at a time: the queued deliveries after a
 * `seq`, in order, with their messages, every row checked against its checksum.
 */
export class QueueReader {
  constructor(private readonly db: Database.Database) {}

  read(clientId: string, afterSeq: number, limit: number): PagedDeliveries & PageOutcome {
    const found: DamagedRecord[] = [];
    const rows = readChecked(this.db, {
      table: 'deliveries', sql: `SELECT ${COLUMNS.deliveries.join(', ')} FROM deliveries WHERE client_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
      params: [clientId, afterSeq, limit], decode: (r: DeliveryRow) => decodeDelivery(r), checksums: true,
    }, found);
    let lastSeq = rows.length > 0 ? rows[rows.length - 1]!.seq : undefined;
    for (const d of found) if (typeof d.key[1] === 'number' && (lastSeq === undefined || d.key[1] > lastSeq)) lastSeq = d.key[1];
    const queued = rows.filter((d) => d.state === 'queued');
    const ids = [...new Set(queued.map((d) => d.messageId))];
    const messages = ids.length === 0 ? [] : readChecked(this.db, {
      table: 'messages', sql: `SELECT ${COLUMNS.messages.join(', ')} FROM messages WHERE id IN (${ids.map(() => '?').join(', ')})`,
      params: ids, decode: (r: MessageRow) => decodeMessage(r), checksums: true,
    }, found);
    const have = new Set(messages.map((m) => m.id));
    const deliveries = queued.filter((d) => {
      if (have.has(d.messageId)) return true;
      found.push({ table: 'deliveries', key: [clientId, d.seq], clientId, what: `delivery ${JSON.stringify(clientId)} #${d.seq}: its message ${d.messageId} is damaged or missing` });
      return false;
    });
    // Each delivery left out once, whether its own row or its message's failed (a damaged message is also listed).
    const skipped = found.filter((d) => d.table === 'deliveries' && d.key.length > 0).length;
    return { deliveries, messages, damaged: found.map((d) => d.what), skipped, lastSeq };
  }
}

/**
 * Deletes messages no delivery refers to any more, in the transaction of the
 * batch that let go of them, so that the store needs no count in memory of which
 * delivery refers to which message. Messages already stored are not written again.
 */
export class MessageCollector {
  private readonly s;

  constructor(db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      exists: p('SELECT 1 FROM messages WHERE id = ?').pluck(),
      ofDelivery: p('SELECT message_id FROM deliveries WHERE client_id = ? AND seq = ?').pluck(),
      ofClient: p('SELECT DISTINCT message_id FROM deliveries WHERE client_id = ?').pluck(),
      dropUnreferenced: p('DELETE FROM messages WHERE id = ? AND NOT EXISTS (SELECT 1 FROM deliveries WHERE message_id = ?)'),
    };
  }

  /** Before the batch is written: the messages it may leave unreferenced; messages already stored leave the batch. */
  candidates(batch: Batch): Set<number> {
    const s = this.s;
    const ids = new Set<number>();
    for (const [clientId, delta] of batch.clients) {
      if (delta.cleared) for (const id of s.ofClient.all(clientId) as number[]) ids.add(id);
      for (const [seq, d] of delta.deliveries) {
        if (d !== null) continue;
        const id = s.ofDelivery.get(clientId, seq) as number | undefined;
        if (id !== undefined) ids.add(id);
      }
    }
    for (const [id, m] of batch.messages) {
      ids.add(id);
      if (m !== null && s.exists.get(id) !== undefined) batch.messages.delete(id);
    }
    return ids;
  }

  /** After the batch is written: deletes the candidates nothing refers to now. */
  collect(ids: Set<number>): void {
    for (const id of ids) this.s.dropUnreferenced.run(id, id);
  }
}
