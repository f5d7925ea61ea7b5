/**
 * `midge bench storm`: a fleet of devices with persistent sessions loses the
 * network at once, commands for every device are queued meanwhile, and every
 * device reconnects at once. Measured: the time until every session is back
 * (CONNACK with Session Present) and until every queued command arrived.
 *
 * It runs in the calling thread: a storm is about the broker's connect path,
 * not about generating messages fast.
 */
import { PacketType, encodePacket, type ProtocolVersion } from '../protocol/index.js';
import { nowNs } from './clock.js';
import { LoadConnection, type ConnectionListener, type ConnectionTarget } from './connection.js';
import { Histogram, type LatencyPercentiles } from './histogram.js';
import type { BenchOptions } from './options.js';
import { sampleProcess, type ProcessSample } from './proc.js';
import { connectBytes, subscribeBytes } from './wire.js';

/** What a storm run reports (`--json`); `ok`, `verification.lost` and `cpu` as in {@link BenchSummary}. */
export interface StormSummary {
  mode: 'storm';
  ok: boolean;
  target: string;
  devices: number;
  /** Seconds from the first reconnect attempt until every device had its CONNACK. */
  reconnectSeconds: number;
  /** Seconds from the first reconnect attempt until every queued command had arrived. */
  deliveredSeconds: number;
  /** Devices back per second over `reconnectSeconds`. */
  sessionsPerSecond: number;
  /** Devices whose CONNACK said the broker had no session for them. */
  sessionsLost: number;
  reconnectHandshake: LatencyPercentiles | undefined;
  verification: { lost: number; duplicates: number };
  problems: Array<{ reason: string; count: number }>;
  /** % of one core from the first reconnect attempt until everything arrived. */
  cpu: { generatorPercent: number; brokerPercent: number | undefined; generatorWaitPercent: number | undefined; brokerWaitPercent: number | undefined };
  broker: { pid: number; rssBeforeKiB: number; rssAfterKiB: number } | undefined;
}

/** Handshakes in flight while the fleet first connects (the storm itself uses --max-pending). */
const INITIAL_PENDING = 100;

/** Commands the back end may have unacknowledged at once. */
const BACKEND_WINDOW = 1000;

/** The devices of a storm: who is ready, who failed, what each received. */
class Fleet implements ConnectionListener {
  readonly received: Uint32Array;
  readonly problems = new Map<string, number>();
  ready = 0;
  failed = 0;
  sessionsLost = 0;
  lastReadyNs = 0;
  readonly handshake = new Histogram();
  private pending = 0;
  private next = 0;
  private list: LoadConnection[] = [];
  private settledAll: (() => void) | undefined;

  constructor(devices: number, public maxPending: number) {
    this.received = new Uint32Array(devices);
  }

  /** Opens every connection of `list`, `maxPending` handshakes at a time; resolves when all settled. */
  open(list: LoadConnection[]): Promise<void> {
    this.list = list;
    this.next = this.pending = this.ready = this.failed = 0;
    return new Promise((resolve) => {
      this.settledAll = resolve;
      this.launch();
    });
  }

  private launch(): void {
    while (this.next < this.list.length && this.pending < this.maxPending) {
      this.pending++;
      this.list[this.next++]!.open();
    }
    if (this.ready + this.failed === this.list.length) this.settledAll?.();
  }

  private settle(ok: boolean): void {
    this.pending--;
    if (ok) this.ready++;
    else this.failed++;
    this.launch();
  }

  note(reason: string): void {
    this.problems.set(reason, (this.problems.get(reason) ?? 0) + 1);
  }

  onReady(conn: LoadConnection): void {
    this.lastReadyNs = conn.readyNs;
    this.handshake.record(conn.readyNs - conn.openedNs);
    this.settle(true);
  }

  onFailed(_conn: LoadConnection, reason: string): void {
    this.note(reason);
    this.settle(false);
  }

  onDropped(_conn: LoadConnection, reason: string): void {
    this.note(reason);
  }

  onPublish(conn: LoadConnection): void {
    this.received[conn.id]!++;
  }

  onAck(): void {}
  onWritable(): void {}
  onReadDone(): void {}
}

/** The back end that queues one QoS 1 command per device while the fleet is offline. */
class Backend implements ConnectionListener {
  acked = 0;
  failure: string | undefined;
  private sent = 0;
  private ready: (() => void) | undefined;
  private allAcked: (() => void) | undefined;
  readonly conn: LoadConnection;

  constructor(target: ConnectionTarget, private readonly commands: (i: number, packetId: number) => Buffer, private readonly total: number) {
    this.conn = new LoadConnection(-1, target, this);
  }

  connect(): Promise<void> {
    return new Promise((resolve) => {
      this.ready = resolve;
      this.conn.open();
    });
  }

  /** Publishes every command and resolves once the broker acknowledged them all. */
  publishAll(): Promise<void> {
    return new Promise((resolve) => {
      this.allAcked = resolve;
      this.pump();
    });
  }

  private pump(): void {
    while (this.sent < this.total && this.sent - this.acked < BACKEND_WINDOW && !this.conn.congested) {
      this.conn.write(this.commands(this.sent, (this.sent % 65535) + 1));
      this.sent++;
    }
    if (this.acked === this.total) this.allAcked?.();
  }

  onReady(): void { this.ready?.(); }
  onFailed(_c: LoadConnection, reason: string): void { this.stop(`the back end could not connect: ${reason}`); }
  onDropped(_c: LoadConnection, reason: string): void { this.stop(`the back end was disconnected: ${reason}`); }
  onPublish(): void {}
  onAck(): void {
    this.acked++;
    this.pump();
  }

  onWritable(): void { this.pump(); }
  onReadDone(): void {}

  private stop(reason: string): void {
    this.failure = reason;
    this.ready?.();
    this.allAcked?.();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function target(o: BenchOptions, connectPacket: Buffer, subscribePacket: Buffer | undefined): ConnectionTarget {
  return {
    host: o.host, port: o.port, transport: o.transport, tls: o.tls, protocolVersion: o.protocolVersion,
    connectPacket, subscribePacket, connectTimeoutMs: o.connectTimeoutMs, readBufferSize: 512,
  };
}

function commandTopic(o: BenchOptions, i: number): string {
  return o.topic.replaceAll('%i', String(i));
}

function commandEncoder(o: BenchOptions): (i: number, packetId: number) => Buffer {
  const payload = Buffer.alloc(Math.max(0, o.payloadSize), 0x63);
  const version: ProtocolVersion = o.protocolVersion;
  return (i, packetId) => encodePacket({
    type: PacketType.PUBLISH, topic: commandTopic(o, i), payload, qos: 1, retain: false, dup: false, packetId,
  }, version);
}

/** Runs the storm: connect the fleet, cut it, queue commands, reconnect it, wait for everything. */
export async function runStorm(o: BenchOptions, log: (line: string) => void): Promise<StormSummary> {
  const devices = o.clients;
  const fleet = new Fleet(devices, o.maxPendingConnects);
  const idOf = (i: number): string => (o.clientIdPrefix.includes('%i') ? o.clientIdPrefix.replaceAll('%i', String(i)) : `${o.clientIdPrefix}dev${i}`);
  const first = Array.from({ length: devices }, (_, i) => new LoadConnection(i, target(o,
    connectBytes({ ...o, clientId: idOf(i), clean: false }), subscribeBytes(commandTopic(o, i), 1, o.protocolVersion)), fleet));
  log(`connecting ${devices} devices with persistent sessions`);
  // The fleet comes up at an ordinary pace; only the reconnect is the storm.
  fleet.maxPending = Math.min(o.maxPendingConnects, INITIAL_PENDING);
  await fleet.open(first);
  fleet.maxPending = o.maxPendingConnects;
  const backend = new Backend(target(o, connectBytes({ ...o, clientId: `${idOf(0)}-backend`, clean: true }), undefined), commandEncoder(o), devices);
  await backend.connect();
  if (fleet.failed > 0 || backend.failure) return failed(o, fleet, backend.failure ?? `${fleet.failed} devices could not connect`);
  log('network blip: every device drops at once');
  for (const c of first) c.drop();
  // Give the broker a moment to read the resets, as a real blip would before the first retry.
  await sleep(500);
  log(`queuing ${devices} commands (QoS 1) for the offline devices`);
  await backend.publishAll();
  if (backend.failure) return failed(o, fleet, backend.failure);
  const again = Array.from({ length: devices }, (_, i) => new LoadConnection(i, target(o,
    connectBytes({ ...o, clientId: idOf(i), clean: false }), undefined), fleet));
  log('every device reconnects at once');
  const brokerBefore = o.brokerPid === undefined ? undefined : sampleProcess(o.brokerPid);
  const genBefore = sampleProcess(process.pid, true);
  const t0 = nowNs();
  await fleet.open(again);
  const deadline = nowNs() + Math.max(o.drainS, 1) * 1e9 * 6;
  let delivered = countDelivered(fleet.received);
  while (delivered < devices && nowNs() < deadline && fleet.failed === 0) {
    await sleep(5);
    delivered = countDelivered(fleet.received);
  }
  const doneNs = nowNs();
  const sample = { brokerAfter: o.brokerPid === undefined ? undefined : sampleProcess(o.brokerPid), genAfter: sampleProcess(process.pid, true) };
  fleet.sessionsLost = again.filter((c) => c.state === 'ready' && !c.sessionPresent).length;
  const summary = summarize(o, fleet, { t0, doneNs, delivered, brokerBefore, genBefore, ...sample });
  await Promise.all([...again.map((c) => c.close()), backend.conn.close()]);
  return summary;
}

function countDelivered(received: Uint32Array): number {
  let n = 0;
  for (const r of received) if (r > 0) n++;
  return n;
}

interface StormTimes {
  t0: number;
  doneNs: number;
  delivered: number;
  brokerBefore: ProcessSample | undefined;
  brokerAfter: ProcessSample | undefined;
  genBefore: ProcessSample | undefined;
  genAfter: ProcessSample | undefined;
}

function percent(a: ProcessSample | undefined, b: ProcessSample | undefined, key: 'cpuSeconds' | 'waitSeconds', seconds: number): number | undefined {
  return a && b && seconds > 0 ? Math.round((100 * (b[key] - a[key])) / seconds) : undefined;
}

function summarize(o: BenchOptions, fleet: Fleet, t: StormTimes): StormSummary {
  const devices = o.clients;
  const seconds = (t.doneNs - t.t0) / 1e9;
  const reconnectSeconds = fleet.lastReadyNs > t.t0 ? (fleet.lastReadyNs - t.t0) / 1e9 : 0;
  let duplicates = 0;
  for (const r of fleet.received) if (r > 1) duplicates += r - 1;
  const lost = devices - t.delivered;
  const round = (s: number): number => Math.round(s * 1000) / 1000;
  return {
    mode: 'storm',
    ok: lost === 0 && fleet.failed === 0 && fleet.sessionsLost === 0,
    target: `${o.host}:${o.port} (${o.transport})`,
    devices,
    reconnectSeconds: round(reconnectSeconds),
    deliveredSeconds: round(seconds),
    sessionsPerSecond: reconnectSeconds > 0 ? Math.round(fleet.ready / reconnectSeconds) : 0,
    sessionsLost: fleet.sessionsLost,
    reconnectHandshake: fleet.handshake.percentiles(),
    verification: { lost, duplicates },
    problems: [...fleet.problems].map(([reason, count]) => ({ reason, count })),
    cpu: {
      generatorPercent: percent(t.genBefore, t.genAfter, 'cpuSeconds', seconds) ?? 0,
      brokerPercent: percent(t.brokerBefore, t.brokerAfter, 'cpuSeconds', seconds),
      generatorWaitPercent: percent(t.genBefore, t.genAfter, 'waitSeconds', seconds),
      brokerWaitPercent: percent(t.brokerBefore, t.brokerAfter, 'waitSeconds', seconds),
    },
    broker: o.brokerPid !== undefined && t.brokerBefore && t.brokerAfter
      ? { pid: o.brokerPid, rssBeforeKiB: t.brokerBefore.rssKiB, rssAfterKiB: t.brokerAfter.rssKiB }
      : undefined,
  };
}

function failed(o: BenchOptions, fleet: Fleet, reason: string): StormSummary {
  fleet.note(reason);
  return summarize(o, fleet, { t0: 0, doneNs: 0, delivered: 0, brokerBefore: undefined, brokerAfter: undefined, genBefore: undefined, genAfter: undefined });
}

/** The storm's summary in a few lines, for people. */
export function formatStorm(s: StormSummary): string {
  const p = s.reconnectHandshake;
  return [
    `midge bench storm: ${s.devices} devices with persistent sessions at ${s.target}`,
    `  back          ${s.devices - s.sessionsLost - fleetFailures(s)} sessions in ${s.reconnectSeconds} s (${s.sessionsPerSecond}/s)${p ? `; handshake p50 ${(p.p50Us / 1000).toFixed(1)} ms, p99 ${(p.p99Us / 1000).toFixed(1)} ms` : ''}`,
    `  delivered     ${s.devices - s.verification.lost} of ${s.devices} queued commands after ${s.deliveredSeconds} s; lost ${s.verification.lost}, duplicates ${s.verification.duplicates}, sessions lost ${s.sessionsLost}`,
    `  errors        ${s.problems.length === 0 ? 'none' : s.problems.map((x) => `${x.reason} (${x.count})`).join('; ')}`,
    `  cpu           generator ${s.cpu.generatorPercent} %, broker ${s.cpu.brokerPercent ?? '-'} %; 100 % = one core, during the storm`,
    `  result        ${s.ok ? 'ok' : 'FAILED'}`,
    '',
  ].join('\n');
}

function fleetFailures(s: StormSummary): number {
  return s.problems.reduce((n, x) => n + x.count, 0);
}
