import type { ProtocolVersion } from '../protocol/index.js';
import { createMessage, type BrokerMessage } from './message.js';
import type { MqttConnection } from './mqtt-connection.js';
import { redistributeShared } from './routing.js';
import { SessionOwnedError } from './ports/cluster.js';
import type { SessionLink } from './ports/session-link.js';
import type { RestoredState, StoredWill } from './ports/store.js';
import { subscriptionEntry } from './router/types.js';
import { Session, type Delivery, type SessionLimits } from './session.js';
import { sessionLimits, type SessionHost, type SessionRequest } from './session-host.js';
import { fromStoredMessage } from './stored.js';
import { LongTimer } from './timers.js';
import { ReasonCode } from '../protocol/index.js';

export type { SessionHost, SessionRequest } from './session-host.js';

const NEVER_EXPIRES = 0xffffffff;

const noop = (): void => {};

/** The identity a session is recorded as belonging to, cluster-wide: the user name, or one for all anonymous clients. */
function ownerIdentity(username: string | undefined): string {
  return username === undefined ? '-' : `=${username}`;
}

/** The message a will becomes when it is published: a new message, its expiry counted from now. */
function willMessage(will: StoredWill): BrokerMessage {
  const now = Date.now();
  return createMessage({
    ...will.message,
    id: undefined,
    createdAt: now,
    expiresAt: will.expiryInterval === undefined ? undefined : now + will.expiryInterval * 1000,
  });
}

interface SessionTimers {
  will?: LongTimer;
  expiry?: LongTimer;
}

/**
 * Owns every session: opening and resuming them at CONNECT, taking over a client
 * id that is still connected, wills on connection loss (with v5 delay), expiry,
 * and the session's records in the store.
 */
export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly timers = new Map<Session, SessionTimers>();
  /** Cluster: per client id, the tail of the CONNECTs and hand-overs waiting for it. */
  private readonly locks = new Map<string, Promise<void>>();

  constructor(private readonly broker: SessionHost) {}

  get size(): number {
    return this.sessions.size;
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  values(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** The limits of a session on this link (a bridge's local session takes them at each connection). */
  limitsFor(link: SessionLink | undefined): SessionLimits {
    return sessionLimits(this.broker.options.limits, link);
  }

  /**
   * Opens the session for a CONNECT. A client id already connected is taken over:
   * the old connection is closed (v5: DISCONNECT Session taken over) [MQTT-3.1.4-3]. Clean Start
   * discards an existing session [MQTT-3.1.2-4]; otherwise it resumes [MQTT-3.1.2-5].
   */
  open(link: MqttConnection | SessionLink | undefined, req: SessionRequest): { session: Session; present: boolean } {
    const existing = this.sessions.get(req.clientId);
    if (existing) this.takeOver(existing, req.clean);
    const present = existing !== undefined && !req.clean && existing.expiryInterval > 0;
    if (existing && !present) this.end(existing, false);
    const limits = this.limitsFor(link);
    const session = present ? existing : this.create(req.clientId, req.protocolVersion, req.expiryInterval, limits);
    const wasStored = session.durable;
    session.protocolVersion = req.protocolVersion;
    session.expiryInterval = req.expiryInterval;
    session.username = req.username;
    session.will = req.will;
    session.limits = limits;
    if (session.durable) this.broker.store!.saveSession(session.record());
    else if (wasStored) this.broker.store!.deleteSession(session.clientId);
    this.broker.options.cluster?.sessionChanged(session);
    return { session, present };
  }

  /**
   * Why a CONNECT by `username` may not open the session of `clientId`, or undefined:
   * with `sessionOwner: 'user'` a session (connected or not, persistent or not)
   * belongs to the identity that opened it, so another user can neither read its
   * queue, nor close its connection, nor discard it with Clean Start. Anonymous
   * clients are one identity. Call once the client is authenticated (in a cluster,
   * once the session is claimed, so that it is here).
   */
  refusalFor(clientId: string, username: string | undefined): string | undefined {
    if (this.broker.options.sessionOwner === 'client_id') return undefined;
    const existing = this.sessions.get(clientId);
    if (existing === undefined || existing.username === username) return undefined;
    return new SessionOwnedError().message;
  }

  /** v5 DISCONNECT may change the expiry (section 3.14.2.2.2). */
  setExpiry(session: Session, expiryInterval: number): void {
    const wasStored = session.durable;
    session.expiryInterval = Math.min(expiryInterval, this.broker.options.limits.maxSessionExpiryInterval);
    if (session.durable) this.broker.store!.saveSession(session.record());
    else if (wasStored) this.broker.store!.deleteSession(session.clientId);
    this.broker.options.cluster?.sessionChanged(session);
  }

  /** Replaces the will of a connected session (MQTT-SN WILLTOPICUPD / WILLMSGUPD). */
  setWill(session: Session, will: StoredWill | undefined): void {
    session.will = will;
    if (session.durable) this.broker.store!.saveSession(session.record());
    this.broker.options.cluster?.sessionChanged(session);
  }

  /**
   * The session's connection ended. Unless it ended gracefully the will goes out
   * now, or after its delay, or when the session ends, whichever is first
   * [MQTT-3.1.2-8]. A session with expiry 0 ends now [MQTT-3.1.2-23].
   */
  connectionLost(session: Session, graceful: boolean): void {
    session.detach(Date.now());
    redistributeShared(this.broker.access, session);
    if (graceful) session.will = undefined;
    const will = session.will;
    // Timers are made only for what waits: a clean session's disconnect makes none (issue 19).
    if (will && (will.delayInterval === 0 || session.expiryInterval === 0)) {
      this.publishWill(session);
    } else if (will) {
      this.timersOf(session).will = new LongTimer(will.delayInterval * 1000, () => this.publishWill(session));
    }
    if (session.expiryInterval === 0) {
      this.end(session, false);
      return;
    }
    if (session.durable) this.broker.store!.saveSession(session.record());
    this.broker.options.cluster?.sessionChanged(session);
    if (session.expiryInterval !== NEVER_EXPIRES) {
      this.timersOf(session).expiry = new LongTimer(session.expiryInterval * 1000, () => this.end(session, true));
    }
  }

  /** Ends a session: will (if still pending), subscriptions, queues and its record go. */
  end(session: Session, expired: boolean): void {
    this.cancelTimers(session);
    if (!session.link) redistributeShared(this.broker.access, session);
    if (session.will && !session.link) this.publishWill(session);
    // subscriptionCount first: the `subscriptions` getter makes the map of a session that has none.
    if (session.subscriptionCount > 0) for (const filter of [...session.subscriptions.keys()]) this.broker.unsubscribe(session, filter);
    session.clearQueues();
    if (session.durable) this.broker.store!.deleteSession(session.clientId);
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
    this.broker.options.cluster?.sessionChanged(session);
    if (expired) this.broker.stats.expiredSessions++;
    if (this.broker.hooks.has('sessionEnded')) this.broker.hooks.emit('sessionEnded', { clientId: session.clientId, expired });
  }

  /** Rebuilds sessions from the store at boot; each is offline, as after a lost connection. */
  restore(state: RestoredState): void {
    for (const session of this.load(state, false)) this.resumeOffline(session);
  }

  /**
   * Cluster: CONNECT for a client id. Makes this node the session's owner (the
   * cluster closes a connection on another node and has its state handed over),
   * installs what the previous owner left, and returns the release of the client
   * id's lock, to call once the session is opened: CONNECTs and hand-overs of one
   * client id on one node run one at a time. Without a cluster, nothing to do.
   * Rejects with `ClusterUnavailableError` when the cluster cannot be reached, and
   * with `SessionOwnedError` when the session belongs to another user than
   * `username` (`session_owner user`): then no node's session or connection is touched.
   */
  async acquire(clientId: string, clean: boolean, username: string | undefined): Promise<() => void> {
    const cluster = this.broker.options.cluster;
    if (!cluster) return noop;
    const release = await this.lock(clientId);
    try {
      const owner = { identity: ownerIdentity(username), exclusive: this.broker.options.sessionOwner === 'user' };
      await cluster.claim(clientId, clean, ({ state, will }) => {
        if (!this.sessions.has(clientId)) this.install(clientId, state, will);
      }, owner);
      return release;
    } catch (err) {
      release();
      throw err;
    }
  }

  /**
   * Cluster: installs a session that lived on another node, offline, from its
   * records: at CONNECT, or adopted from a node that died. `will` replaces the
   * stored one (the previous node published or cancelled its own; a dead node's
   * is inherited through the cluster, exactly once). The will and expiry then run
   * as after a lost connection: a CONNECT that follows takes the session over.
   */
  install(clientId: string, state: RestoredState | undefined, will: StoredWill | undefined): Session | undefined {
    if (this.sessions.has(clientId)) return this.sessions.get(clientId);
    const session = state && state.sessions.some((s) => s.clientId === clientId) ? this.load(state, true)[0] : undefined;
    if (!session) {
      // No persistent session: the lost connection's session ended with it, so its will goes now.
      if (will) this.broker.publish(willMessage(will));
      return undefined;
    }
    session.will = will;
    const lostAt = session.disconnectedAt;
    if (lostAt !== undefined && session.expiryInterval !== NEVER_EXPIRES && lostAt + session.expiryInterval * 1000 <= Date.now()) {
      // Expired while its node was gone: it ends (will included) instead of resuming.
      this.end(session, true);
      return undefined;
    }
    this.resumeOffline(session);
    return session;
  }

  /**
   * Cluster: the client connected to another node, which now owns the session.
   * The connection here is closed (v5: DISCONNECT Session taken over) with the will rules of a
   * takeover, the session's last state is committed, and the session leaves this
   * node without being ended (its records stay for the new owner); `left` is
   * called the moment it is out of the router. Resolves false when the session
   * was not here, or `current()` says the request is out of date.
   */
  handOver(clientId: string, clean: boolean, left: (session: Session) => void, current: () => boolean = () => true): Promise<boolean> {
    return this.exclusive(clientId, async () => {
      const session = this.sessions.get(clientId);
      // `current` is asked once the lock is held: a CONNECT here may have claimed the client id again since.
      if (!session || !current()) return false;
      this.takeOver(session, clean);
      if (session.durable) this.broker.store!.saveSession(session.record());
      this.forget(session);
      // The cluster routes to the new owner from this instant (`left` runs synchronously).
      left(session);
      await this.broker.store?.commit();
      return true;
    });
  }

  /**
   * Cluster: this node learned that the others declared it dead and adopted its
   * sessions. Every client is disconnected and every session leaves without a
   * will or a write: they belong to other nodes now.
   */
  dropAll(reasonCode: number, reason: string): void {
    for (const session of [...this.sessions.values()]) {
      session.will = undefined;
      const link = session.link;
      if (link) {
        session.detach(Date.now());
        link.close(reasonCode, reason);
      }
      this.forget(session);
    }
  }

  /** Closes every session's link (shutdown). */
  closeAll(reasonCode: number, reason: string): void {
    for (const session of this.sessions.values()) session.link?.close(reasonCode, reason);
  }

  /** Stops every timer (shutdown) without publishing wills. */
  stopTimers(): void {
    for (const session of [...this.timers.keys()]) this.cancelTimers(session);
  }

  private create(clientId: string, protocolVersion: ProtocolVersion, expiryInterval: number, limits = this.limitsFor(undefined)): Session {
    const session = new Session(clientId, protocolVersion, expiryInterval, limits, this.broker.store, this.broker.events);
    this.sessions.set(clientId, session);
    return session;
  }

  private takeOver(session: Session, clean: boolean): void {
    this.cancelTimers(session);
    const old = session.link;
    if (old) {
      old.close(ReasonCode.SessionTakenOver, 'session taken over');
      session.detach(Date.now());
      // The old connection did not end gracefully: its will goes now unless a
      // delay lets the new connection cancel it [MQTT-3.1.3-9].
      if (session.will && (session.will.delayInterval === 0 || clean)) this.publishWill(session);
    } else if (clean && session.will) {
      this.publishWill(session);
    }
    session.will = undefined;
  }

  /** A restored session: the crash lost its connection, so its will and expiry run as if it had just dropped. */
  private resumeOffline(session: Session): void {
    const lostAt = session.disconnectedAt ?? Date.now();
    session.disconnectedAt = lostAt;
    const timers = this.timersOf(session);
    const will = session.will;
    if (will) {
      const due = lostAt + will.delayInterval * 1000 - Date.now();
      if (due <= 0) this.publishWill(session);
      else timers.will = new LongTimer(due, () => this.publishWill(session));
    }
    if (session.expiryInterval !== NEVER_EXPIRES) {
      const due = lostAt + session.expiryInterval * 1000 - Date.now();
      timers.expiry = new LongTimer(Math.max(0, due), () => this.end(session, true));
    }
  }

  private publishWill(session: Session): void {
    const will = session.will;
    if (!will) return;
    session.will = undefined;
    this.timers.get(session)?.will?.cancel();
    if (session.durable && this.sessions.get(session.clientId) === session) this.broker.store!.saveSession(session.record());
    this.broker.options.cluster?.sessionChanged(session);
    this.broker.logger.debug({ clientId: session.clientId, topic: will.message.topic }, 'publishing will');
    this.broker.publish(willMessage(will));
  }

  /**
   * Creates sessions from stored records, with their subscriptions, deliveries and
   * inbound QoS 2 ids. `freshIds`: messages get ids of this process (records
   * another node wrote carry ids of that node's).
   */
  private load(state: RestoredState, freshIds: boolean): Session[] {
    const messages = new Map<number, BrokerMessage>(state.messages.map((m) => [m.id, freshIds ? createMessage({ ...m, id: undefined }) : fromStoredMessage(m)]));
    const loaded: Session[] = [];
    for (const record of state.sessions) {
      if (this.sessions.has(record.clientId)) continue;
      const session = this.create(record.clientId, record.protocolVersion, record.expiryInterval);
      session.username = record.username;
      session.will = record.will;
      session.disconnectedAt = record.disconnectedAt;
      loaded.push(session);
    }
    const mine = new Set(loaded);
    const sessionOf = (clientId: string) => {
      const session = this.sessions.get(clientId);
      return session && mine.has(session) ? session : undefined;
    };
    for (const sub of state.subscriptions) {
      const session = sessionOf(sub.clientId);
      if (!session) continue;
      const entry = subscriptionEntry(session, sub.filter, sub);
      this.broker.router.add(entry);
      session.subscriptions.set(entry.filter, entry);
    }
    for (const d of state.deliveries) {
      const session = sessionOf(d.clientId);
      const message = messages.get(d.messageId);
      if (!session || !message) continue;
      const delivery: Delivery = { ...d, message };
      session.restoreDelivery(delivery);
    }
    for (const { clientId, packetId } of state.inbound) sessionOf(clientId)?.inboundQos2.add(packetId);
    for (const paged of state.paged ?? []) sessionOf(paged.clientId)?.restorePaged(paged);
    for (const session of loaded) session.sortRestored();
    return loaded;
  }

  /** A session leaves this node without ending: out of the router and the map, timers stopped, records kept. */
  private forget(session: Session): void {
    this.cancelTimers(session);
    for (const filter of session.subscriptions.keys()) this.broker.router.remove(session, filter);
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
  }

  /** Waits for the client id's lock; resolves with its release. */
  private async lock(clientId: string): Promise<() => void> {
    const previous = this.locks.get(clientId);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => { release = resolve; });
    const tail = (previous ?? Promise.resolve()).then(() => mine);
    this.locks.set(clientId, tail);
    if (previous) await previous;
    return () => {
      release();
      if (this.locks.get(clientId) === tail) this.locks.delete(clientId);
    };
  }

  /** Runs `task` holding the client id's lock (cluster: CONNECTs, hand-overs and adoptions of one client id). */
  async exclusive<T>(clientId: string, task: () => Promise<T>): Promise<T> {
    const release = await this.lock(clientId);
    try {
      return await task();
    } finally {
      release();
    }
  }

  private timersOf(session: Session): SessionTimers {
    let timers = this.timers.get(session);
    if (!timers) {
      timers = {};
      this.timers.set(session, timers);
    }
    return timers;
  }

  private cancelTimers(session: Session): void {
    const timers = this.timers.get(session);
    if (!timers) return;
    timers.will?.cancel();
    timers.expiry?.cancel();
    this.timers.delete(session);
  }
}
