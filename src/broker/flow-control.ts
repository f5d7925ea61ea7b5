import { ReasonCode } from '../protocol/index.js';
import type { AcknowledgementWait } from './admission-gate.js';
import type { Publisher } from './admission.js';
import type { Logger } from './ports/logger.js';

/**
 * Something whose input the broker can stop taking while the subscribers its
 * messages go to catch up: a client's connection (its socket is paused), an MQTT-SN
 * client, the admin publish API, the cluster inbox.
 */
export interface FlowSource {
  /** Stops taking input; the returned function takes it again (`Publisher.pauseInput` of admission). */
  pauseInput(): () => void;
}

/** What flow control needs of a session (implemented by `Session`). */
export interface FlowSubject {
  readonly clientId: string;
  readonly flow: SessionFlow;
  /** Online: a link to drain to. */
  readonly online: boolean;
  /** Online, taking messages, not slow: publishers may wait for it. */
  readonly draining: boolean;
  /** Bytes waiting for the client: its queue (entry overhead included) and its link's backlog. */
  pressure(): number;
  /** How full its queue is, 0 to 1 and past 1 when over: the larger of its count and bytes against its bounds. */
  fill(): number;
  /** Deliveries written to its link so far: its progress. */
  readonly sentCount: number;
  /** Closes its link (a slow consumer, with `slow_consumer_disconnect`). */
  closeLink(reasonCode: number, reason: string): void;
}

/** The flow-control state of one session. Allocated once per session, never per message. */
export class SessionFlow {
  /** Publishers paused until this session drains (undefined: none). */
  holders: Set<FlowSource> | undefined;
  /** Drained nothing for `slow_consumer_timeout` while backlogged: holds nobody, bounded by its limits. */
  slow = false;
  /** In the set the slow-consumer check looks at. */
  watched = false;
  lastProgressAt = 0;
  lastSentCount = 0;
  /** Deliveries dropped for this client, by reason (admin API). */
  dropped: Record<string, number> | undefined;
  /** Drops since the last log line about them, and when that line was written. */
  unloggedDrops = 0;
  lastDropLogAt = 0;
}

/** The settings of flow control, from the broker's limits. */
export interface FlowLimits {
  /** A session holding this many bytes (queue and socket) pauses the publishers that add to it. */
  highWaterMark: number;
  /** ... and lets them go when it is back under this. */
  lowWaterMark: number;
  /** Bytes queued in all sessions together past which every publisher is paused (0: no cap). */
  maxQueuedBytesTotal: number;
  /** Ms a backlogged session may drain nothing before it is slow (0: never slow). */
  slowConsumerTimeoutMs: number;
  /** Disconnect a slow consumer instead of dropping for it. */
  disconnectSlowConsumers: boolean;
}

/** Figures of flow control for $SYS, /metrics and the admin API. */
export interface FlowStats {
  publishersPaused: number;
  /** Ms publishers have spent paused, added up (those paused now included). */
  publisherPausedMs: number;
  publisherPauses: number;
  slowConsumers: number;
  slowConsumerEvents: number;
  slowConsumersDisconnected: number;
  queuedBytesTotal: number;
}

interface Paused {
  holds: number;
  since: number;
  resume: () => void;
  waiters: (() => void)[] | undefined;
}

/** Log lines about one client's drops: at most one per this interval. */
const DROP_LOG_INTERVAL_MS = 10_000;
/** Log lines about slow consumers or drops per second, all clients together. */
const LOG_LINES_PER_SECOND = 20;

/**
 * Flow control for the broker: backpressure instead of loss while subscribers keep
 * up, bounded memory when they do not.
 *
 * - A publisher whose message is queued for an online session holding more than the
 *   high-water mark (queue plus socket backlog) is paused (its socket stops being
 *   read) until every session holding it is back under the low-water mark.
 * - A session that drains nothing for `slow_consumer_timeout` while backlogged is
 *   slow: it lets its publishers go and holds nobody until it drains again; its
 *   queue is bounded by its limits, past which deliveries to it are dropped (or it is
 *   disconnected, with `slow_consumer_disconnect`).
 * - Past the broker-wide cap on queued bytes every publisher is paused, and offline or
 *   slow sessions get no more.
 *
 * The entry points (MQTT and MQTT-SN PUBLISH, admin API, cluster inbox) route with
 * {@link begin}/{@link end} around `Broker.publish`; sessions report with
 * {@link queued}, {@link drained} and {@link offline}. One timer for the whole
 * broker checks the backlogged sessions; nothing here runs per message unless a
 * session is backlogged.
 */
export class FlowControl {
  /** The source of the message being routed now, if it can be paused. */
  private current: FlowSource | undefined;
  /** The message being routed met a full queue of a session that holds its publisher. */
  private mustWait = false;
  private readonly paused = new Map<FlowSource, Paused>();
  /** Sources paused by the broker-wide cap. */
  private readonly capHeld = new Set<FlowSource>();
  private readonly watched = new Set<FlowSubject>();
  /** Publishers whose acknowledgements wait for room, and what the next one waits on (in order). */
  private readonly ackWaits = new Map<unknown, Promise<boolean>>();
  private timer: NodeJS.Timeout | undefined;
  private logBudget = LOG_LINES_PER_SECOND;
  private pausedMsDone = 0;
  private pauses = 0;
  private slowEvents = 0;
  private slowDisconnects = 0;
  /** Bytes queued in every session, entry overhead included. */
  queuedBytes = 0;

  constructor(readonly limits: FlowLimits, private readonly logger: Logger) {}

  start(): void {
    if (this.timer) return;
    const every = Math.max(50, Math.min(1000, this.limits.slowConsumerTimeoutMs / 4 || 1000));
    this.timer = setInterval(() => this.check(Date.now()), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const source of [...this.paused.keys()]) this.resume(source, Date.now());
  }

  /** Routing of a message from `source` starts (undefined: a source that is never paused, e.g. a will). */
  begin(source: FlowSource | undefined): void {
    this.current = source;
    this.mustWait = false;
    if (source && this.capHeld.size > 0 && !this.capHeld.has(source)) this.holdForCap(source);
  }

  /**
   * Routing is over. When the message found a full queue of a session that drains, the
   * publisher's acknowledgements from this one on wait until it is let go (see
   * {@link acknowledgementWait}); returns whether this one must.
   */
  end(): boolean {
    const source = this.current;
    this.current = undefined;
    if (!this.mustWait || !source) return false;
    const resumed = this.whenResumed(source);
    if (resumed) {
      const earlier = this.ackWaits.get(source);
      const wait: Promise<boolean> = (earlier ? earlier.then(() => resumed) : resumed).then(() => true);
      this.ackWaits.set(source, wait);
      void wait.then(() => {
        if (this.ackWaits.get(source) === wait) this.ackWaits.delete(source);
      });
    }
    return true;
  }

  /**
   * The wait flow control adds to "acknowledge when safe" (`AcknowledgementGate`): a
   * publisher's PUBACK/PUBREC waits while a message of it, this one or an earlier one,
   * waits for room in a subscriber's queue; in order, so acknowledgements keep the order
   * of the publishes they answer [MQTT-4.6.0-2] [MQTT-4.6.0-3].
   */
  acknowledgementWait(): AcknowledgementWait {
    return { name: 'room', check: (_message, publisher: Publisher | undefined) => (publisher ? this.ackWaits.get(publisher) : undefined) };
  }

  /** A message from a source that can be paused is being routed. */
  get routingFromSource(): boolean {
    return this.current !== undefined;
  }

  /** True when offline and slow sessions may take no more: the broker-wide cap is reached. */
  get overCap(): boolean {
    const cap = this.limits.maxQueuedBytesTotal;
    return cap > 0 && this.queuedBytes >= cap;
  }

  /**
   * Holds the publisher of the message being routed until `until` settles (an adapter's
   * own buffer is full, e.g. the cluster's outbox while Redis lags); false when no
   * publisher can be held, and the caller must do without.
   */
  holdCurrentUntil(until: Promise<unknown>): boolean {
    const source = this.current;
    if (!source) return false;
    this.hold(source);
    const release = () => this.unhold(source, Date.now());
    until.then(release, release);
    return true;
  }

  /**
   * A session queued a delivery. An online one is watched for the slow-consumer
   * check; one over its high-water mark, or with a full queue (`overflow`), holds the
   * publisher of the message being routed. Past the broker-wide cap every publisher
   * is held.
   */
  queued(session: FlowSubject, bytes: number, overflow: boolean): void {
    this.queuedBytes += bytes;
    if (!session.online) return;
    const f = session.flow;
    if (!f.watched) this.watch(session, Date.now());
    if (!session.draining) return;
    const source = this.current;
    if (this.overCap && source) this.holdForCap(source);
    // Half full already holds the publisher: what it sent in the same read of its socket still fits.
    if (!source || (!overflow && session.pressure() < this.limits.highWaterMark && session.fill() < 0.5)) return;
    if (overflow) this.mustWait = true;
    if (f.holders?.has(source)) return;
    (f.holders ??= new Set()).add(source);
    this.hold(source);
  }

  /** Bytes left a session's queue: sent, dropped, moved or cleared. */
  dequeued(bytes: number): void {
    this.queuedBytes -= bytes;
    const cap = this.limits.maxQueuedBytesTotal;
    if (this.capHeld.size > 0 && this.queuedBytes < cap * 0.9) this.releaseCap();
  }

  /** The session drained some: its publishers go once it is under the low-water mark and its queue a quarter full. */
  drained(session: FlowSubject): void {
    const holders = session.flow.holders;
    if (holders && session.pressure() <= this.limits.lowWaterMark && session.fill() <= 0.25) this.letGo(session);
  }

  /** The session went offline or ended: it holds nobody and is not watched any more. */
  offline(session: FlowSubject): void {
    this.letGo(session);
    const f = session.flow;
    if (f.slow) this.recovered(session, 'went offline');
    if (f.watched) {
      f.watched = false;
      this.watched.delete(session);
    }
  }

  /**
   * Resolves once `source` is no longer paused, or undefined when it is not paused:
   * what an acknowledgement that must wait for room waits on.
   */
  whenResumed(source: FlowSource): Promise<void> | undefined {
    const p = this.paused.get(source);
    if (!p) return undefined;
    return new Promise((resolve) => (p.waiters ??= []).push(resolve));
  }

  /** A delivery to `session` was dropped: counted per client, logged at most once per interval per client. */
  dropped(session: Pick<FlowSubject, 'clientId' | 'flow' | 'online'>, reason: string, now: number): void {
    const f = session.flow;
    const counts = (f.dropped ??= {});
    counts[reason] = (counts[reason] ?? 0) + 1;
    // QoS 0 for an offline client is dropped by design (as mosquitto does): counted, not logged.
    if (reason === 'offline-qos0') return;
    f.unloggedDrops++;
    if (now - f.lastDropLogAt < DROP_LOG_INTERVAL_MS || !this.mayLog()) return;
    this.logger.warn({
      clientId: session.clientId, reason, dropped: f.unloggedDrops, droppedByReason: { ...counts }, slow: f.slow, online: session.online,
    }, 'messages dropped for this client: it is offline or not reading, and its queue is full (max_queued_messages, max_queued_bytes)');
    f.unloggedDrops = 0;
    f.lastDropLogAt = now;
  }

  /** Figures for $SYS, /metrics and the admin API. */
  stats(now = Date.now()): FlowStats {
    let pausedNow = 0;
    for (const p of this.paused.values()) pausedNow += now - p.since;
    let slow = 0;
    for (const s of this.watched) if (s.flow.slow) slow++;
    return {
      publishersPaused: this.paused.size, publisherPausedMs: this.pausedMsDone + pausedNow, publisherPauses: this.pauses,
      slowConsumers: slow, slowConsumerEvents: this.slowEvents, slowConsumersDisconnected: this.slowDisconnects,
      queuedBytesTotal: this.queuedBytes,
    };
  }

  /** The slow-consumer check, on one timer for the whole broker: only backlogged sessions are looked at. */
  check(now: number): void {
    this.logBudget = LOG_LINES_PER_SECOND;
    const timeout = this.limits.slowConsumerTimeoutMs;
    let anyDraining = false;
    for (const session of this.watched) {
      const f = session.flow;
      const progressed = session.sentCount !== f.lastSentCount;
      f.lastSentCount = session.sentCount;
      if (!session.online || session.pressure() === 0) {
        this.offline(session);
        continue;
      }
      if (progressed) {
        f.lastProgressAt = now;
        if (f.slow) this.recovered(session, 'drains again');
      } else if (!f.slow && timeout > 0 && now - f.lastProgressAt >= timeout && session.draining) {
        this.becameSlow(session, now);
      }
      if (!f.slow) anyDraining = true;
    }
    // Bytes over the cap held only by offline or slow sessions cannot drain: they hold nobody.
    if (this.capHeld.size > 0 && !anyDraining) this.releaseCap();
  }

  private watch(session: FlowSubject, now: number): void {
    const f = session.flow;
    f.watched = true;
    f.lastProgressAt = now;
    f.lastSentCount = session.sentCount;
    this.watched.add(session);
  }

  private becameSlow(session: FlowSubject, now: number): void {
    const f = session.flow;
    f.slow = true;
    this.slowEvents++;
    this.letGo(session);
    const disconnect = this.limits.disconnectSlowConsumers;
    if (this.mayLog()) {
      this.logger.warn({
        clientId: session.clientId, pendingBytes: session.pressure(), stalledMs: now - f.lastProgressAt, disconnect,
      }, disconnect
        ? 'slow consumer: drained nothing for slow_consumer_timeout; disconnecting it (slow_consumer_disconnect)'
        : 'slow consumer: drained nothing for slow_consumer_timeout; publishers no longer wait for it and what its queue cannot hold is dropped');
    }
    if (disconnect) {
      this.slowDisconnects++;
      session.closeLink(ReasonCode.QuotaExceeded, 'slow consumer: it read nothing for slow_consumer_timeout');
    }
  }

  private recovered(session: FlowSubject, why: string): void {
    session.flow.slow = false;
    if (this.mayLog()) this.logger.info({ clientId: session.clientId, why }, 'slow consumer recovered');
  }

  private mayLog(): boolean {
    if (this.logBudget <= 0) return false;
    this.logBudget--;
    return true;
  }

  private letGo(session: FlowSubject): void {
    const holders = session.flow.holders;
    if (!holders) return;
    session.flow.holders = undefined;
    const now = Date.now();
    for (const source of holders) this.unhold(source, now);
  }

  private hold(source: FlowSource): void {
    const p = this.paused.get(source);
    if (p) {
      p.holds++;
      return;
    }
    this.pauses++;
    this.paused.set(source, { holds: 1, since: Date.now(), resume: source.pauseInput(), waiters: undefined });
  }

  private unhold(source: FlowSource, now: number): void {
    const p = this.paused.get(source);
    if (p && --p.holds <= 0) this.resume(source, now);
  }

  private resume(source: FlowSource, now: number): void {
    const p = this.paused.get(source);
    if (!p) return;
    this.paused.delete(source);
    this.capHeld.delete(source);
    this.pausedMsDone += now - p.since;
    p.resume();
    if (p.waiters) for (const wake of p.waiters) wake();
  }

  private holdForCap(source: FlowSource): void {
    if (this.capHeld.has(source)) return;
    this.capHeld.add(source);
    this.hold(source);
  }

  private releaseCap(): void {
    const now = Date.now();
    for (const source of [...this.capHeld]) {
      this.capHeld.delete(source);
      this.unhold(source, now);
    }
  }
}
