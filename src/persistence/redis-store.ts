import { Redis } from 'ioredis';
import {
  decodeStoredMessage, encodeStoredMessage, type RestoredState, type StoredDelivery, type StoredMessage,
} from '../broker/index.js';
import type { Batch, ClientDelta } from './batch.js';
import { BufferedStore } from './buffered-store.js';
import {
  FIELD, addClientRecords, emptyState, encodeDelivery, encodeSession, encodeSubscription,
} from './redis-records.js';
import { BATCH_SCRIPT } from './redis-store-script.js';

/** How a cluster fences the store's writes: see {@link RedisStoreOptions.fence}. */
export interface StoreFence {
  /** The key of the client's owner record, whose `f` field holds the current owner's token. */
  key(clientId: string): string;
  /** This node's token for the client; undefined when this node does not own it. */
  token(clientId: string): string | undefined;
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL. */
  url: string;
  /** Prefix of every key; default `midge:`. */
  prefix?: string;
  /**
   * Cluster: a client's records are written only by its owner. Each client's writes
   * in a batch carry this node's token and are dropped, atomically, when another
   * node has claimed the client since: a node that lost a session can never
   * overwrite what its new owner wrote.
   */
  fence?: StoreFence;
  /** Called with the clients whose writes were fenced off. */
  onFenced?: (clientIds: string[]) => void;
  /** Sent with each retained change on the retained channel, so a node recognizes its own. */
  origin?: () => string;
}

/** A retained message with the number of its last change, for nodes that keep a copy. */
export interface NumberedRetained {
  message: StoredMessage;
  seq: number;
}

interface BatchCommands {
  midgeBatch(...args: Array<string | Buffer>): Promise<unknown>;
}

/**
 * A {@link Store} in Redis, shared by the nodes of a cluster and usable alone. It
 * shares the staging, coalescing and group commit of every backend
 * ({@link BufferedStore}); each batch is one Lua script, so it applies atomically.
 *
 * Each delivery keeps its own copy of its message (`b:<seq>` beside `d:<seq>`):
 * a session's records can then move between nodes, whose message ids differ,
 * without reference counts shared across processes. The price is memory when one
 * message is queued for many offline persistent sessions.
 *
 * Durability is Redis's: with `appendonly yes` and `appendfsync everysec` an
 * acknowledged message survives a Redis restart but may be lost with the
 * machine in the last second; `appendfsync always` closes that window.
 */
export class RedisStore extends BufferedStore {
  readonly name = 'redis';
  readonly prefix: string;
  /** The pub/sub channel announcing retained changes: `seq \0 origin \0 topic \0 bytes` (empty bytes: cleared). */
  readonly retainedChannel: string;
  private readonly redis: Redis;
  /** Messages offered (saveMessage) during the staged batch, by id, for the deliveries that carry them. */
  private offered = new Map<number, StoredMessage>();
  /** Deliveries created during the staged batch, with their message, keyed `clientId \0 seq`. */
  private bodies = new Map<string, StoredMessage>();
  /** Inbox entries to acknowledge with the staged batch. */
  private acks: string[] = [];
  private nextLoadId = 1;

  constructor(private readonly options: RedisStoreOptions) {
    super();
    this.prefix = `${options.prefix ?? 'midge:'}store:`;
    this.retainedChannel = `${this.prefix}retained`;
    // Writes wait out a lost connection rather than fail: a failed commit is fatal for
    // a store, and Redis coming back is the common case. The broker refuses what it
    // cannot route meanwhile (the cluster's link state), so nothing is promised.
    this.redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 100, 1000) });
    this.redis.on('error', () => {});
    this.redis.defineCommand('midgeBatch', { lua: BATCH_SCRIPT, numberOfKeys: 0 });
  }

  override saveMessage(message: StoredMessage): void {
    this.offered.set(message.id, message);
    super.saveMessage(message);
  }

  override saveDelivery(delivery: StoredDelivery): void {
    const message = this.offered.get(delivery.messageId);
    if (message) this.bodies.set(`${delivery.clientId}\0${delivery.seq}`, message);
    super.saveDelivery(delivery);
  }

  /**
   * Cluster: acknowledges (and deletes) an inbox entry in the next commit, the one
   * that holds the deliveries the entry caused: the entry is consumed exactly when
   * its effects are written, so a crash in between neither loses nor repeats it.
   */
  stageAck(stream: string, group: string, id: string): void {
    this.stage();
    this.acks.push('A', stream, group, id);
  }

  /**
   * One client's records, for the node its client connects to or that adopts it.
   * Each delivery's message gets an id of its own (nodes' ids may collide).
   */
  async loadSession(clientId: string): Promise<RestoredState> {
    const state = emptyState();
    const fields = await this.redis.hgetallBuffer(this.clientKey(clientId));
    addClientRecords(state, clientId, fields, undefined, () => this.nextLoadId++);
    return state;
  }

  /** Every retained message with the number of its last change, and the last number given. */
  async loadRetained(): Promise<{ seq: number; retained: NumberedRetained[] }> {
    const [values, seqs, last] = await Promise.all([
      this.redis.hgetallBuffer(`${this.prefix}retained`),
      this.redis.hgetall(`${this.prefix}retained-seqs`),
      this.redis.get(`${this.prefix}retained-seq`),
    ]);
    const retained = Object.entries(values).map(([topic, bytes]) => ({ message: decodeStoredMessage(bytes), seq: Number(seqs[topic] ?? 0) }));
    return { seq: Number(last ?? 0), retained };
  }

  protected async openBackend(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (err) {
      this.redis.disconnect();
      throw new Error(`cannot reach Redis at ${redactedUrl(this.options.url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  protected async closeBackend(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  protected async readBackend(): Promise<RestoredState> {
    const state = emptyState();
    const clients = await this.redis.smembers(`${this.prefix}clients`);
    const pipeline = this.redis.pipeline();
    for (const clientId of clients) pipeline.hgetallBuffer(this.clientKey(clientId));
    const replies = clients.length > 0 ? (await pipeline.exec()) ?? [] : [];
    const seen = new Set<number>();
    replies.forEach(([err, fields], i) => {
      if (err) throw err;
      addClientRecords(state, clients[i]!, fields as Record<string, Buffer>, seen, () => 0);
    });
    const { retained } = await this.loadRetained();
    state.retained = retained.map((r) => r.message);
    return state;
  }

  protected async writeBatch(batch: Batch): Promise<void> {
    const bodies = this.bodies;
    const acks = this.acks;
    this.bodies = new Map();
    this.offered = new Map();
    this.acks = [];
    const args: Array<string | Buffer> = [this.prefix];
    for (const [clientId, delta] of batch.clients) this.clientOps(args, clientId, delta, bodies);
    const origin = this.options.origin?.() ?? '';
    for (const [topic, m] of batch.retained) args.push('R', topic, m ? encodeStoredMessage(m) : '', origin);
    args.push(...acks);
    if (args.length === 1) return;
    const fenced = await (this.redis as unknown as BatchCommands).midgeBatch(...args);
    if (Array.isArray(fenced) && fenced.length > 0) this.options.onFenced?.(fenced.map(String));
  }

  private clientOps(args: Array<string | Buffer>, clientId: string, delta: ClientDelta, bodies: Map<string, StoredMessage>): void {
    const fence = this.options.fence;
    args.push('C', clientId, fence ? fence.key(clientId) : '', fence?.token(clientId) ?? '');
    if (delta.cleared) args.push('X');
    if (delta.session) args.push('S', FIELD.session, encodeSession(delta.session));
    else if (delta.session === null && !delta.cleared) args.push('D', FIELD.session);
    for (const [filter, s] of delta.subscriptions) {
      if (s) args.push('S', FIELD.subscription + filter, encodeSubscription(s));
      else args.push('D', FIELD.subscription + filter);
    }
    for (const [seq, d] of delta.deliveries) {
      if (!d) {
        args.push('D', FIELD.delivery + seq, 'D', FIELD.body + seq);
        continue;
      }
      args.push('S', FIELD.delivery + seq, encodeDelivery(d));
      const body = bodies.get(`${clientId}\0${seq}`);
      if (body) args.push('S', FIELD.body + seq, encodeStoredMessage(body));
    }
    for (const [packetId, add] of delta.inbound) {
      if (add) args.push('S', FIELD.inbound + packetId, '1');
      else args.push('D', FIELD.inbound + packetId);
    }
    args.push('E');
  }

  private clientKey(clientId: string): string {
    return `${this.prefix}c:${clientId}`;
  }
}

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured URL';
  }
}
