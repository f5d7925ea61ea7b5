import { describe, isDataLost, signal, type ClusterContext } from './context.js';
import type { Inbox } from './inbox.js';
import type { Ownership } from './ownership.js';
import { stringArray } from './scripts.js';
import type { RemoteTable } from './table.js';

/** How long a reaper may take before another node may take over the job. */
const REAP_LOCK_MS = 60_000;

/**
 * Who is in the cluster. Each node says it is alive every `heartbeatMs` (a key
 * that expires after `deadAfterMs`). Every node looks for incarnations whose key
 * expired; exactly one survivor (a lock taken atomically with the check) seals the
 * dead one, so that it can never write again, adopts its sessions (publishing
 * their wills, with their delays) and drains its inbox. A node that finds itself
 * sealed was cut off too long: it drops its sessions and joins again.
 */
export class Membership {
  private timer: NodeJS.Timeout | undefined;
  private beating = false;
  private reaping = false;
  /** After a lost link, others get time to say they are alive before anyone is reaped. */
  private reapNotBefore = 0;

  constructor(
    private readonly ctx: ClusterContext, private readonly nodeId: string,
    private readonly inbox: Inbox, private readonly ownership: Ownership, private readonly table: RemoteTable,
    private readonly onSealed: () => Promise<void>,
  ) {}

  /** Joins as a new incarnation `nodeId#n` with an empty inbox. */
  async join(): Promise<void> {
    const { redis, keys, timings, me } = this.ctx;
    const last = me === '' ? 0 : Number(me.slice(me.lastIndexOf('#') + 1));
    this.ctx.me = String(await redis.midgeJoin(keys.prefix, this.ctx.generation, this.nodeId, last, timings.deadAfterMs));
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.ctx.timings.heartbeatMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The link came back: reaping waits until live nodes have had time to say so. */
  relinked(): void {
    this.reapNotBefore = Date.now() + this.ctx.timings.deadAfterMs;
  }

  /** Says this node is alive; false when it was declared dead meanwhile. */
  async heartbeat(): Promise<boolean> {
    const { redis, keys, timings } = this.ctx;
    const answer = await redis.midgeHeartbeat(keys.prefix, this.ctx.generation, this.ctx.me, timings.deadAfterMs);
    if (answer === 2) this.ctx.logger.error({ node: this.ctx.me }, 'cluster: this node\'s inbox or its consumer group was missing from Redis (deleted by hand?); created again: entries that were in it are lost');
    return answer !== 0;
  }

  /** Heartbeat, and reaping beside it: a long adoption must not stop this node's own heartbeat. */
  private async tick(): Promise<void> {
    // Unavailable (rebuilding, too few replicas) is not dead: it beats while the link is up.
    if (this.beating || !this.ctx.linked) return;
    this.beating = true;
    try {
      if (!(await this.heartbeat())) return await this.onSealed();
    } catch (err) {
      if (isDataLost(err)) return this.ctx.lost();
      return this.ctx.logger.warn({ err: describe(err) }, 'cluster: heartbeat failed');
    } finally {
      this.beating = false;
    }
    if (this.reaping || !this.ctx.available || Date.now() < this.reapNotBefore) return;
    this.reaping = true;
    this.reapDead()
      .catch((err: unknown) => this.ctx.logger.warn({ err: describe(err) }, 'cluster: reaping a dead node failed; another try follows'))
      .finally(() => { this.reaping = false; });
  }

  private async reapDead(): Promise<void> {
    const { redis, keys, me } = this.ctx;
    for (const node of await redis.smembers(keys.nodes)) {
      if (node === me) continue;
      if ((await redis.midgeReap(keys.prefix, this.ctx.generation, node, me, REAP_LOCK_MS)) !== 1) continue;
      this.ctx.logger.warn({ node }, 'cluster: a node died; adopting its sessions');
      await this.adopt(node);
    }
  }

  /**
   * Takes over a dead incarnation: each session it owned (compare-and-set, so a
   * client that reconnected elsewhere meanwhile keeps its new owner) with its will,
   * then every message still in its inbox.
   */
  private async adopt(dead: string): Promise<void> {
    const { redis, keys, broker, store } = this.ctx;
    const clients = await redis.smembers(keys.owned(dead));
    let adopted = 0;
    for (const clientId of clients) {
      if (await broker.sessions.exclusive(clientId, () => this.adoptOne(dead, clientId))) adopted++;
    }
    await this.inbox.drain(keys.inbox(dead));
    await store.commit();
    await redis.midgeForget(keys.prefix, this.ctx.generation, dead);
    this.ctx.logger.info({ node: dead, sessions: adopted }, 'cluster: adopted the sessions of a dead node');
  }

  private async adoptOne(dead: string, clientId: string): Promise<boolean> {
    const { ctx } = this;
    const done = signal();
    ctx.claiming.set(clientId, done.promise);
    try {
      const reply = stringArray(await ctx.redis.midgeAdopt(ctx.keys.prefix, ctx.generation, clientId, dead, ctx.me));
      if (!reply?.[0]) return false;
      ctx.tokens.set(clientId, reply[0]);
      const will = await this.ownership.takeWill(clientId);
      const state = reply[1] === '1' ? await ctx.store.loadSession(clientId) : undefined;
      this.table.drop(clientId);
      // A session that is not persistent ended with its node: install publishes its will and it is released.
      const session = ctx.broker.sessions.install(clientId, state, will);
      this.ownership.changed(clientId, true, session ? 'all' : undefined);
      return true;
    } finally {
      ctx.claiming.delete(clientId);
      done.resolve();
    }
  }
}
