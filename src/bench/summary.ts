import { Histogram, type LatencyPercentiles } from './histogram.js';
import type { CounterSnapshot, HistogramData, WorkerReport } from './messages.js';
import type { BenchMode, BenchOptions } from './options.js';
import type { ProcessSample } from './proc.js';

/** Counts and rates over the measured window. */
export interface MessageFigures {
  sent: number;
  acked: number;
  received: number;
  sentPerSecond: number;
  ackedPerSecond: number;
  receivedPerSecond: number;
}

/** Sequence checks of a run with stamped payloads. */
export interface Verification {
  /** Holes in the sequences, plus messages sent that never arrived (pubsub). */
  lost: number;
  gaps: number;
  outOfOrder: number;
  duplicates: number;
  /** QoS 1 and 2 messages whose flow never completed. */
  unacknowledged: number;
  /** Messages from a publisher that no subscriber of the run should receive. */
  unexpected: number;
  /** Messages without a benchmark stamp (payload under 32 bytes, or another sender). */
  unstamped: number;
  /** Deliveries with the DUP flag set. */
  dupFlags: number;
  /** Times a publisher gave up waiting for lost QoS 0 messages. */
  stalls: number;
}

/** The final result of a run: what the CLI prints and `--json` writes. */
export interface BenchSummary {
  mode: BenchMode;
  ok: boolean;
  target: string;
  startedAt: string;
  settings: Pick<BenchOptions, 'clients' | 'subscribers' | 'qos' | 'payloadSize' | 'protocolVersion' | 'topic' | 'filter'
    | 'rate' | 'intervalMs' | 'window' | 'e2eWindow' | 'workers'> & { streams: number };
  /** Seconds of the measured window (conn: the time connections were held). */
  seconds: number;
  connections: {
    attempted: number;
    connected: number;
    failed: number;
    dropped: number;
    /** From the first attempt to the last client ready. */
    seconds: number;
    perSecond: number;
    handshake: LatencyPercentiles | undefined;
  };
  messages: MessageFigures;
  /** From the scheduled send time (the send time without a schedule) to receipt. */
  latency: LatencyPercentiles | undefined;
  /** From the actual send time to receipt. */
  serviceLatency: LatencyPercentiles | undefined;
  /** How late scheduled messages went out. */
  sendLag: LatencyPercentiles | undefined;
  verification: Verification;
  problems: Array<{ reason: string; count: number }>;
  badAcks: number;
  /**
   * % of one core over the measured window (conn: over the connect phase): CPU
   * used, and time spent runnable but waiting for a CPU (other processes' load).
   */
  cpu: {
    generatorPercent: number;
    brokerPercent: number | undefined;
    generatorWaitPercent: number | undefined;
    brokerWaitPercent: number | undefined;
    /**
     * conn: CPU time per connection made, in µs: what a connect costs each side,
     * whichever of them limited the rate (10 ms clock ticks of /proc over the connect phase).
     */
    generatorUsPerConnect?: number | undefined;
    brokerUsPerConnect?: number | undefined;
  };
  broker: { pid: number; rssBeforeKiB: number; rssAfterKiB: number; rssPerConnectionKiB: number | undefined } | undefined;
}

/** The moments of a run at which the runner looks at /proc. */
export type InstantName = 'before' | 'connected' | 'start' | 'end';

/** The time and the state of the generator and broker processes at one moment. */
export interface Instant {
  atNs: number;
  generator: ProcessSample | undefined;
  broker: ProcessSample | undefined;
}

/** What the runner gathered, besides the worker reports. */
export interface RunRecord {
  options: BenchOptions;
  startedAt: Date;
  streams: number;
  begin: CounterSnapshot[];
  end: CounterSnapshot[];
  reports: WorkerReport[];
  /** Messages sent that some stream never received in order (from shared memory). */
  undelivered: number;
  instants: Partial<Record<InstantName, Instant>>;
}

function windowSeconds(rec: RunRecord): number {
  const { start, end } = rec.instants;
  return start && end ? (end.atNs - start.atNs) / 1e9 : 0;
}

function merged(reports: WorkerReport[], pick: (r: WorkerReport) => HistogramData): Histogram {
  const total = new Histogram();
  for (const r of reports) total.merge(new Histogram(pick(r).counts, pick(r).maxNs));
  return total;
}

function sum(reports: WorkerReport[], pick: (r: WorkerReport) => number): number {
  return reports.reduce((s, r) => s + pick(r), 0);
}

/** Rates from each worker's own snapshots, so no thread's clock skews another's. */
function rates(begin: CounterSnapshot[], end: CounterSnapshot[], key: 'sent' | 'acked' | 'received'): number {
  let rate = 0;
  for (let i = 0; i < end.length; i++) {
    const seconds = (end[i]!.atNs - begin[i]!.atNs) / 1e9;
    if (seconds > 0) rate += (end[i]![key] - begin[i]![key]) / seconds;
  }
  return Math.round(rate);
}

function problemList(reports: WorkerReport[]): Array<{ reason: string; count: number }> {
  const all = new Map<string, number>();
  for (const r of reports) for (const [reason, count] of r.problems) all.set(reason, (all.get(reason) ?? 0) + count);
  return [...all].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}

function connections(rec: RunRecord): BenchSummary['connections'] {
  const { reports } = rec;
  const firsts = reports.map((r) => r.firstOpenNs).filter((t) => t > 0);
  const first = firsts.length > 0 ? Math.min(...firsts) : 0;
  const last = Math.max(0, ...reports.map((r) => r.lastReadyNs));
  const connected = sum(reports, (r) => r.connected);
  const seconds = last > first && first > 0 ? (last - first) / 1e9 : 0;
  return {
    attempted: rec.options.mode === 'pubsub' ? rec.options.clients + rec.options.subscribers : rec.options.clients,
    connected,
    failed: sum(reports, (r) => r.failed),
    dropped: sum(reports, (r) => r.dropped),
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: seconds > 0 ? Math.round(connected / seconds) : 0,
    handshake: merged(reports, (r) => r.connectLatency).percentiles(),
  };
}

/**
 * CPU use and run-queue wait in % of one core: over the measured window, or
 * over the connect phase in the conn mode (holding idle connections costs nothing).
 */
function cpuFigures(rec: RunRecord, connected: number): BenchSummary['cpu'] {
  const conn = rec.options.mode === 'conn';
  const from = rec.instants[conn ? 'before' : 'start'];
  const to = rec.instants[conn ? 'connected' : 'end'];
  const seconds = from && to ? (to.atNs - from.atNs) / 1e9 : 0;
  const percent = (a: ProcessSample | undefined, b: ProcessSample | undefined, key: 'cpuSeconds' | 'waitSeconds'): number | undefined =>
    // One decimal: the fleet's broker uses 5-15 % of a core, where whole percents are 10 % steps.
    a && b && seconds > 0 ? Math.round((1000 * (b[key] - a[key])) / seconds) / 10 : undefined;
  const perConnect = (a: ProcessSample | undefined, b: ProcessSample | undefined): number | undefined =>
    conn && a && b && connected > 0 ? Math.round((1e6 * (b.cpuSeconds - a.cpuSeconds)) / connected) : undefined;
  return {
    generatorPercent: percent(from?.generator, to?.generator, 'cpuSeconds') ?? 0,
    brokerPercent: percent(from?.broker, to?.broker, 'cpuSeconds'),
    generatorWaitPercent: percent(from?.generator, to?.generator, 'waitSeconds'),
    brokerWaitPercent: percent(from?.broker, to?.broker, 'waitSeconds'),
    ...(conn ? { generatorUsPerConnect: perConnect(from?.generator, to?.generator), brokerUsPerConnect: perConnect(from?.broker, to?.broker) } : {}),
  };
}

function broker(rec: RunRecord, connected: number): BenchSummary['broker'] {
  const pid = rec.options.brokerPid;
  const before = rec.instants.before?.broker;
  const after = rec.instants.end?.broker;
  if (pid === undefined || !before || !after) return undefined;
  const grown = after.rssKiB - before.rssKiB;
  return {
    pid,
    rssBeforeKiB: before.rssKiB,
    rssAfterKiB: after.rssKiB,
    rssPerConnectionKiB: rec.options.mode === 'conn' && connected > 0 ? Math.round((grown / connected) * 100) / 100 : undefined,
  };
}

/** Puts the reports of all workers together into the run's summary. */
export function summarize(rec: RunRecord): BenchSummary {
  const { options: o, reports, begin, end } = rec;
  const conns = connections(rec);
  const v: Verification = {
    gaps: sum(reports, (r) => r.gaps),
    lost: sum(reports, (r) => r.gaps) + rec.undelivered,
    outOfOrder: sum(reports, (r) => r.outOfOrder),
    duplicates: sum(reports, (r) => r.duplicates),
    unacknowledged: sum(reports, (r) => r.unacknowledged),
    unexpected: sum(reports, (r) => r.unexpected),
    unstamped: sum(reports, (r) => r.unstamped),
    dupFlags: sum(reports, (r) => r.dupFlags),
    stalls: sum(reports, (r) => r.stalls),
  };
  const badAcks = sum(reports, (r) => r.badAcks);
  const summary: BenchSummary = {
    mode: o.mode,
    ok: false,
    target: o.subscriberHost !== undefined || o.subscriberPort !== undefined
      ? `${o.host}:${o.port} (subscribers: ${o.subscriberHost ?? o.host}:${o.subscriberPort ?? o.port})`
      : `${o.host}:${o.port}`,
    startedAt: rec.startedAt.toISOString(),
    settings: {
      clients: o.clients, subscribers: o.mode === 'pubsub' ? o.subscribers : 0, qos: o.qos, payloadSize: o.payloadSize,
      protocolVersion: o.protocolVersion, topic: o.topic, filter: o.filter, rate: o.rate, intervalMs: o.intervalMs,
      window: o.window, e2eWindow: o.e2eWindow, workers: reports.length, streams: rec.streams,
    },
    seconds: Math.round(windowSeconds(rec) * 1000) / 1000,
    connections: conns,
    messages: {
      sent: sum(reports, (r) => r.sent),
      acked: sum(reports, (r) => r.acked),
      received: sum(reports, (r) => r.received),
      sentPerSecond: rates(begin, end, 'sent'),
      ackedPerSecond: rates(begin, end, 'acked'),
      receivedPerSecond: rates(begin, end, 'received'),
    },
    latency: merged(reports, (r) => r.latency).percentiles(),
    serviceLatency: (merged(reports, (r) => r.serviceLatency).percentiles() ?? merged(reports, (r) => r.latency).percentiles()),
    sendLag: merged(reports, (r) => r.sendLag).percentiles(),
    verification: v,
    problems: problemList(reports),
    badAcks,
    cpu: cpuFigures(rec, conns.connected),
    broker: broker(rec, conns.connected),
  };
  summary.ok = judge(summary, o);
  return summary;
}

/**
 * A run passes when every connection came up and stayed, nothing arrived twice,
 * out of order or unasked for, and (QoS 1 and 2) every message completed its
 * flow and, in a pubsub run, arrived.
 */
function judge(s: BenchSummary, o: BenchOptions): boolean {
  const v = s.verification;
  const c = s.connections;
  if (c.failed > 0 || c.dropped > 0 || c.connected < c.attempted || s.badAcks > 0) return false;
  if (v.outOfOrder > 0 || v.duplicates > 0 || v.unexpected > 0) return false;
  if (o.qos > 0 && v.unacknowledged > 0) return false;
  if (o.qos > 0 && o.mode === 'pubsub' && v.lost > 0) return false;
  return true;
}
