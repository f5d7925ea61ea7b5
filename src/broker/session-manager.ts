import type { ProtocolVersion } from '../protocol/index.js';
import type { Broker } from './broker.js';
import { createMessage, type BrokerMessage } from './message.js';
import type { MqttConnection } from './mqtt-connection.js';
import { redistributeShared } from './routing.js';
import type { SessionLink } from './ports/session-link.js';
import type { RestoredState, StoredWill } from './ports/store.js';
import { Session, type Delivery } from './session.js';
import { fromStoredMessage } from './stored.js';
import { LongTimer } from './timers.js';

const NEVER_EXPIRES = 0xffffffff;

/** What a CONNECT asks of the session layer. */
export interface SessionRequest {
  clientId: string;
  clean: boolean;
  expiryInterval: number;
  protocolVersion: ProtocolVersion;
  username: string | undefined;
  will: StoredWill | undefined;
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

  constructor(private readonly broker: Broker) {}

  get size(): number {
    return this.sessions.size;
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  values(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /**
   * Opens the session for a CONNECT. A client id already connected is taken over:
   * the old connection is closed (v5: DISCONNECT 0x8E) [MQTT-3.1.4-3]. Clean Start
   * discards an existing session [MQTT-3.1.2-4]; otherwise it resumes [MQTT-3.1.2-5].
   */
  open(link: MqttConnection | SessionLink, req: SessionRequest): { session: Session; present: boolean } {
    const existing = this.sessions.get(req.clientId);
    if (existing) this.takeOver(existing, req.clean);
    const present = existing !== undefined && !req.clean && existing.expiryInterval > 0;
    if (existing && !present) this.end(existing, false);
    const session = present ? existing : this.create(req.clientId, req.protocolVersion, req.expiryInterval);
    const wasStored = session.durable;
    session.protocolVersion = req.protocolVersion;
    session.expiryInterval = req.expiryInterval;
    session.username = req.username;
    session.will = req.will;
    session.limits = this.broker.sessionLimits(link);
    if (session.durable) this.broker.store!.saveSession(session.record());
    else if (wasStored) this.broker.store!.deleteSession(session.clientId);
    return { session, present };
  }

  /** v5 DISCONNECT may change the expiry [MQTT-3.14.2-2]. */
  setExpiry(session: Session, expiryInterval: number): void {
    const wasStored = session.durable;
    session.expiryInterval = Math.min(expiryInterval, this.broker.options.limits.maxSessionExpiryInterval);
    if (session.durable) this.broker.store!.saveSession(session.record());
    else if (wasStored) this.broker.store!.deleteSession(session.clientId);
  }

  /** Replaces the will of a connected session (MQTT-SN WILLTOPICUPD / WILLMSGUPD). */
  setWill(session: Session, will: StoredWill | undefined): void {
    session.will = will;
    if (session.durable) this.broker.store!.saveSession(session.record());
  }

  /**
   * The session's connection ended. Unless it ended gracefully the will goes out
   * now, or after its delay, or when the session ends, whichever is first
   * [MQTT-3.1.3-9]. A session with expiry 0 ends now [MQTT-3.1.2-23].
   */
  connectionLost(session: Session, graceful: boolean): void {
    session.detach(Date.now());
    redistributeShared(this.broker, session);
    if (graceful) session.will = undefined;
    const will = session.will;
    const timers = this.timersOf(session);
    if (will && (will.delayInterval === 0 || session.expiryInterval === 0)) {
      this.publishWill(session);
    } else if (will) {
      timers.will = new LongTimer(will.delayInterval * 1000, () => this.publishWill(session));
    }
    if (session.expiryInterval === 0) {
      this.end(session, false);
      return;
    }
    if (session.durable) this.broker.store!.saveSession(session.record());
    if (session.expiryInterval !== NEVER_EXPIRES) {
      timers.expiry = new LongTimer(session.expiryInterval * 1000, () => this.end(session, true));
    }
  }

  /** Ends a session: will (if still pending), subscriptions, queues and its record go. */
  end(session: Session, expired: boolean): void {
    this.cancelTimers(session);
    if (!session.link) redistributeShared(this.broker, session);
    if (session.will && !session.link) this.publishWill(session);
    for (const filter of [...session.subscriptions.keys()]) this.broker.unsubscribe(session, filter);
    session.clearQueues();
    if (session.durable) this.broker.store!.deleteSession(session.clientId);
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
    if (expired) this.broker.stats.expiredSessions++;
    this.broker.hooks.emit('sessionEnded', { clientId: session.clientId, expired });
  }

  /** Rebuilds sessions from the store at boot; each is offline, as after a lost connection. */
  restore(state: RestoredState): void {
    const messages = new Map<number, BrokerMessage>(state.messages.map((m) => [m.id, fromStoredMessage(m)]));
    for (const record of state.sessions) {
      const session = this.create(record.clientId, record.protocolVersion, record.expiryInterval);
      session.username = record.username;
      session.will = record.will;
      session.disconnectedAt = record.disconnectedAt;
    }
    for (const sub of state.subscriptions) {
      const session = this.sessions.get(sub.clientId);
      if (session) this.broker.restoreSubscription(session, sub);
    }
    for (const d of state.deliveries) {
      const session = this.sessions.get(d.clientId);
      const message = messages.get(d.messageId);
      if (!session || !message) continue;
      const delivery: Delivery = { ...d, message };
      session.restoreDelivery(delivery);
    }
    for (const { clientId, packetId } of state.inbound) this.sessions.get(clientId)?.inboundQos2.add(packetId);
    for (const session of this.sessions.values()) {
      session.sortRestored();
      this.resumeOffline(session);
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

  private create(clientId: string, protocolVersion: ProtocolVersion, expiryInterval: number): Session {
    const session = new Session(clientId, protocolVersion, expiryInterval, this.broker.sessionLimits(undefined), this.broker.store, this.broker);
    this.sessions.set(clientId, session);
    return session;
  }

  private takeOver(session: Session, clean: boolean): void {
    this.cancelTimers(session);
    const old = session.link;
    if (old) {
      old.close(0x8e, 'session taken over');
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
    const now = Date.now();
    const message = createMessage({
      ...will.message,
      id: undefined,
      createdAt: now,
      expiresAt: will.expiryInterval === undefined ? undefined : now + will.expiryInterval * 1000,
    });
    this.broker.publishWill(message, session);
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
