import {
  ClusterUnavailableError, SessionOwnedError, decodeStoredMessage, encodeStoredMessage,
  type ClaimOwner, type ClaimResult, type RestoredState, type StoredWill,
} from '../broker/index.js';
import { describe, isDataLost, signal, sleep, type ClusterContext } from './context.js';
import { encodeRequest, type HandoverRequest } from './envelope.js';
import { stringArray } from './scripts.js';
import { encodeRoute, type RemoteTable } from './table.js';

/** What changed in a local session since its owner record was last written. */
interface Dirty {
  meta: boolean;
  /** Filters to write or delete, or every subscription. */
  subs: Set<string> | 'all';
}

/**
 * One owner per client id, cluster-wide. A CONNECT claims the client id (the epoch
 * goes up in one script, fencing the previous owner), asks the previous owner, if
 * alive, to close its connection and commit the session (it answers through this
 * node's inbox), takes over a dead owner's will, loads the session, then opens
 * it. The owner keeps its records in Redis (connected, will, subscriptions),
 * batched per event-loop turn, and releases the client id when the session ends.
 */
export class Ownership {
  private readonly dirty = new Map<string, Dirty>();
  private scheduled = false;
  /** CONNECTs waiting for a previous owner's answer, by `clientId \0 token`. */
  private readonly waiting = new Map<string, () => void>();

  constructor(private readonly ctx: ClusterContext, private readonly table: RemoteTable) {}

  /** See `ClusterBus.claim`. */
  async claim(clientId: string, clean: boolean, install: (result: ClaimResult) => void, owner?: ClaimOwner): Promise<void> {
    const { ctx } = this;
    if (!ctx.available) throw new ClusterUnavailableError('the cluster cannot be reached: try again later');
    const claimed = signal();
    ctx.claiming.set(clientId, claimed.promise);
    try {
      const ownerArgs = [owner?.identity ?? '', owner?.exclusive ? '1' : '0'];
      const reply = stringArray(await ctx.redis.midgeClaim(ctx.keys.prefix, ctx.generation, clientId, ctx.me, clean ? '1' : '0', ...ownerArgs).catch(unreachable));
      const [token, previous, previousAlive, refused] = reply ?? [];
      if (refused === 'owned') throw new SessionOwnedError();
      if (!token) throw new ClusterUnavailableError('the cluster did not answer the claim');
      ctx.tokens.set(clientId, token);
      let will: StoredWill | undefined;
      if (previous && previous !== ctx.me) {
        if (previousAlive === '1') await this.handOver(previous, { clientId, token, clean, from: ctx.me });
        await ctx.redis.midgeEndHandover(ctx.keys.prefix, ctx.generation, clientId, token).catch(unreachable);
        will = await this.takeWill(clientId);
      }
      // The claim must survive a failover before the client is told it holds the session.
      if (ctx.replication.enabled && !(await ctx.replication.wait())) {
        throw new ClusterUnavailableError('the cluster\'s Redis has fewer replicas in sync than cluster_wait_replicas asks');
      }
      let state: RestoredState | undefined;
      if (!ctx.broker.sessions.get(clientId)) {
        if (clean) ctx.store.deleteSession(clientId);
        else state = await ctx.store.loadSession(clientId);
      }
      this.table.drop(clientId);
      install({ state, will });
      this.changed(clientId, true, 'all');
    } finally {
      ctx.claiming.delete(clientId);
      claimed.resolve();
    }
  }

  /**
   * A message for a client id this node owns but has not loaded (its CONNECT failed
   * after the claim, the link having dropped): the session is loaded, offline, so
   * that nothing addressed to it is dropped.
   */
  async loadOwned(clientId: string): Promise<void> {
    const { ctx } = this;
    await ctx.broker.sessions.exclusive(clientId, async () => {
      if (ctx.broker.sessions.get(clientId) || !ctx.tokens.has(clientId)) return;
      const state = await ctx.store.loadSession(clientId);
      if (ctx.broker.sessions.get(clientId) || !ctx.tokens.has(clientId)) return;
      this.table.drop(clientId);
      const session = ctx.broker.sessions.install(clientId, state, undefined);
      this.changed(clientId, true, session ? 'all' : undefined);
    });
  }

  /** A local session changed: its owner record is written with the next batch. */
  changed(clientId: string, meta: boolean, filter: string | 'all' | undefined): void {
    let d = this.dirty.get(clientId);
    if (!d) {
      d = { meta: false, subs: new Set() };
      this.dirty.set(clientId, d);
    }
    if (meta) d.meta = true;
    if (filter === 'all') d.subs = 'all';
    else if (filter !== undefined && d.subs !== 'all') d.subs.add(filter);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Every local session's record is written again in full (after a lost link). */
  rewriteAll(): void {
    for (const session of this.ctx.broker.sessions.values()) this.changed(session.clientId, true, 'all');
  }

  /** Writes these clients' owner records in full now, link state or not (the node is rebuilding them). */
  async rewrite(clientIds: string[]): Promise<void> {
    for (const clientId of clientIds) this.dirty.delete(clientId);
    await Promise.all(clientIds.map((clientId) => this.write(clientId, { meta: true, subs: 'all' })));
  }

  /** The previous owner answered (the hand-over channel): its state is committed. */
  answered(clientId: string, token: string): void {
    this.waiting.get(`${clientId}\0${token}`)?.();
  }

  /** A will inherited from a dead node (this node now publishes or cancels it). */
  async takeWill(clientId: string): Promise<StoredWill | undefined> {
    const reply = stringArray(await this.ctx.redis.midgeTakeWill(this.ctx.keys.prefix, this.ctx.generation, clientId, this.ctx.me).catch(unreachable));
    if (!reply?.[0]) return undefined;
    try {
      return decodeWill(reply[0]);
    } catch (err) {
      this.ctx.logger.error({ clientId, err: describe(err) }, 'cluster: an inherited will could not be read');
      return undefined;
    }
  }

  /**
   * Asks the previous owner to hand the session over and waits for its answer,
   * its death, or the timeout; after a timeout the previous owner is fenced off
   * and the session resumes from what it committed.
   */
  private async handOver(previous: string, request: HandoverRequest): Promise<void> {
    const { ctx } = this;
    const answered = signal();
    const key = `${request.clientId}\0${request.token}`;
    this.waiting.set(key, answered.resolve);
    try {
      const id = await ctx.redis.midgeRoute(ctx.keys.prefix, ctx.generation, previous, 'h', encodeRequest(request)).catch(unreachable);
      if (id === 0) return;
      const deadline = Date.now() + ctx.timings.handoverTimeoutMs;
      let done = false;
      void answered.promise.then(() => { done = true; });
      while (!done && Date.now() < deadline) {
        await Promise.race([answered.promise, sleep(200)]);
        if (done) return;
        const { keys } = ctx;
        const [handed, alive, sealed] = await Promise.all([
          ctx.redis.exists(keys.handedOver(request.clientId, request.token)), ctx.redis.exists(keys.alive(previous)), ctx.redis.exists(keys.sealed(previous)),
        ]).catch(unreachable);
        // The answer's message may have been missed; its key is not.
        if (handed === 1) return;
        // A dead owner cannot answer: the session resumes from what it committed.
        if (alive === 0 || sealed === 1) return ctx.logger.info({ clientId: request.clientId, previous }, 'cluster: taking over a session from a dead node');
      }
      if (!done) ctx.logger.warn({ clientId: request.clientId, previous }, 'cluster: the previous owner did not hand the session over in time; it is fenced off');
    } finally {
      this.waiting.delete(key);
    }
  }

  /** Writes the turn's changes, all issued at once (one connection keeps them in order). */
  private async flush(): Promise<void> {
    const batch = [...this.dirty];
    this.dirty.clear();
    if (!this.ctx.available) return;
    await Promise.all(batch.map(([clientId, d]) => this.write(clientId, d).catch((err: unknown) => {
      if (isDataLost(err)) return this.ctx.lost();
      this.ctx.logger.warn({ clientId, err: describe(err) }, 'cluster: writing an owner record failed; it is written again when the link is back');
    })));
  }

  private async write(clientId: string, d: Dirty): Promise<void> {
    const { ctx } = this;
    const token = ctx.tokens.get(clientId);
    if (!token) return;
    const session = ctx.broker.sessions.get(clientId);
    if (!session) {
      // Ended: the record goes once the store's commit of the end is through (the
      // store's writes are fenced by this very record).
      await ctx.store.commit();
      if (ctx.broker.sessions.get(clientId) || ctx.tokens.get(clientId) !== token) return;
      await ctx.redis.midgeRelease(ctx.keys.prefix, ctx.generation, clientId, token, ctx.me);
      ctx.tokens.delete(clientId);
      return;
    }
    const args: Array<string | Buffer> = [ctx.keys.prefix, ctx.generation, clientId, token, ctx.me, d.meta ? '1' : '0'];
    args.push(session.link ? '1' : '0', session.durable ? '1' : '0', session.will ? encodeWill(session.will) : '', String(session.disconnectedAt ?? ''));
    args.push(d.subs === 'all' ? '1' : '0');
    const filters = d.subs === 'all' ? session.subscriptions.keys() : d.subs;
    for (const filter of filters) {
      const entry = session.subscriptions.get(filter);
      if (entry) args.push('S', filter, encodeRoute(entry));
      else args.push('D', filter);
    }
    const written = await ctx.redis.midgeSync(...args);
    if (written === 0) ctx.fenced([clientId]);
  }
}

/** A will as the owner record keeps it (`w`). */
export function encodeWill(will: StoredWill): string {
  return JSON.stringify({ d: will.delayInterval, e: will.expiryInterval, m: encodeStoredMessage(will.message).toString('base64') });
}

export function decodeWill(text: string): StoredWill {
  const j = JSON.parse(text) as { d: number; e?: number; m: string };
  return { delayInterval: j.d, expiryInterval: j.e ?? undefined, message: decodeStoredMessage(Buffer.from(j.m, 'base64')) };
}

function unreachable(err: unknown): never {
  throw new ClusterUnavailableError(`the cluster cannot be reached: ${describe(err)}`);
}
