import { randomUUID } from 'node:crypto';
import { restageSession, toStoredMessage, type Session } from '../broker/index.js';
import { ReasonCode } from '../protocol/index.js';
import { describe, guardedRead, signal, sleep, type ClusterContext } from './context.js';
import type { Membership } from './membership.js';
import type { Ownership } from './ownership.js';
import type { RetainedSync } from './retained-sync.js';
import { stringArray } from './scripts.js';
import type { RemoteTable } from './table.js';

/** The parts a rebuild works through. */
export interface RecoveryParts {
  membership: Membership;
  ownership: Ownership;
  table: RemoteTable;
  retained: RetainedSync;
}

/** How the node's availability is held while it rebuilds (the cluster's readiness hold `redis-rebuilding`). */
export interface AvailabilityHold {
  block(): void;
  unblock(): void;
}

/** What a rebuild did, for its log line. */
interface Outcome {
  reclaimed: Session[];
  /** Sessions another node claimed first in the new generation: they left this node. */
  elsewhere: string[];
  /** Sessions dropped because this node came too late to rebuild (their clients were disconnected). */
  dropped: string[];
  retained: number;
}

/** Client ids listed in one log line; the count says how many there were. */
const LISTED = 20;

/**
 * Redis lost the cluster's state (it restarted without its data, was flushed, or
 * was replaced by an empty one) and the nodes rebuild it from their memory.
 *
 * Every script and guarded read checks the cluster's *generation*, a random id
 * written into an empty Redis, so a node notices at its next heartbeat, route or
 * read (it never takes an empty Redis for a cluster without subscribers). The
 * first node to notice writes a new generation and opens a settling window of
 * `deadAfterMs`; every live node notices within its heartbeat and, refusing QoS
 * 1/2 publishes and CONNECTs meanwhile, joins the new generation, claims again
 * the sessions it holds (never one another node claimed first), writes their
 * owner records and store records in full from memory, writes back its copy of
 * the retained messages where Redis has none, and once the window is over reads
 * everyone's subscriptions and resumes. A node that notices after the window
 * (it was cut off) may have missed messages for its sessions: it drops them and
 * disconnects their clients, as a node declared dead does. What lived in Redis
 * alone is lost: messages waiting in inboxes, sessions of nodes that were down.
 */
export class Recovery {
  private running: Promise<void> | undefined;
  /** Resolves once this node's sessions are claimed in the current generation; store batches wait for it. */
  private claimed = signal();
  private stopped = false;
  /** The generation this node has fully rebuilt into (or started in). */
  private settled = '';
  /**
   * The generation in which this node's sessions are claimed: the store's batches
   * check it, so that none is written with tokens of a generation Redis lost.
   */
  writable = '';
  /** The rebuild in progress: its generation, the end of its settling window, whether it came too late. */
  private target: { generation: string; settleUntil: number; late: boolean; joined: boolean; dropped: string[] } | undefined;
  private readonly fencing = new Set<string>();

  constructor(private readonly ctx: ClusterContext, private readonly parts: RecoveryParts, private readonly hold: AvailabilityHold) {
    this.claimed.resolve();
  }

  get active(): boolean {
    return this.running !== undefined;
  }

  /**
   * At start: the generation Redis holds, or a new one when Redis holds no
   * cluster (new, or emptied: it cannot tell). Returns when the settling window
   * (if one is open) ends: until then the node must not read the others' state.
   */
  async establish(): Promise<number> {
    const { generation, settleMs } = await this.generation();
    this.ctx.generation = this.settled = this.writable = generation;
    if (settleMs > 0) {
      this.ctx.logger.info({ waitMs: settleMs }, 'cluster: Redis holds no cluster state yet (a new Redis, or one that lost its data); waiting for running nodes to write theirs before accepting clients');
    }
    return Date.now() + Math.max(0, settleMs);
  }

  /** Redis lost the cluster's state, or may have: a rebuild starts unless one runs. */
  lost(): void {
    if (this.running || this.stopped) return;
    this.claimed = signal();
    this.hold.block();
    this.ctx.logger.error({ node: this.ctx.me }, 'cluster: Redis lost the cluster\'s state (restarted without its data, flushed, or replaced); QoS 1/2 publishes and CONNECTs are refused while this node writes its sessions again (run Redis with appendonly yes: see docs/cluster.md)');
    this.running = this.rebuild().finally(() => {
      this.running = undefined;
      this.claimed.resolve();
    });
  }

  /** For the store: a batch found the generation gone. Resolves when it may be written again. */
  async storeLost(): Promise<void> {
    this.lost();
    await this.claimed.promise;
  }

  stop(): void {
    this.stopped = true;
    this.claimed.resolve();
  }

  /**
   * Local sessions whose records this node could not write (the store's fence or
   * the owner record said another token). A session another node owns now leaves
   * this node (its connection closed with 0x8E); one whose record is gone or stale
   * (lost in a failover) is claimed again and written in full.
   */
  fenced(clientIds: string[]): void {
    for (const clientId of clientIds) {
      if (this.fencing.has(clientId) || !this.ctx.broker.sessions.get(clientId)) continue;
      this.fencing.add(clientId);
      void this.settleFenced(clientId)
        .catch((err: unknown) => this.ctx.logger.warn({ clientId, err: describe(err) }, 'cluster: finding the owner of a fenced session failed'))
        .finally(() => this.fencing.delete(clientId));
    }
  }

  private async rebuild(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.rebuildOnce();
        break;
      } catch (err) {
        if (attempt % 20 === 0) this.ctx.logger.warn({ err: describe(err) }, 'cluster: rebuilding the cluster state failed; trying again');
        await sleep(500);
      }
    }
    this.hold.unblock();
  }

  private async rebuildOnce(): Promise<void> {
    const { ctx, parts } = this;
    const now = await this.generation();
    // Redis still holds this node's generation: a false alarm.
    if (now.generation === this.settled) return;
    if (this.target?.generation !== now.generation) {
      this.target = { generation: now.generation, settleUntil: Date.now() + now.settleMs, late: now.settleMs <= 0, joined: false, dropped: [] };
    }
    const target = this.target;
    ctx.generation = target.generation;
    if (!target.joined) {
      if (target.late) target.dropped = this.leave();
      ctx.tokens.clear();
      await parts.membership.join();
      target.joined = true;
    }
    const outcome: Outcome = { reclaimed: [], elsewhere: [], dropped: target.dropped, retained: 0 };
    if (!target.late) await this.reclaimAll(outcome);
    // Store batches that found the generation gone are written again from here, with the new tokens.
    this.writable = target.generation;
    this.claimed.resolve();
    await parts.ownership.rewrite(outcome.reclaimed.map((s) => s.clientId));
    for (const clientId of outcome.elsewhere) await this.leftElsewhere(clientId);
    if (!target.late) outcome.retained = this.restage(outcome.reclaimed);
    await ctx.store.commit();
    await sleep(target.settleUntil - Date.now());
    parts.membership.relinked();
    await parts.table.resync();
    await parts.retained.resync();
    this.settled = target.generation;
    this.target = undefined;
    this.report(outcome);
  }

  /** Too late to rebuild: messages for its sessions may have been acknowledged without them. Returns their ids. */
  private leave(): string[] {
    const { ctx, parts } = this;
    const dropped = [...ctx.broker.sessions.values()].map((s) => s.clientId);
    ctx.broker.sessions.dropAll(ReasonCode.UnspecifiedError, 'the cluster lost its state and rebuilt it without this node: reconnect');
    parts.table.clear();
    return dropped;
  }

  /** Claims every local session again (its owner record is written after). */
  private async reclaimAll(outcome: Outcome): Promise<void> {
    for (const session of [...this.ctx.broker.sessions.values()]) {
      const token = await this.reclaim(session.clientId);
      if (token === undefined) outcome.elsewhere.push(session.clientId);
      else outcome.reclaimed.push(session);
    }
  }

  /** The client id claimed again for this node: its token, or undefined when another node owns it. */
  private async reclaim(clientId: string): Promise<string | undefined> {
    const { ctx } = this;
    const token = await ctx.redis.midgeReclaim(ctx.keys.prefix, ctx.generation, clientId, ctx.me);
    if (typeof token !== 'string' && !Buffer.isBuffer(token)) return undefined;
    ctx.tokens.set(clientId, String(token));
    return String(token);
  }

  /** Stages every reclaimed persistent session in full, and the retained messages Redis lacks; returns how many of those. */
  private restage(sessions: Session[]): number {
    const { broker, store } = this.ctx;
    for (const session of sessions) if (session.durable && broker.sessions.get(session.clientId) === session) restageSession(store, session);
    const retained = [...broker.retained.all()].filter((m) => !m.topic.startsWith('$SYS/')).map(toStoredMessage);
    store.restoreRetained(retained);
    return retained.length;
  }

  /** Another node owns the session now: it leaves this node (its connection is closed with 0x8E). */
  private async leftElsewhere(clientId: string): Promise<void> {
    const { ctx, parts } = this;
    const [[err, owner]] = await guardedRead(ctx, (multi) => multi.hget(ctx.keys.client(clientId), 'o'));
    if (err) throw err;
    ctx.tokens.delete(clientId);
    await ctx.broker.sessions.handOver(clientId, false, (session) => parts.table.left(session, String(owner ?? '')));
  }

  private async settleFenced(clientId: string): Promise<void> {
    const { ctx } = this;
    if (!ctx.available) return;
    const [[err, owner]] = await guardedRead(ctx, (multi) => multi.hget(ctx.keys.client(clientId), 'o'));
    if (err) throw err;
    const session = ctx.broker.sessions.get(clientId);
    if (!session) return;
    if (owner && owner !== ctx.me) {
      ctx.logger.warn({ clientId, owner }, 'cluster: another node owns this client id now; the session leaves this node and its connection here is closed (0x8E)');
      await this.leftElsewhere(clientId);
      return;
    }
    if ((await this.reclaim(clientId)) === undefined) return this.leftElsewhere(clientId);
    await this.parts.ownership.rewrite([clientId]);
    if (session.durable) restageSession(ctx.store, session);
    ctx.logger.warn({ clientId }, 'cluster: this session\'s records in Redis were missing or stale (lost in a failover?); claimed again and written in full');
  }

  /** The generation Redis holds (a new one when it holds none) and how long its settling window still runs. */
  private async generation(): Promise<{ generation: string; settleMs: number }> {
    const { ctx } = this;
    const reply = stringArray(await ctx.redis.midgeGeneration(ctx.keys.prefix, randomUUID(), ctx.timings.deadAfterMs));
    if (!reply?.[0]) throw new Error('Redis did not answer with a generation');
    return { generation: reply[0], settleMs: Number(reply[2]) };
  }

  private report(outcome: Outcome): void {
    const { ctx } = this;
    const ids = (list: string[]) => list.slice(0, LISTED);
    const connected = outcome.reclaimed.filter((s) => s.link !== undefined).length;
    if (outcome.dropped.length > 0) {
      ctx.logger.error({ node: ctx.me, dropped: outcome.dropped.length, clientIds: ids(outcome.dropped) }, 'cluster: this node noticed the lost Redis state after the others had rebuilt it: its sessions were dropped and their clients disconnected (they reconnect without a session)');
    }
    if (outcome.elsewhere.length > 0) {
      ctx.logger.warn({ count: outcome.elsewhere.length, clientIds: ids(outcome.elsewhere) }, 'cluster: sessions another node claimed first left this node (their connections here were closed with 0x8E)');
    }
    ctx.logger.warn({
      node: ctx.me, sessions: outcome.reclaimed.length, connected, offline: outcome.reclaimed.length - connected, retained: outcome.retained,
    }, 'cluster: rebuilt this node\'s part of the cluster state in Redis and resumed; lost: whatever lived in Redis alone (messages waiting in inboxes, sessions of nodes that were down)');
  }
}
