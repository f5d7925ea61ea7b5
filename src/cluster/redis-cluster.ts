import type * as IORedisModule from 'ioredis';
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import type { Broker, BrokerMessage, ClaimOwner, ClaimResult, ClusterBus, ClusterLeases, ClusterNodeInfo, Disposer, Session } from '../broker/index.js';
import { defaultTimings, describe, isDataLost, signal, sleep, type ClusterContext, type ClusterStore, type ClusterTimings } from './context.js';
import { Inbox } from './inbox.js';
import { RedisLeases } from './leases.js';
import { ClusterKeys } from './keys.js';
import { Membership } from './membership.js';
import { listNodes } from './node-list.js';
import { Outbox } from './outbox.js';
import { Ownership } from './ownership.js';
import { Recovery } from './recovery.js';
import { Replication } from './replication.js';
import { RetainedSync } from './retained-sync.js';
import { withScripts } from './scripts.js';
import { RemoteTable } from './table.js';
import { ReasonCode } from '../protocol/index.js';

/**
 * ioredis, loaded when the first connection is made rather than with this module:
 * a broker without Redis (the default) does not load it at every start (0.1-0.2 s
 * of CPU, a few percent of a restart on a large store).
 */
function ioredis(): typeof IORedisModule {
  return createRequire(import.meta.url)('ioredis') as typeof IORedisModule;
}

/** Longest wait for a Redis reply (reads block 1 s at most, scripts are short). */
const COMMAND_TIMEOUT_MS = 5000;

/** Options of {@link RedisCluster}. */
export interface RedisClusterOptions extends Partial<ClusterTimings> {
  /**
   * `redis://` or `rediss://` URL, or ioredis options: a Sentinel-managed primary
   * (`sentinels` and `name`) from a `redis+sentinel://` `cluster_redis_url`.
   */
  url: string | RedisOptions;
  /** `cluster_wait_replicas`: replicas what is acknowledged must reach first (Redis WAIT); default 0. */
  waitReplicas?: number;
  /** This node's name (`cluster_node_id`); default `hostname-pid`. */
  nodeId?: string;
  /** Prefix of every key; default `midge:` (the cluster's keys are under `midge:cluster:`). */
  prefix?: string;
}

/**
 * The broker's {@link ClusterBus} over Redis. Every node registers its sessions'
 * subscriptions in Redis and keeps a copy of everyone's in its router, so the
 * node a message is published on decides once who gets it: its own sessions
 * directly, other nodes' through their inbox streams (acknowledged, so a short
 * link drop loses nothing), each PUBACK waiting until those writes succeeded.
 * See docs/cluster.md for the design and what it promises.
 */
export class RedisCluster implements ClusterBus<Broker> {
  readonly nodeId: string;
  readonly keys: ClusterKeys;
  /** This node's fencing token per client id it owns (read by the store's fence). */
  readonly tokens = new Map<string, string>();
  /** For the Redis store: a client's writes carry this node's token and apply only while it is the owner's. */
  readonly fence = {
    key: (clientId: string): string => this.keys.client(clientId),
    token: (clientId: string): string | undefined => this.tokens.get(clientId),
  };
  private readonly timings: ClusterTimings;
  private store: ClusterStore | undefined;
  private ctx: ClusterContext | undefined;
  private connections: Redis[] = [];
  private parts: {
    outbox: Outbox; table: RemoteTable; retained: RetainedSync; ownership: Ownership; inbox: Inbox; membership: Membership;
    recovery: Recovery; replication: Replication;
  } | undefined;
  /** Why the node is unavailable, each with its readiness hold: `redis` (link down), `redis-rebuilding`, `redis-replicas`. */
  private readonly blocks = new Map<string, Disposer>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private relinking = false;
  private nextResync = 0;
  private stopped = false;
  /** Resolved while the events connection is subscribed; replaced when it drops. */
  private subscribed = resolved();

  constructor(private readonly options: RedisClusterOptions) {
    this.nodeId = options.nodeId ?? `${hostname()}-${process.pid}`;
    this.keys = new ClusterKeys(`${options.prefix ?? 'midge:'}cluster:`);
    this.timings = { ...defaultTimings, ...stripUndefined(options) };
  }

  /**
   * For the Redis store: what its batches check before they apply, the generation
   * in which this node's sessions are claimed (none before the node joined).
   */
  guard(): { key: string; value: string } | undefined {
    const value = this.parts?.recovery.writable;
    return value ? { key: this.keys.generation, value } : undefined;
  }

  /** For the Redis store: a batch found the cluster's state lost; resolves when it may be written again. */
  storeLost(): Promise<void> {
    return this.parts?.recovery.storeLost() ?? Promise.resolve();
  }

  /** The store the cluster's sessions and retained messages live in (before {@link start}). */
  attachStore(store: ClusterStore): void {
    this.store = store;
  }

  /** Duties one node holds at a time (a bridge); usable once the node has joined. */
  readonly leases: ClusterLeases = {
    acquire: (name, ttlMs) => {
      if (!this.ctx?.available) return Promise.reject(new Error('the cluster cannot be reached'));
      return new RedisLeases(this.ctx).acquire(name, ttlMs);
    },
  };

  get available(): boolean {
    return this.ctx?.available ?? false;
  }

  /** This node's current incarnation (`nodeId#n`), or '' before it joined. */
  get incarnation(): string {
    return this.ctx?.me ?? '';
  }

  async start(broker: Broker): Promise<void> {
    if (!this.store) throw new Error('the cluster has no store: call attachStore() before start()');
    const store = this.store;
    // Commands fail rather than wait while Redis is away: a publish is refused, not held.
    // A command in flight when the link drops is not resent (a repeated XADD would
    // duplicate a message) but fails at once (maxRetriesPerRequest 0: ioredis would
    // otherwise leave it unanswered until the timeout, and the inbox unread that long).
    const fail = { enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false, commandTimeout: COMMAND_TIMEOUT_MS };
    const cmd = withScripts(this.connect('commands', fail));
    const sub = this.connect('events', {});
    const reader = this.connect('inbox', fail);
    try {
      await Promise.all(this.connections.map((c) => c.connect()));
    } catch (err) {
      for (const c of this.connections) c.disconnect();
      throw new Error(`cannot reach the cluster's Redis: ${describe(err)}`, { cause: err });
    }
    const replication = new Replication(cmd, this.options.waitReplicas ?? 0, this.timings, (degraded, inSync) => this.replicasChanged(degraded, inSync));
    const ctx: ClusterContext = {
      broker, store, redis: cmd, keys: this.keys, timings: this.timings, logger: broker.logger,
      me: '', available: false, linked: true, generation: '', tokens: this.tokens, claiming: new Map(), replication,
      lost: () => this.parts?.recovery.lost(),
      fenced: (clientIds) => this.parts?.recovery.fenced(clientIds),
    };
    this.ctx = ctx;
    const outbox = new Outbox(ctx);
    const table = new RemoteTable(ctx, outbox);
    const retained = new RetainedSync(ctx);
    const ownership = new Ownership(ctx, table);
    outbox.loadOwned = (clientId) => ownership.loadOwned(clientId);
    const inbox = new Inbox(ctx, reader, outbox, table);
    const membership = new Membership(ctx, this.nodeId, inbox, ownership, table, () => this.rejoin());
    const recovery = new Recovery(ctx, { membership, ownership, table, retained }, {
      block: () => this.block('redis-rebuilding'), unblock: () => this.unblock('redis-rebuilding'),
    });
    this.parts = { outbox, table, retained, ownership, inbox, membership, recovery, replication };
    // A Redis that held no cluster: nodes that were running write their state first.
    await sleep(await recovery.establish() - Date.now());
    await membership.join();
    sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.heard(channel.toString(), payload));
    await sub.subscribe(this.keys.events, this.keys.handed, store.retainedChannel);
    await table.resync();
    await retained.resync();
    ctx.available = true;
    cmd.on('close', () => this.linkDown());
    cmd.on('ready', () => void this.linkUp());
    sub.on('ready', () => void this.resubscribed(sub));
    sub.on('close', () => { this.subscribed = signal(); });
    inbox.start();
    membership.start();
    this.nextResync = Date.now() + this.timings.resyncMs;
    this.resyncTimer = setInterval(() => this.periodic(), Math.min(this.timings.resyncMs, this.timings.heartbeatMs));
    this.resyncTimer.unref();
    broker.logger.info({ node: ctx.me, nodes: await cmd.scard(this.keys.nodes) }, 'cluster: joined');
  }

  async stop(): Promise<void> {
    if (this.stopped || !this.ctx || !this.parts) return;
    this.stopped = true;
    this.parts.recovery.stop();
    this.parts.membership.stop();
    this.parts.inbox.stop();
    clearInterval(this.resyncTimer);
    // Survivors adopt this node's sessions at their next look instead of after the heartbeat expires.
    await this.ctx.redis.del(this.keys.alive(this.ctx.me)).catch(() => {});
    this.ctx.available = false;
    for (const c of this.connections) c.disconnect();
  }

  /** The cluster's nodes, for the admin API; rejects while Redis cannot be reached. */
  nodes(): Promise<ClusterNodeInfo[]> {
    if (!this.ctx) return Promise.resolve([]);
    return listNodes(this.ctx);
  }

  claim(clientId: string, clean: boolean, install: (result: ClaimResult) => void, owner?: ClaimOwner): Promise<void> {
    return this.requireParts().ownership.claim(clientId, clean, install, owner);
  }

  sessionChanged(session: Session): void {
    this.parts?.ownership.changed(session.clientId, true, undefined);
  }

  subscriptionChanged(session: Session, filter: string): void {
    this.parts?.ownership.changed(session.clientId, false, filter);
  }

  settled(message: BrokerMessage | undefined): Promise<boolean> | undefined {
    return this.parts?.outbox.settled(message);
  }

  /**
   * The store dropped writes of these clients: their owner records hold another
   * token. Each either belongs to another node now (its session leaves this
   * node) or lost its record (it is claimed again): see `Recovery.fenced`.
   */
  fenced(clientIds: string[]): void {
    this.ctx?.logger.warn({ clientIds: clientIds.slice(0, 20), count: clientIds.length }, 'cluster: writes fenced off: these client ids\' owner records hold another token; finding out who owns them');
    this.parts?.recovery.fenced(clientIds);
  }

  /** The name of this node's connection for `role` in Redis's CLIENT LIST: `midge:<node>:<role>`. */
  connectionName(role: string): string {
    return `midge:${this.nodeId.replace(/[^!-~]/g, '_')}:${role}`;
  }

  private connect(role: string, options: RedisOptions): Redis {
    const base: RedisOptions = {
      lazyConnect: true, connectionName: this.connectionName(role), retryStrategy: (n) => Math.min(n * 100, 1000),
      // After a failover a connection may be left on a server that has become a replica
      // (an old primary that came back): it connects again, to the primary the sentinels name.
      reconnectOnError: (err) => /^(READONLY|UNBLOCKED|WAIT cannot be used with replica)/.test(err.message),
      ...options,
    };
    const url = this.options.url;
    const redis = typeof url === 'string' ? new (ioredis().Redis)(url, base) : new (ioredis().Redis)({ ...url, ...base });
    redis.on('error', () => {});
    // ioredis gives a connection up when a reconnection is interrupted (as a failover can do it): take it up again.
    redis.on('end', () => {
      if (this.ctx && !this.stopped) setTimeout(() => void redis.connect().catch(() => {}), 1000).unref();
    });
    this.connections.push(redis);
    return redis;
  }

  private requireParts(): NonNullable<RedisCluster['parts']> {
    if (!this.parts) throw new Error('the cluster is not started');
    return this.parts;
  }

  private heard(channel: string, payload: Buffer): void {
    const ctx = this.ctx!;
    if (channel === this.keys.events) {
      const at = payload.indexOf(0);
      const writer = payload.toString('utf8', 0, at);
      const clientId = payload.toString('utf8', at + 1);
      // This node's own writes are about sessions it holds: nothing to read back.
      if (writer === ctx.me && (ctx.broker.sessions.get(clientId) || ctx.claiming.has(clientId))) return;
      this.parts!.table.changed(clientId);
    } else if (channel === this.keys.handed) {
      const at = payload.indexOf(0);
      this.parts!.ownership.answered(payload.toString('utf8', 0, at), payload.toString('utf8', at + 1));
    } else {
      this.parts!.retained.announced(payload);
    }
  }

  /** The node stops acknowledging (and turns unready) for `reason` until {@link unblock}. */
  private block(reason: string): void {
    const ctx = this.ctx!;
    if (!this.blocks.has(reason)) this.blocks.set(reason, ctx.broker.readiness.hold(reason));
    ctx.available = false;
  }

  private unblock(reason: string): void {
    const ctx = this.ctx!;
    this.blocks.get(reason)?.();
    this.blocks.delete(reason);
    const was = ctx.available;
    ctx.available = this.blocks.size === 0 && !this.stopped;
    if (!ctx.available || was) return;
    // Owner records written meanwhile were dropped: every local session's is written again.
    this.parts?.ownership.rewriteAll();
    this.holdUntilResumed();
  }

  /**
   * Available again, but not ready until messages routed here are read again and
   * changes of other nodes' sessions are heard: the inbox and events connections
   * come back on their own (a load balancer must not send clients before then).
   */
  private holdUntilResumed(): void {
    const release = this.ctx!.broker.readiness.hold('redis-resuming');
    void Promise.all([this.parts!.inbox.nextRead(), this.subscribed.promise]).then(release);
  }

  private linkDown(): void {
    const ctx = this.ctx!;
    if (this.stopped || this.blocks.has('redis')) return;
    ctx.linked = false;
    this.block('redis');
    ctx.logger.error({}, 'cluster: lost the link to Redis; QoS 1/2 publishes and CONNECTs are refused until it is back');
  }

  /** `cluster_wait_replicas` can no longer be met, or can again. */
  private replicasChanged(degraded: boolean, inSync: number): void {
    const ctx = this.ctx!;
    if (!degraded) {
      this.unblock('redis-replicas');
      ctx.logger.info({ replicas: inSync }, 'cluster: Redis has enough replicas in sync again; acknowledging resumes');
      return;
    }
    this.block('redis-replicas');
    const refusedBy = ctx.replication.refusedBy;
    ctx.logger.error({ wanted: ctx.replication.replicas, inSync, ...refusedBy ? { waitRefused: refusedBy } : {} },
      'cluster: Redis has fewer replicas in sync than cluster_wait_replicas asks; QoS 1/2 publishes and CONNECTs are refused until enough are back');
  }

  /**
   * The events connection is back. What changed while it was away was missed, so
   * once the subscriptions are active again (awaited, not merely sent) the table
   * and the retained copy are read in full.
   */
  private async resubscribed(sub: Redis): Promise<void> {
    const ctx = this.ctx!;
    try {
      await sub.subscribe(this.keys.events, this.keys.handed, ctx.store.retainedChannel);
      this.subscribed.resolve();
      if (!ctx.available) return;
      await this.parts!.table.resync();
      await this.parts!.retained.resync();
    } catch (err) {
      if (isDataLost(err)) return;
      ctx.logger.warn({ err: describe(err) }, 'cluster: reading the cluster again after the events link came back failed');
    }
  }

  /** Back: still a member, in the same generation? Then read the cluster's state again and write this node's. */
  private async linkUp(): Promise<void> {
    const ctx = this.ctx!;
    const parts = this.parts!;
    if (this.stopped || !this.blocks.has('redis') || this.relinking) return;
    this.relinking = true;
    try {
      if (!(await parts.membership.heartbeat())) await this.rejoin();
      ctx.linked = true;
      parts.membership.relinked();
      await parts.table.resync();
      await parts.retained.resync();
      this.unblock('redis');
      ctx.logger.info({ node: ctx.me }, 'cluster: the link to Redis is back');
    } catch (err) {
      if (isDataLost(err)) {
        // The link is back but Redis lost the cluster's state: the rebuild holds the node from here.
        ctx.linked = true;
        ctx.lost();
        this.unblock('redis');
        return;
      }
      ctx.logger.warn({ err: describe(err) }, 'cluster: resuming after a lost link failed; trying again');
    } finally {
      this.relinking = false;
    }
  }

  /** A link that came back while a resume failed is retried; the subscription copy is read in full now and then. */
  private periodic(): void {
    const ctx = this.ctx!;
    const parts = this.parts!;
    if (this.blocks.has('redis')) {
      if (this.connections[0]?.status === 'ready') void this.linkUp();
      return;
    }
    if (this.blocks.has('redis-replicas')) void parts.replication.probe();
    if (!ctx.available || Date.now() < this.nextResync) return;
    this.nextResync = Date.now() + this.timings.resyncMs;
    void parts.table.resync().catch((err: unknown) => {
      if (!isDataLost(err)) ctx.logger.warn({ err: describe(err) }, 'cluster: resync failed');
    });
  }

  /**
   * This node was declared dead (cut off longer than `deadAfterMs`) and its
   * sessions adopted: they are dropped here, without wills or writes, and the
   * node joins again as a new incarnation.
   */
  private async rejoin(): Promise<void> {
    const ctx = this.ctx!;
    const parts = this.parts!;
    ctx.logger.error({ node: ctx.me }, 'cluster: this node was declared dead; dropping its sessions and joining again');
    ctx.broker.sessions.dropAll(ReasonCode.UnspecifiedError, 'this node lost its place in the cluster');
    this.tokens.clear();
    parts.table.clear();
    await parts.membership.join();
    await parts.table.resync();
    await parts.retained.resync();
  }
}

function resolved(): ReturnType<typeof signal> {
  const done = signal();
  done.resolve();
  return done;
}

function stripUndefined(options: Partial<ClusterTimings>): Partial<ClusterTimings> {
  const out: Partial<ClusterTimings> = {};
  for (const key of ['heartbeatMs', 'deadAfterMs', 'handoverTimeoutMs', 'resyncMs'] as const) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  return out;
}
