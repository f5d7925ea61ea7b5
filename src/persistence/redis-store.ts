import type * as IORedisModule from 'ioredis';
import { createRequire } from 'node:module';
import type { ChainableCommander, Redis, RedisOptions } from 'ioredis';
import {
  decodeStoredMessage, encodeStoredMessage, type Logger, type RestoredState, type StoredDelivery, type StoredMessage,
} from '../broker/index.js';
import type { Batch, ClientDelta } from './batch.js';
import { BufferedStore } from './buffered-store.js';
import {
  FIELD, addClientRecords, emptyState, encodeDelivery, encodeSession, encodeSubscription,
} from './redis-records.js';
import { BATCH_SCRIPT } from './redis-store-script.js';

/**
 * ioredis, loaded when the first connection is made rather than with this module:
 * a broker without Redis (the default) does not load it at every start (0.1-0.2 s
 * of CPU, a few percent of a restart on a large store).
 */
function ioredis(): typeof IORedisModule {
  return createRequire(import.meta.url)('ioredis') as typeof IORedisModule;
}

/** How a cluster fences the store's writes: see {@link RedisStoreOptions.fence}. */
export interface StoreFence {
  /** The key of the client's owner record, whose `f` field holds the current owner's token. */
  key(clientId: string): string;
  /** This node's token for the client; undefined when this node does not own it. */
  token(clientId: string): string | undefined;
  /**
   * A key and the value it must hold for a batch to apply (the cluster's
   * generation): a batch that finds otherwise fails with `MIDGELOST`, so nothing
   * is acknowledged as written into a Redis that lost the cluster's state.
   */
  guard?(): { key: string; value: string } | undefined;
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL, or ioredis options (a Sentinel-managed primary: `sentinels` and `name`). */
  url: string | RedisOptions;
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
  /**
   * Cluster: a batch found the guard broken (Redis lost the cluster's state).
   * Resolves once the cluster has claimed its sessions again in Redis; the batch
   * is then written again, with the new tokens.
   */
  onLost?: () => Promise<void>;
  /**
   * Replicas a commit must reach (Redis WAIT) before it resolves, so that a
   * failover cannot lose what was acknowledged on the strength of it; default 0.
   */
  waitReplicas?: number;
  /** Where the store says it waits for replicas. */
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** The connection's name in Redis's CLIENT LIST. */
  connectionName?: string;
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
  /** Retained messages to write back with the staged batch where Redis has none. */
  private restored: StoredMessage[] = [];
  private nextLoadId = 1;
  /** Counts the connection's (re)connections: a WAIT answered on a later one than its write proves nothing. */
  private connections = 0;
  private quitting = false;
  private shuttingDown = false;

  constructor(private readonly options: RedisStoreOptions) {
    super();
    this.prefix = `${options.prefix ?? 'midge:'}store:`;
    this.retainedChannel = `${this.prefix}retained`;
    // Writes wait out a lost connection rather than fail: a failed commit is fatal for
    // a store, and Redis coming back is the common case. The broker refuses what it
    // cannot route meanwhile (the cluster's link state), so nothing is promised.
    const settings: RedisOptions = {
      lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 100, 1000), connectionName: options.connectionName,
      // A connection left on a server that became a replica (after a failover) connects again
      // to the primary and sends the refused command again (a batch applies idempotently).
      reconnectOnError: (err) => (/^(READONLY|UNBLOCKED|WAIT cannot be used with replica)/.test(err.message) ? 2 : false),
    };
    this.redis = typeof options.url === 'string' ? new (ioredis().Redis)(options.url, settings) : new (ioredis().Redis)({ ...options.url, ...settings });
    this.redis.on('error', () => {});
    this.redis.on('ready', () => { this.connections++; });
    // ioredis gives a connection up when a reconnection is interrupted (a Sentinel failover can): take it up again.
    this.redis.on('end', () => {
      if (this.connections > 0 && !this.quitting) setTimeout(() => void this.redis.connect().catch(() => {}), 1000).unref();
    });
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
   * Cluster: writes back retained messages (a node's copy) for the topics that
   * have none in Redis, with the next commit: after Redis lost its data.
   */
  restoreRetained(messages: StoredMessage[]): void {
    if (messages.length === 0) return;
    this.stage();
    this.restored.push(...messages);
  }

  /**
   * One client's records, for the node its client connects to or that adopts it.
   * Each delivery's message gets an id of its own (nodes' ids may collide).
   */
  async loadSession(clientId: string): Promise<RestoredState> {
    const state = emptyState();
    const [fields] = await this.guardedRead((multi) => multi.hgetallBuffer(this.clientKey(clientId))) as [Record<string, Buffer>];
    addClientRecords(state, clientId, fields, undefined, () => this.nextLoadId++);
    return state;
  }

  /** Every retained message with the number of its last change, and the last number given. */
  async loadRetained(): Promise<{ seq: number; retained: NumberedRetained[] }> {
    const [values, seqs, last] = await this.guardedRead((multi) => multi
      .hgetallBuffer(`${this.prefix}retained`)
      .hgetall(`${this.prefix}retained-seqs`)
      .get(`${this.prefix}retained-seq`)) as [Record<string, Buffer>, Record<string, string>, string | null];
    const retained = Object.entries(values).map(([topic, bytes]) => ({ message: decodeStoredMessage(bytes), seq: Number(seqs[topic] ?? 0) }));
    return { seq: Number(last ?? 0), retained };
  }

  protected async openBackend(): Promise<void> {
    this.shuttingDown = false;
    try {
      await this.redis.connect();
    } catch (err) {
      this.redis.disconnect();
      throw new Error(`cannot reach Redis at ${redactedUrl(this.options.url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  override async close(): Promise<void> {
    this.shuttingDown = true;
    await super.close();
  }

  protected async closeBackend(): Promise<void> {
    this.quitting = true;
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
    const staged = { bodies: this.bodies, acks: this.acks, restored: this.restored };
    this.bodies = new Map();
    this.offered = new Map();
    this.acks = [];
    this.restored = [];
    for (let lost = 0; ;) {
      // Encoded at each try: after the cluster rebuilt its state the tokens are new.
      const args = this.batchArgs(batch, staged);
      if (!args) return;
      const connection = this.connections;
      try {
        const fenced = await (this.redis as unknown as BatchCommands).midgeBatch(...args);
        // Written again (every operation is idempotent) when WAIT cannot vouch for this write.
        if (!(await this.replicated(connection))) continue;
        if (Array.isArray(fenced) && fenced.length > 0) this.options.onFenced?.(fenced.map(String));
        return;
      } catch (err) {
        if (!isLost(err) || !this.options.onLost || ++lost > LOST_RETRIES) throw err;
        await this.options.onLost();
      }
    }
  }

  /** The script's arguments for a batch, or undefined when it writes nothing. */
  private batchArgs(batch: Batch, staged: { bodies: Map<string, StoredMessage>; acks: string[]; restored: StoredMessage[] }): Array<string | Buffer> | undefined {
    const guard = this.options.fence?.guard?.();
    const args: Array<string | Buffer> = [this.prefix, guard?.key ?? '', guard?.value ?? ''];
    for (const [clientId, delta] of batch.clients) this.clientOps(args, clientId, delta, staged.bodies);
    const origin = this.options.origin?.() ?? '';
    for (const [topic, m] of batch.retained) args.push('R', topic, m ? encodeStoredMessage(m) : '', origin);
    for (const m of staged.restored) args.push('N', m.topic, encodeStoredMessage(m), origin);
    args.push(...staged.acks);
    return args.length === 3 ? undefined : args;
  }

  /**
   * With `waitReplicas`: waits until that many replicas have the batch (Redis
   * WAIT), however long it takes, saying so once. False when the connection was
   * made again meanwhile: WAIT then answered for a connection that never wrote it.
   */
  private async replicated(connection: number): Promise<boolean> {
    const wanted = this.options.waitReplicas ?? 0;
    if (wanted === 0) return true;
    for (let waits = 0; ; waits++) {
      // Shutting down: a commit no replica confirms fails (it was not acknowledged) rather than hold the exit.
      if (this.shuttingDown && waits >= SHUTDOWN_WAITS) throw new Error(`fewer than ${wanted} Redis replicas confirmed the last commit before shutdown`);
      const count = await this.redis.wait(wanted, WAIT_MS);
      if (this.connections !== connection) return false;
      if (count >= wanted) {
        if (waits > 0) this.options.logger?.info({ replicas: count }, 'redis store: replicas in sync again; commits resume');
        return true;
      }
      if (waits === 0) {
        this.options.logger?.warn({ wanted, inSync: count }, 'redis store: fewer Redis replicas in sync than cluster_wait_replicas asks; commits (and the acknowledgements that wait for them) wait until enough are back');
      }
    }
  }

  /** Reads in one MULTI behind the fence's guard: a Redis that lost the cluster's state fails the read. */
  private async guardedRead(queue: (multi: ChainableCommander) => void): Promise<unknown[]> {
    const guard = this.options.fence?.guard?.();
    const multi = this.redis.multi();
    if (guard) multi.get(guard.key);
    queue(multi);
    const replies = (await multi.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    if (guard && replies[0]?.[1] !== guard.value) throw new Error('MIDGELOST the cluster state in Redis is gone or was replaced');
    return replies.slice(guard ? 1 : 0).map(([, value]) => value);
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

/** How long one Redis WAIT waits for replicas before the store says it is waiting. */
const WAIT_MS = 1000;

/** WAITs a commit may spend on replicas while the store closes (each up to {@link WAIT_MS}). */
const SHUTDOWN_WAITS = 3;

/** Batches that found the cluster's state lost, tried again after each rebuild, before the store gives up. */
const LOST_RETRIES = 5;

/** A script's error reply saying the guard did not hold. */
function isLost(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('MIDGELOST');
}

/** The URL without its password, for messages. */
function redactedUrl(url: string | RedisOptions): string {
  if (typeof url !== 'string') return `the Sentinel-managed primary ${url.name ?? ''} (sentinels ${(url.sentinels ?? []).map((s) => `${s.host}:${s.port}`).join(',')})`;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured URL';
  }
}
