import { getHeapStatistics } from 'node:v8';
import type { Broker } from './broker.js';
import { createMessage } from './message.js';
import type { BrokerStats } from './stats.js';

/** How the `$SYS` tree is published. */
export interface SysTopicsOptions {
  /** Seconds between updates (mosquitto's `sys_interval`); 0: no `$SYS` tree at all. */
  interval: number;
  /** The text of `$SYS/broker/version`, e.g. `midge version 0.1.0`. */
  version: string;
}

/** The damping windows of mosquitto's `$SYS/broker/load/...` figures, in seconds. */
const LOAD_WINDOWS: ReadonlyArray<readonly [string, number]> = [['1min', 60], ['5min', 300], ['15min', 900]];

/** The counters whose rates mosquitto publishes under `$SYS/broker/load/<name>/<window>`. */
const LOAD_COUNTERS: ReadonlyArray<readonly [string, (s: BrokerStats) => number]> = [
  ['messages/received', (s) => s.messagesReceived],
  ['messages/sent', (s) => s.messagesSent],
  ['publish/dropped', (s) => s.publishDropped],
  ['publish/received', (s) => s.publishReceived],
  ['publish/sent', (s) => s.publishSent],
  ['bytes/received', (s) => s.bytesReceived],
  ['bytes/sent', (s) => s.bytesSent],
  ['sockets', (s) => s.socketsOpened],
  ['connections', (s) => s.totalConnections],
];

/**
 * One step of mosquitto's load figure: the per-minute rate over the last interval,
 * damped exponentially towards the previous figure so that it reads as an average
 * over `windowSeconds` (like the Unix load average).
 */
export function dampedLoad(previous: number, delta: number, elapsedSeconds: number, windowSeconds: number): number {
  const perMinute = (delta * 60) / elapsedSeconds;
  return perMinute + Math.exp(-elapsedSeconds / windowSeconds) * (previous - perMinute);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/**
 * The current `$SYS/broker/...` figures other than the load ones, by topic under
 * `$SYS/broker/`, with mosquitto's names and formats.
 */
export function sysFigures(broker: Broker, now: number): Array<[string, string]> {
  const s = broker.stats;
  let pending = 0;
  for (const session of broker.sessions.values()) pending += session.queuedCount + session.inflightCount;
  const sessions = broker.sessions.size;
  return [
    ['uptime', `${Math.floor((now - s.startedAt) / 1000)} seconds`],
    ['clients/connected', String(s.connectedClients)],
    ['clients/disconnected', String(Math.max(0, sessions - s.connectedClients))],
    ['clients/total', String(sessions)],
    ['clients/maximum', String(s.maximumClients)],
    ['clients/expired', String(s.expiredSessions)],
    ['messages/received', String(s.messagesReceived)],
    ['messages/sent', String(s.messagesSent)],
    // Retained messages plus deliveries queued or in flight: what the broker holds on to.
    ['messages/stored', String(broker.retained.size + pending)],
    ['publish/messages/received', String(s.publishReceived)],
    ['publish/messages/sent', String(s.publishSent)],
    ['publish/messages/dropped', String(s.publishDropped)],
    ['publish/bytes/received', String(sum(s.publishBytesReceivedByQos))],
    ['publish/bytes/sent', String(sum(s.publishBytesSentByQos))],
    ['bytes/received', String(s.bytesReceived)],
    ['bytes/sent', String(s.bytesSent)],
    ['subscriptions/count', String(broker.router.size)],
    ['retained messages/count', String(broker.retained.sizeWithoutSys)],
    ['heap/current', String(getHeapStatistics().used_heap_size)],
    ['confidential/withheld', String(s.withheldConfidential)],
    // midge's own: connections that failed before CONNECT completed, in all and by kind.
    ['connections/failed', String(s.connectionsFailed)],
    ...[...s.failedConnectionsByKind].map(([kind, n]): [string, string] => [`connections/failed/${kind}`, String(n)]),
    ...storeFigures(broker),
    ...flowFigures(broker),
  ];
}

/** `store/state` (`ok` or `failing`), failed writes and recoveries, for a store that reports its health. */
function storeFigures(broker: Broker): Array<[string, string]> {
  const health = broker.store?.health;
  if (!health) return [];
  return [
    ['store/state', health.writable ? 'ok' : 'failing'],
    ['store/writes/failed', String(health.failedWrites)],
    ['store/recoveries', String(health.recoveries)],
  ];
}

/** Drop reasons always published (others appear once they happened). */
const DROP_REASONS = ['queue-full', 'memory-limit', 'offline-qos0', 'expired', 'too-large', 'payload-too-large'];

/** Drops by reason, publishers paused for subscribers that lag, slow consumers. */
function flowFigures(broker: Broker): Array<[string, string]> {
  const f = broker.flow.stats();
  const figures: Array<[string, string]> = [];
  const dropped = broker.stats.droppedByReason;
  for (const reason of new Set([...DROP_REASONS, ...dropped.keys()])) figures.push([`publish/messages/dropped/${reason}`, String(dropped.get(reason) ?? 0)]);
  figures.push(
    ['flow/publishers/paused', String(f.publishersPaused)],
    ['flow/publishers/pauses', String(f.publisherPauses)],
    ['flow/publishers/paused seconds', String(Math.floor(f.publisherPausedMs / 1000))],
    ['flow/slow consumers/current', String(f.slowConsumers)],
    ['flow/slow consumers/total', String(f.slowConsumerEvents)],
    ['flow/slow consumers/disconnected', String(f.slowConsumersDisconnected)],
    ['flow/queued bytes', String(f.queuedBytesTotal)],
  );
  return figures;
}

/**
 * Publishes the `$SYS` tree every `interval` seconds as retained messages, the way
 * mosquitto does: the same topic names and formats, the version once, and after
 * that only the figures that changed. It goes through {@link Broker.publish}, so
 * subscribers, retained messages and hooks see it like any other message.
 *
 * The messages are QoS 0: each figure is superseded by the next, so queueing stale
 * figures for offline sessions would only fill their queues (mosquitto uses QoS 2).
 */
export class SysTopics {
  private timer: NodeJS.Timeout | undefined;
  private readonly published = new Map<string, string>();
  private readonly loads = new Map<string, number>();
  private counters: number[] = [];
  private lastTick = 0;
  private heapMaximum = 0;

  constructor(private readonly broker: Broker, private readonly options: SysTopicsOptions) {}

  /** Publishes everything once, then every interval; does nothing when the interval is 0. */
  start(): void {
    if (this.options.interval <= 0 || this.timer) return;
    this.publish('version', this.options.version, true);
    this.lastTick = Date.now();
    this.counters = LOAD_COUNTERS.map(([, read]) => read(this.broker.stats));
    for (const [name] of LOAD_COUNTERS) {
      for (const [window] of LOAD_WINDOWS) this.publishLoad(`${name}/${window}`, 0, true);
    }
    this.update(this.lastTick);
    this.timer = setInterval(() => this.tick(), this.options.interval * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    try {
      const now = Date.now();
      this.updateLoads(now);
      this.update(now);
    } catch (err) {
      this.broker.reportError(err, '$SYS update');
    }
  }

  private update(now: number): void {
    for (const [topic, value] of sysFigures(this.broker, now)) {
      if (topic === 'heap/current') this.heapMaximum = Math.max(this.heapMaximum, Number(value));
      this.publish(topic, value, false);
    }
    this.publish('heap/maximum', String(this.heapMaximum), false);
  }

  private updateLoads(now: number): void {
    const elapsed = (now - this.lastTick) / 1000;
    if (elapsed <= 0) return;
    const counters = LOAD_COUNTERS.map(([, read]) => read(this.broker.stats));
    LOAD_COUNTERS.forEach(([name], i) => {
      const delta = counters[i]! - this.counters[i]!;
      for (const [window, seconds] of LOAD_WINDOWS) {
        const key = `${name}/${window}`;
        this.publishLoad(key, dampedLoad(this.loads.get(key) ?? 0, delta, elapsed, seconds), false);
      }
    });
    this.counters = counters;
    this.lastTick = now;
  }

  /** Loads go out when they move by 0.01 or more, as mosquitto's do. */
  private publishLoad(key: string, value: number, force: boolean): void {
    const previous = this.loads.get(key);
    this.loads.set(key, value);
    if (force || previous === undefined || Math.abs(value - previous) >= 0.01) this.publish(`load/${key}`, value.toFixed(2), true);
  }

  private publish(topic: string, value: string, force: boolean): void {
    if (!force && this.published.get(topic) === value) return;
    this.published.set(topic, value);
    this.broker.publish(createMessage({
      topic: `$SYS/broker/${topic}`, payload: Buffer.from(value), qos: 0, retain: true, properties: undefined,
      createdAt: Date.now(), expiresAt: undefined, origin: undefined,
    }));
  }
}
