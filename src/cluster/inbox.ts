import type { Redis } from 'ioredis';
import { createMessage, type BrokerMessage, type FlowSource } from '../broker/index.js';
import { describe, signal, sleep, type ClusterContext } from './context.js';
import { decodeEnvelope, decodeRequest, type HandoverRequest, type Target } from './envelope.js';
import { INBOX_GROUP } from './keys.js';
import type { Outbox } from './outbox.js';
import type { RemoteTable } from './table.js';

/** One stream entry: its id, kind (`p` messages, `h` hand-over request) and payload. */
interface Entry {
  id: string;
  kind: string;
  payload: Buffer;
}

/** An entry of this node's inbox waiting for a claim of one of its sessions to finish. */
interface Held {
  entry: Entry;
  clients: string[];
}

const BATCH = 256;

/** The epoch of a token `incarnation/epoch`. */
function epochOf(token: string | undefined): number {
  return token === undefined ? 0 : Number(token.slice(token.lastIndexOf('/') + 1));
}

/**
 * This node's inbox: a Redis stream read through a consumer group, so that an
 * entry stays pending until acknowledged and a lost link or a crash loses
 * nothing. Routed messages are delivered to the local sessions they name (matched
 * again against their own subscriptions) and the entry is acknowledged in the
 * store commit that holds those deliveries: consumed exactly when its effects are
 * written. Sessions that moved on are forwarded to their new owner first. An entry
 * for a session this node is still claiming waits aside (later entries for it
 * too, keeping their order) while the others go on. The same code drains the
 * inbox of a dead node whose sessions this node adopted.
 */
export class Inbox implements FlowSource {
  private running = false;
  /** Entries processed (or being processed) whose acknowledgement is not committed yet: a re-read skips them. */
  private readonly processed = new Set<string>();
  private held: Held[] = [];
  /** Callers of {@link nextRead} waiting for a read of the current inbox. */
  private readWaiters: Array<() => void> = [];

  constructor(
    private readonly ctx: ClusterContext, private readonly reader: Redis,
    private readonly outbox: Outbox, private readonly table: RemoteTable,
  ) {}

  /**
   * FlowSource: a local subscriber the inbox delivers to is backlogged. Nothing to
   * pause here: {@link deliver} waits until it is let go before the next entry, so
   * the stream (which holds entries until acknowledged) buffers instead of memory.
   */
  pauseInput(): () => void {
    return () => {};
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
    this.readsDone();
  }

  /**
   * Resolves once the node's current inbox has been read (whether or not it held
   * entries) after this call: messages routed to this node are being taken in.
   */
  nextRead(): Promise<void> {
    return new Promise((resolve) => this.readWaiters.push(resolve));
  }

  /** Processes every entry of a dead node's inbox: those it had read, then the rest. */
  async drain(stream: string): Promise<void> {
    const { redis } = this.ctx;
    let start = '0-0';
    do {
      const reply = await redis.callBuffer('XAUTOCLAIM', [stream, INBOX_GROUP, this.ctx.me, 0, start, 'COUNT', BATCH]) as [Buffer, unknown[]];
      start = reply[0].toString();
      for (const entry of parseEntries(reply[1])) await this.process(stream, entry, false);
    } while (start !== '0-0');
    while (true) {
      const entries = await this.read(redis, stream, '>', false);
      if (entries.length === 0) return;
      for (const entry of entries) await this.process(stream, entry, false);
    }
  }

  private async loop(): Promise<void> {
    // First what was read and not acknowledged before a lost link, from `cursor` on; then new entries.
    let cursor = '0';
    let stream = '';
    while (this.running) {
      const own = this.ctx.keys.inbox(this.ctx.me);
      if (own !== stream) {
        stream = own;
        cursor = '0';
        this.held = [];
      }
      if (!this.ctx.available) {
        cursor = '0';
        await sleep(100);
        continue;
      }
      try {
        await this.releaseHeld(stream);
        const entries = await this.read(this.reader, stream, cursor, true);
        if (stream === this.ctx.keys.inbox(this.ctx.me)) this.readsDone();
        if (cursor !== '>') cursor = entries.length === 0 ? '>' : entries[entries.length - 1]!.id;
        for (const entry of entries) await this.take(stream, entry);
      } catch (err) {
        if (!this.running) return;
        this.ctx.logger.warn({ err: describe(err) }, 'cluster: reading the inbox failed; retrying');
        cursor = '0';
        this.held = [];
        await this.readerBack(500);
      }
    }
  }

  private readsDone(): void {
    const waiting = this.readWaiters;
    this.readWaiters = [];
    for (const resolve of waiting) resolve();
  }

  /** After a failed read: until the reading connection is (re)connected, or `ms` at most. */
  private async readerBack(ms: number): Promise<void> {
    const connected = signal();
    this.reader.once('ready', connected.resolve);
    try {
      await Promise.race([connected.promise, sleep(ms)]);
    } finally {
      this.reader.off('ready', connected.resolve);
    }
  }

  /** An entry of this node's own inbox: processed now, set aside, or (a hand-over) started beside the loop. */
  private async take(stream: string, entry: Entry): Promise<void> {
    const key = `${stream}\0${entry.id}`;
    if (this.processed.has(key) || this.held.some((h) => h.entry.id === entry.id)) return;
    if (entry.kind === 'h') {
      // The session's lock may be held by a CONNECT here; the inbox must not wait for it.
      this.processed.add(key);
      void this.process(stream, entry, true)
        .catch((err: unknown) => this.ctx.logger.warn({ err: describe(err) }, 'cluster: a hand-over failed'))
        .finally(() => this.processed.delete(key));
      return;
    }
    // Decoding the targets costs a little: only when a claim is in progress or entries wait.
    const clients = entry.kind === 'p' && (this.ctx.claiming.size > 0 || this.held.length > 0) ? clientsOf(entry) : [];
    if (this.blocked(clients)) this.held.push({ entry, clients });
    else await this.process(stream, entry, true);
  }

  /** An entry waits while one of its sessions is being claimed here, or an earlier entry for one waits. */
  private blocked(clients: string[]): boolean {
    const { claiming } = this.ctx;
    return clients.some((c) => claiming.has(c) || this.held.some((h) => h.clients.includes(c)));
  }

  /** Processes, in order, the entries set aside whose claims are over. */
  private async releaseHeld(stream: string): Promise<void> {
    const waiting = this.held;
    if (waiting.length === 0) return;
    this.held = [];
    for (const h of waiting) {
      if (this.blocked(h.clients)) this.held.push(h);
      else await this.process(stream, h.entry, true);
    }
  }

  private async read(redis: Redis, stream: string, cursor: string, block: boolean): Promise<Entry[]> {
    const args: Array<string | number> = ['GROUP', INBOX_GROUP, this.ctx.me, 'COUNT', BATCH];
    // Entries set aside are looked at again soon: do not block long while they wait.
    if (block && cursor === '>') args.push('BLOCK', this.held.length > 0 ? 50 : 1000);
    args.push('STREAMS', stream, cursor);
    const reply = await redis.callBuffer('XREADGROUP', args) as Array<[Buffer, unknown[]]> | null;
    return reply && reply[0] ? parseEntries(reply[0][1]) : [];
  }

  private async process(stream: string, entry: Entry, own: boolean): Promise<void> {
    try {
      if (entry.kind === 'p') await this.deliver(stream, entry);
      else if (entry.kind === 'h') await this.handOver(stream, entry, decodeRequest(entry.payload), own);
      else await this.discard(stream, entry.id);
    } catch (err) {
      if (err instanceof TypeError || err instanceof SyntaxError || err instanceof RangeError) {
        this.ctx.logger.error({ stream, id: entry.id, err: describe(err) }, 'cluster: discarding an inbox entry that cannot be read');
        await this.discard(stream, entry.id);
        return;
      }
      throw err;
    }
  }

  /** Routed messages: forward what moved away, deliver the rest here and acknowledge with their commit. */
  private async deliver(stream: string, entry: Entry): Promise<void> {
    const { broker, claiming } = this.ctx;
    let items = decodeEnvelope(entry.payload).map((r) => ({ message: createMessage({ ...r.message, id: undefined }), targets: r.targets }));
    while (true) {
      for (const r of items) for (const t of r.targets) await claiming.get(t.clientId);
      const here = (t: Target) => broker.sessions.get(t.clientId) !== undefined || claiming.has(t.clientId);
      let away = 0;
      for (const r of items) {
        const gone = r.targets.filter((t) => !here(t));
        if (gone.length === 0) continue;
        away++;
        await this.forward(r.message, gone);
        r.targets = r.targets.filter((t) => !gone.includes(t));
      }
      if (away === 0 && items.every((r) => r.targets.every((t) => !claiming.has(t.clientId)))) break;
      items = items.filter((r) => r.targets.length > 0);
    }
    // From here to the acknowledgement nothing awaits: the deliveries and the
    // acknowledgement go into the same store commit.
    for (const r of items) for (const t of r.targets) broker.deliverFromCluster(r.message, t.clientId, t.group, this);
    this.ctx.store.stageAck(stream, INBOX_GROUP, entry.id);
    const key = `${stream}\0${entry.id}`;
    this.processed.add(key);
    this.ctx.store.commit().then(() => this.processed.delete(key), () => {});
    await broker.flow.whenResumed(this);
  }

  private async forward(message: BrokerMessage, targets: Target[]): Promise<void> {
    if (await this.outbox.reroute(message, targets)) return;
    if (!this.ctx.available) throw new Error('the cluster link is down');
    this.ctx.logger.error({ topic: message.topic, clients: targets.map((t) => t.clientId) }, 'cluster: a message could not be forwarded to the new owner of its sessions');
  }

  /**
   * Another node took a client over: close it here, commit, hand over, answer. In a
   * dead node's inbox (`own` false) there is nothing to hand over, only an answer to give.
   */
  private async handOver(stream: string, entry: Entry, request: HandoverRequest, own: boolean): Promise<void> {
    const { broker, tokens, redis, keys, me } = this.ctx;
    const { clientId } = request;
    if (own) {
      const current = () => epochOf(tokens.get(clientId)) < epochOf(request.token);
      await broker.sessions.handOver(clientId, request.clean, (session) => this.table.left(session, request.from), current);
      if (current()) tokens.delete(clientId);
    }
    await redis.midgeHandoverDone(keys.prefix, this.ctx.generation, clientId, me, request.token, stream, entry.id);
  }

  private async discard(stream: string, id: string): Promise<void> {
    await this.ctx.redis.multi().xack(stream, INBOX_GROUP, id).xdel(stream, id).exec();
  }
}

/** The client ids an entry of routed messages is for (empty when it cannot be read: it is discarded later). */
function clientsOf(entry: Entry): string[] {
  try {
    const clients = new Set<string>();
    for (const r of decodeEnvelope(entry.payload)) for (const t of r.targets) clients.add(t.clientId);
    return [...clients];
  } catch {
    return [];
  }
}

/** Stream entries as XREADGROUP / XAUTOCLAIM return them with Buffer replies. */
function parseEntries(raw: unknown[]): Entry[] {
  const entries: Entry[] = [];
  for (const item of raw) {
    // XAUTOCLAIM lists entries deleted meanwhile as [id, null].
    if (!Array.isArray(item) || !Array.isArray(item[1])) continue;
    const fields = item[1] as Buffer[];
    let kind = '';
    let payload: Buffer = Buffer.alloc(0);
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i]!.toString();
      if (name === 'k') kind = fields[i + 1]!.toString();
      else if (name === 'd') payload = fields[i + 1]!;
    }
    entries.push({ id: (item[0] as Buffer).toString(), kind, payload });
  }
  return entries;
}
