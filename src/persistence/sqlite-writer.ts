import type Database from 'better-sqlite3';
import type { Batch, ClientDelta } from './batch.js';
import { inboundSum } from './row-checksum.js';
import { fillDeliveryRow, fillMessageRow, sessionRow, subscriptionRow } from './sqlite-codec.js';
import { COLUMNS, type RecordTable } from './sqlite-layout.js';

/** `INSERT OR <conflict> INTO table (its columns) VALUES (?, ...)`, in the order of the table's rows. */
function insert(table: RecordTable, conflict: 'REPLACE' | 'IGNORE' = 'REPLACE'): string {
  const columns = COLUMNS[table];
  return `INSERT OR ${conflict} INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}

/**
 * Applies batches to the database in one transaction: everything or nothing.
 * The statements are prepared once, and the rows of messages and deliveries,
 * which every durable publish writes, are filled into arrays reused from row to
 * row. Used on the main thread, and by the commit worker when there is one.
 */
export class BatchWriter {
  private readonly s;
  private readonly transaction: (batches: Batch[], commit: number) => void;
  private readonly messageRow: unknown[] = COLUMNS.messages.map(() => null);
  private readonly deliveryRow: unknown[] = COLUMNS.deliveries.map(() => null);

  constructor(db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      clearSession: p('DELETE FROM sessions WHERE client_id = ?'),
      clearSubs: p('DELETE FROM subscriptions WHERE client_id = ?'),
      clearDeliveries: p('DELETE FROM deliveries WHERE client_id = ?'),
      clearInbound: p('DELETE FROM inbound WHERE client_id = ?'),
      putSession: p(insert('sessions')),
      putSub: p(insert('subscriptions')),
      delSub: p('DELETE FROM subscriptions WHERE client_id = ? AND filter = ?'),
      putDelivery: p(insert('deliveries')),
      delDelivery: p('DELETE FROM deliveries WHERE client_id = ? AND seq = ?'),
      putInbound: p(insert('inbound', 'IGNORE')),
      delInbound: p('DELETE FROM inbound WHERE client_id = ? AND packet_id = ?'),
      putMessage: p(insert('messages')),
      delMessage: p('DELETE FROM messages WHERE id = ?'),
      putRetained: p(insert('retained')),
      delRetained: p('DELETE FROM retained WHERE topic = ?'),
      putCommit: p("UPDATE meta SET value = ? WHERE key = 'commit_seq'"),
    };
    this.transaction = db.transaction((batches: Batch[], commit: number) => {
      for (const batch of batches) this.applyBatch(batch);
      this.s.putCommit.run(commit);
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
    const row = this.messageRow;
    for (const [clientId, delta] of batch.clients) this.applyClient(clientId, delta);
    for (const [id, m] of batch.messages) {
      if (!m) {
        s.delMessage.run(id);
        continue;
      }
      fillMessageRow(row, m);
      s.putMessage.run(row);
    }
    for (const [topic, m] of batch.retained) {
      if (!m) {
        s.delRetained.run(topic);
        continue;
      }
      fillMessageRow(row, m);
      s.putRetained.run(row);
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
    if (delta.session) s.putSession.run(sessionRow(delta.session));
    else if (delta.session === null && !delta.cleared) s.clearSession.run(clientId);
    for (const [filter, sub] of delta.subscriptions) {
      if (sub) s.putSub.run(subscriptionRow(sub));
      else if (!delta.cleared) s.delSub.run(clientId, filter);
    }
    const row = this.deliveryRow;
    for (const [seq, d] of delta.deliveries) {
      if (d) {
        fillDeliveryRow(row, d);
        s.putDelivery.run(row);
      } else if (!delta.cleared) {
        s.delDelivery.run(clientId, seq);
      }
    }
    for (const [packetId, add] of delta.inbound) {
      if (add) s.putInbound.run(clientId, packetId, inboundSum(clientId, packetId));
      else if (!delta.cleared) s.delInbound.run(clientId, packetId);
    }
  }
}
