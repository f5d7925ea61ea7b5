import type { QoS, RetainHandling } from '../protocol/index.js';
import {
  subscriptionEntry, type BrokerMessage, type Recipient, type Session, type SessionLink, type SubscriptionEntry,
} from '../broker/index.js';
import { describe, guardedRead, type ClusterContext } from './context.js';
import type { Outbox } from './outbox.js';

/** A subscription as the owner record keeps it (`s:<filter>`). */
interface SubscriptionJson {
  q: QoS;
  nl?: 1;
  rap?: 1;
  rh: RetainHandling;
  id?: number;
}

/** The owner record's value for a subscription. */
export function encodeRoute(entry: SubscriptionEntry<Recipient>): string {
  const json: SubscriptionJson = { q: entry.qos, rh: entry.retainHandling };
  if (entry.noLocal) json.nl = 1;
  if (entry.retainAsPublished) json.rap = 1;
  if (entry.subscriptionId !== undefined) json.id = entry.subscriptionId;
  return JSON.stringify(json);
}

/**
 * A session of another node, as this node's router sees it: its subscriptions
 * match here like local ones (shared groups included), and `deliver` sends the
 * message to the node that owns the session instead of queueing it.
 */
export class RemoteSession implements Recipient {
  readonly link: SessionLink | undefined = undefined;
  remoteOnline = false;
  /** The incarnation that owns the session. */
  owner = '';
  readonly entries = new Map<string, { raw: string; entry: SubscriptionEntry<Recipient> }>();

  constructor(readonly clientId: string, private readonly outbox: Outbox) {}

  deliver(message: BrokerMessage, _qos: QoS, _retain: boolean, _ids: number[] | undefined, group?: { group: string }): void {
    // $SYS describes each node itself: it never leaves the node.
    if (message.topic.startsWith('$SYS/')) return;
    this.outbox.enqueue(this.owner, message, this.clientId, group?.group);
  }
}

/**
 * This node's copy of the cluster's subscriptions: a stand-in in the broker's
 * router for every session another node owns. Owner records are read again when
 * the events channel names them (in the order asked, on one connection, so the
 * last read is the newest) and in full at start, after a lost link, and every
 * `resyncMs` to repair anything missed.
 */
export class RemoteTable {
  private readonly remote = new Map<string, RemoteSession>();
  private readonly pending = new Set<string>();
  private scheduled = false;

  constructor(private readonly ctx: ClusterContext, private readonly outbox: Outbox) {}

  /** Stand-ins held (sessions of other nodes with subscriptions). */
  get size(): number {
    return this.remote.size;
  }

  /** The events channel named a client: its record is read again soon. */
  changed(clientId: string): void {
    this.pending.add(clientId);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.fetch().catch((err: unknown) => this.ctx.logger.warn({ err: describe(err) }, 'cluster: reading owner records failed'));
    });
  }

  /** Reads every owner record and rebuilds the stand-ins. */
  async resync(): Promise<void> {
    const { keys } = this.ctx;
    const [[err, ids]] = await guardedRead(this.ctx, (multi) => multi.smembers(keys.clients)) as Array<[Error | null, string[]]>;
    if (err) throw err;
    const records = await this.read(ids);
    const present = new Set(ids);
    ids.forEach((id, i) => this.apply(id, records[i]));
    for (const id of [...this.remote.keys()]) if (!present.has(id)) this.drop(id);
  }

  /** Removes a client's stand-in (its session is about to be installed here). */
  drop(clientId: string): void {
    const stub = this.remote.get(clientId);
    if (!stub) return;
    this.remote.delete(clientId);
    for (const filter of stub.entries.keys()) this.ctx.broker.router.remove(stub, filter);
  }

  /** Removes every stand-in (the node left the cluster). */
  clear(): void {
    for (const id of [...this.remote.keys()]) this.drop(id);
  }

  /** A local session moved to `owner`: its subscriptions route there from now on. */
  left(session: Session, owner: string): void {
    const fields: Record<string, string> = { o: owner, on: '1' };
    for (const [filter, entry] of session.subscriptions) fields[`s:${filter}`] = encodeRoute(entry);
    this.install(session.clientId, fields);
  }

  private async fetch(): Promise<void> {
    const ids = [...this.pending];
    this.pending.clear();
    const records = await this.read(ids);
    ids.forEach((id, i) => this.apply(id, records[i]));
  }

  /**
   * Owner records, read behind the generation check (an emptied Redis is never
   * taken for records that ended), in transactions short enough not to hold Redis up.
   */
  private async read(ids: string[]): Promise<Array<Record<string, string> | undefined>> {
    const records: Array<Record<string, string> | undefined> = [];
    for (let at = 0; at < ids.length; at += READ_CHUNK) {
      const replies = await guardedRead(this.ctx, (multi) => {
        for (const id of ids.slice(at, at + READ_CHUNK)) multi.hgetall(this.ctx.keys.client(id));
      });
      for (const [err, fields] of replies) records.push(err ? undefined : fields as Record<string, string>);
    }
    return records;
  }

  /** Brings the stand-in of a client in line with its owner record (undefined: could not be read). */
  private apply(clientId: string, fields: Record<string, string> | undefined): void {
    if (!fields) return;
    const { broker, me, claiming } = this.ctx;
    // A local session is the truth about itself; one being claimed keeps routing to its old owner until installed.
    if (broker.sessions.get(clientId) || claiming.has(clientId)) return;
    if (!fields.o || fields.o === me) return this.drop(clientId);
    this.install(clientId, fields);
  }

  private install(clientId: string, fields: Record<string, string>): void {
    let stub = this.remote.get(clientId);
    if (!stub) {
      stub = new RemoteSession(clientId, this.outbox);
      this.remote.set(clientId, stub);
    }
    stub.owner = fields.o!;
    stub.remoteOnline = fields.on === '1';
    const router = this.ctx.broker.router;
    for (const filter of [...stub.entries.keys()]) {
      if (fields[`s:${filter}`] === undefined) {
        router.remove(stub, filter);
        stub.entries.delete(filter);
      }
    }
    for (const [field, raw] of Object.entries(fields)) {
      if (!field.startsWith('s:')) continue;
      const filter = field.slice(2);
      if (stub.entries.get(filter)?.raw === raw) continue;
      const entry = routeEntry(stub, filter, raw);
      if (!entry) continue;
      router.add(entry);
      stub.entries.set(filter, { raw, entry });
    }
    if (stub.entries.size === 0) this.remote.delete(clientId);
  }
}

/** Owner records read in one transaction. */
const READ_CHUNK = 1000;

/** A router entry for a stand-in; undefined for a value that does not parse. */
function routeEntry(stub: RemoteSession, filter: string, raw: string): SubscriptionEntry<Recipient> | undefined {
  let json: SubscriptionJson;
  try {
    json = JSON.parse(raw) as SubscriptionJson;
  } catch {
    return undefined;
  }
  return subscriptionEntry(stub, filter, {
    qos: json.q, noLocal: json.nl === 1, retainAsPublished: json.rap === 1, retainHandling: json.rh, subscriptionId: json.id,
  });
}
