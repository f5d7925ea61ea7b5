import { nowNs, sleepUntil } from './clock.js';
import { IdleClient, PublisherClient, SubscriberClient, type ClientHost } from './clients.js';
import { LoadConnection, type ConnectionListener } from './connection.js';
import { Histogram } from './histogram.js';
import type { CounterSnapshot, FromWorker, ToWorker, WorkerInit, WorkerReport } from './messages.js';
import { roleCounts } from './options.js';
import { ConnectionOpener } from './opener.js';
import type { ClientPlan, ClientRole } from './plan.js';
import { Publisher, type PublishStats } from './publisher.js';
import { ReceiveAccounting, StreamTable } from './receiver.js';
import { SharedState, WorkerField } from './shared.js';
import { connectBytes, publishTemplate, subscribeBytes } from './wire.js';

/** Below this, a publisher thread that may block spins instead of sleeping (a sleep overshoots). */
const SPIN_BELOW_NS = 300_000;
/** Below this, a thread that may not block spins through the event loop instead of using a timer. */
const TIMER_ABOVE_NS = 2_000_000;
/** Subscribers read a lot; publishers read acknowledgements; idle clients a CONNACK and PINGRESPs. */
const READ_BUFFER_SIZES: Record<ClientRole, number> = { sub: 64 * 1024, pub: 16 * 1024, idle: 512 };
/** A blocked publisher looks again after this long even without news (to notice lost QoS 0 messages). */
const STALL_CHECK_MS = 500;

/**
 * The load clients of one worker thread: it opens them on command, runs the
 * publishers' send loop, accounts what subscribers receive and reports it all
 * when asked to close.
 */
export class LoadWorker implements ClientHost {
  private readonly shared: SharedState;
  private readonly receiving: ReceiveAccounting;
  private readonly pubStats: PublishStats = { measuring: false, sendLag: new Histogram(), badAcks: 0, stalls: 0 };
  private readonly connectLatency = new Histogram();
  private readonly publishers: Publisher[] = [];
  private readonly connections: Record<ClientRole, LoadConnection[]> = { pub: [], sub: [], idle: [] };
  private readonly problems = new Map<string, number>();
  private readonly opener: ConnectionOpener;
  private connected = 0;
  private failed = 0;
  private dropped = 0;
  private firstOpenNs = 0;
  private lastReadyNs = 0;
  private sending = false;
  private pumpScheduled = false;
  /** Some publisher of this thread waits for subscribers (set by the pump). */
  private blockedBySubscribers = false;
  /** A wait for subscribers of other threads is pending. */
  private waitArmed = false;
  private wakeScheduled = false;
  private dueTimer: NodeJS.Timeout | undefined;
  private readonly keepAliveTimer: NodeJS.Timeout;
  private readonly worker: number;

  constructor(private readonly init: WorkerInit, private readonly post: (message: FromWorker) => void) {
    this.worker = init.plan.worker;
    this.shared = SharedState.attach(init.shared);
    const discovering = init.subscriberSlots === undefined;
    this.receiving = new ReceiveAccounting(new StreamTable(discovering ? new Float64Array(64) : this.shared.expect, discovering));
    this.opener = new ConnectionOpener(init.options, init.workerCount, this.worker, (role, ready, failed) =>
      this.post({ type: 'connected', role, ready, failed }));
    init.plan.subscribers.forEach((c, i) => this.addSubscriber(c, i));
    init.plan.publishers.forEach((c, i) => this.addPublisher(c, i));
    for (const c of init.plan.idle) this.connections.idle.push(this.connection(c, new IdleClient(this), false));
    this.keepAliveTimer = setInterval(() => {
      const now = nowNs();
      for (const list of Object.values(this.connections)) for (const c of list) c.keepAlive(now, init.options.keepAlive);
    }, 1000);
  }

  /** Runs one command from the main thread. */
  handle(message: ToWorker): void {
    switch (message.type) {
      case 'connect':
        if (this.firstOpenNs === 0 && this.connections[message.role].length > 0) this.firstOpenNs = nowNs();
        return this.opener.open(message.role, this.connections[message.role]);
      case 'start': return this.start(message.startNs);
      case 'mark': return this.mark(message.phase);
      case 'stop': return this.stop();
      case 'close': void this.close(); return;
    }
  }

  private connection(c: ClientPlan, listener: ConnectionListener, subscribe: boolean): LoadConnection {
    const o = this.init.options;
    const toSubscriberAddress = c.role === 'sub';
    return new LoadConnection(c.index, {
      host: (toSubscriberAddress ? o.subscriberHost : undefined) ?? o.host,
      port: (toSubscriberAddress ? o.subscriberPort : undefined) ?? o.port,
      transport: o.transport,
      tls: o.tls,
      protocolVersion: o.protocolVersion,
      connectPacket: connectBytes({ ...o, clientId: c.clientId }),
      subscribePacket: subscribe ? subscribeBytes(c.topic, o.qos, o.protocolVersion) : undefined,
      connectTimeoutMs: o.connectTimeoutMs,
      readBufferSize: READ_BUFFER_SIZES[c.role],
    }, listener);
  }

  private addSubscriber(c: ClientPlan, position: number): void {
    const slots = this.init.subscriberSlots?.[position] ?? [];
    this.connections.sub.push(this.connection(c, new SubscriberClient(this, this.receiving, slots), true));
  }

  private addPublisher(c: ClientPlan, position: number): void {
    const o = this.init.options;
    const total = roleCounts(o).publishers;
    const client = new PublisherClient(this);
    const conn = this.connection(c, client, false);
    const periodNs = o.rate > 0 ? (1e9 * total) / o.rate : o.intervalMs * 1e6;
    const windows = [o.qos > 0 ? o.window : 0, o.e2eWindow].filter((w) => w > 0);
    const publisher = new Publisher({
      index: c.index,
      qos: o.qos,
      window: o.window,
      e2eWindow: o.e2eWindow,
      batch: windows.length > 0 ? Math.max(1, Math.floor(Math.min(...windows) / 4)) : 1,
      limit: o.limit > 0 ? Math.floor(o.limit / total) + (c.index < o.limit % total ? 1 : 0) : Infinity,
      periodNs,
      phaseNs: (periodNs * c.index) / total,
      template: publishTemplate(c.topic, o.qos, o.payloadSize, o.retain, o.protocolVersion),
      streams: this.init.publisherStreams[position] ?? [],
    }, conn, this.shared, this.pubStats);
    client.publisher = publisher;
    this.publishers.push(publisher);
    this.connections.pub.push(conn);
  }

  onReady(conn: LoadConnection): void {
    this.connected++;
    this.lastReadyNs = conn.readyNs;
    this.connectLatency.record(conn.readyNs - conn.openedNs);
    this.shared.set(this.worker, WorkerField.CONNECTED, this.connected);
    this.opener.settled(true);
  }

  onFailed(_conn: LoadConnection, reason: string): void {
    this.failed++;
    this.note(reason);
    this.shared.set(this.worker, WorkerField.FAILED, this.failed);
    this.opener.settled(false);
  }

  onDropped(_conn: LoadConnection, reason: string): void {
    this.dropped++;
    this.note(reason);
    this.shared.set(this.worker, WorkerField.DROPPED, this.dropped);
  }

  onStray(): void {
    this.note('a packet the client did not expect');
  }

  afterRead(): void {
    this.shared.set(this.worker, WorkerField.RECEIVED, this.receiving.received);
    if (!this.init.subscriberSlots || this.wakeScheduled) return;
    // Once per turn of the event loop, after all of its reads, not once per read:
    // waking another thread costs a system call.
    this.wakeScheduled = true;
    setImmediate(this.wakePublishers);
  }

  private readonly wakePublishers = (): void => {
    this.wakeScheduled = false;
    this.shared.wakeBlocked();
    // Publishers of this very thread need no wake-up call through shared memory:
    // pump at once, not one turn of the event loop later.
    if (this.blockedBySubscribers && this.sending) this.pump();
  };

  private note(reason: string): void {
    this.problems.set(reason, (this.problems.get(reason) ?? 0) + 1);
    this.shared.set(this.worker, WorkerField.ERRORS, this.shared.get(this.worker, WorkerField.ERRORS) + 1);
  }

  private start(startNs: number): void {
    for (const p of this.publishers) p.start(startNs);
    this.sending = this.publishers.length > 0;
    this.requestPump();
  }

  private stop(): void {
    this.sending = false;
    for (const p of this.publishers) p.stop();
    clearTimeout(this.dueTimer);
  }

  private mark(phase: 'begin' | 'end'): void {
    const measuring = phase === 'begin';
    this.receiving.measuring = measuring;
    this.pubStats.measuring = measuring;
    this.post({ type: 'marked', phase, snapshot: this.snapshot() });
  }

  private snapshot(): CounterSnapshot {
    let sent = 0;
    let acked = 0;
    for (const p of this.publishers) {
      sent += p.nextSeq;
      acked += p.acked;
    }
    return { atNs: nowNs(), sent, acked, received: this.receiving.received };
  }

  requestPump(): void {
    if (this.pumpScheduled || !this.sending) return;
    this.pumpScheduled = true;
    setImmediate(this.pump);
  }

  /** The publishers' send loop: send what is allowed, then wait for whatever can allow more. */
  private readonly pump = (): void => {
    this.pumpScheduled = false;
    if (!this.sending) return;
    const now = nowNs();
    let more = false;
    let blockedBySubscribers = false;
    let nextDue = Infinity;
    for (const p of this.publishers) {
      if (p.fill(now)) more = true;
      if (p.waitingForSubscribers) blockedBySubscribers = true;
      nextDue = Math.min(nextDue, p.nextDueNs());
    }
    this.blockedBySubscribers = blockedBySubscribers;
    if (more) return this.requestPump();
    if (nextDue !== Infinity) this.wakeAt(nextDue);
    if (blockedBySubscribers) this.waitForSubscribers();
  };

  private wakeAt(dueNs: number): void {
    clearTimeout(this.dueTimer);
    const wait = dueNs - nowNs();
    if (wait <= 0) return this.requestPump();
    if (this.init.mayBlock && wait > SPIN_BELOW_NS && wait < TIMER_ABOVE_NS) {
      sleepUntil(dueNs);
      return this.requestPump();
    }
    if (wait < TIMER_ABOVE_NS) return this.requestPump();
    this.dueTimer = setTimeout(() => this.requestPump(), (wait - TIMER_ABOVE_NS / 2) / 1e6);
  }

  /**
   * Waits for subscribers in other threads (through shared memory), and at most
   * {@link STALL_CHECK_MS}, so that a publisher whose QoS 0 messages were lost
   * notices. Subscribers of this thread wake the pump directly (wakePublishers).
   */
  private waitForSubscribers(): void {
    if (this.waitArmed) return;
    const seen = this.shared.announceBlocked(this.worker);
    if (this.publishers.some((p) => p.subscribersMoved())) return this.requestPump();
    this.waitArmed = true;
    void this.shared.waitForProgress(this.worker, seen, STALL_CHECK_MS).then(() => {
      this.waitArmed = false;
      this.requestPump();
    });
  }

  private async close(): Promise<void> {
    this.stop();
    clearInterval(this.keepAliveTimer);
    const all = Object.values(this.connections).flat();
    await Promise.all(all.map((c) => c.close()));
    this.post({ type: 'report', report: this.report() });
  }

  private report(): WorkerReport {
    const r = this.receiving;
    const s = r.streams;
    const snapshot = this.snapshot();
    return {
      worker: this.worker,
      connected: this.connected,
      failed: this.failed,
      dropped: this.dropped,
      problems: [...this.problems],
      sent: snapshot.sent,
      acked: snapshot.acked,
      unacknowledged: this.publishers.reduce((sum, p) => sum + p.unacknowledged, 0),
      received: r.received,
      unstamped: r.unstamped,
      unexpected: r.unexpected,
      dupFlags: r.dupFlags,
      badAcks: this.pubStats.badAcks,
      stalls: this.pubStats.stalls,
      gaps: s.gaps,
      outOfOrder: s.outOfOrder,
      duplicates: s.duplicates,
      latency: { counts: r.latency.counts, maxNs: r.latency.maxNs },
      serviceLatency: { counts: r.serviceLatency.counts, maxNs: r.serviceLatency.maxNs },
      sendLag: { counts: this.pubStats.sendLag.counts, maxNs: this.pubStats.sendLag.maxNs },
      connectLatency: { counts: this.connectLatency.counts, maxNs: this.connectLatency.maxNs },
      firstOpenNs: this.firstOpenNs,
      lastReadyNs: this.lastReadyNs,
    };
  }
}
