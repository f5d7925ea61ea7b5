import { availableParallelism } from 'node:os';
import { topicFilterProblem, topicNameProblem, type ProtocolVersion, type QoS } from '../protocol/index.js';

/**
 * What a run does: `pub` publishes, `sub` subscribes and measures what arrives,
 * `conn` opens idle connections, and `pubsub` runs publishers and subscribers
 * together in one closed loop (the form the throughput scenarios of
 * `npm run bench` need, because only then can publishers wait for subscribers).
 */
export type BenchMode = 'pub' | 'sub' | 'conn' | 'pubsub';

/** How live progress is shown: in place on a terminal, as plain lines, or not at all. */
export type ProgressStyle = 'auto' | 'tty' | 'lines' | 'none';

/** How load clients reach the broker: plain TCP, TLS, or WebSocket (path `/mqtt`, subprotocol `mqtt`). */
export type BenchTransport = 'tcp' | 'tls' | 'ws';

/** TLS settings of the load clients (file paths, read by each worker thread). */
export interface BenchTls {
  /** CA that signed the broker's certificate; without it the certificate is not checked. */
  caFile: string | undefined;
  /** Client certificate and key, for listeners that require one. */
  certFile: string | undefined;
  keyFile: string | undefined;
  /** Pin the protocol version: `TLSv1.2` or `TLSv1.3`; default: what both ends prefer. */
  version: 'TLSv1.2' | 'TLSv1.3' | undefined;
}

/** Everything a run needs, flat so that it crosses into worker threads as is. */
export interface BenchOptions {
  mode: BenchMode;
  host: string;
  port: number;
  transport: BenchTransport;
  tls: BenchTls;
  /** pubsub: where subscribers connect, when not to host:port (two nodes of a cluster). */
  subscriberHost: string | undefined;
  subscriberPort: number | undefined;
  protocolVersion: ProtocolVersion;
  /** Client id of client i: the prefix with `%i` replaced by i, or the prefix followed by i. */
  clientIdPrefix: string;
  username: string | undefined;
  password: string | undefined;
  /** Seconds; a PINGREQ goes out when a client has sent nothing for half of it. */
  keepAlive: number;
  clean: boolean;
  /** Milliseconds between two connection attempts over the whole run; 0: as fast as `maxPendingConnects` allows. */
  connectIntervalMs: number;
  /** Handshakes (CONNECT to CONNACK/SUBACK) in flight at once. */
  maxPendingConnects: number;
  connectTimeoutMs: number;
  /** Publishers (pub, pubsub), subscribers (sub) or connections (conn). */
  clients: number;
  /** pubsub only: number of subscribers. */
  subscribers: number;
  /** Topic of publisher i, `%i` replaced by i. */
  topic: string;
  /** Filter of subscriber i, `%i` replaced by i. */
  filter: string;
  qos: QoS;
  payloadSize: number;
  retain: boolean;
  /** Milliseconds between two messages of one publisher; 0: no schedule. */
  intervalMs: number;
  /** Total messages per second over all publishers; overrides `intervalMs` when above 0. */
  rate: number;
  /** QoS 1 and 2: messages a publisher may have unacknowledged. */
  window: number;
  /** pubsub: messages a publisher may have sent and not yet seen arrive at every subscriber; 0: no limit. */
  e2eWindow: number;
  /** Total messages to publish (pub, pubsub) or to receive (sub); 0: no limit. */
  limit: number;
  /** Measured seconds (conn: seconds to hold the connections); 0: until interrupted or `limit`. */
  durationS: number;
  /** Seconds of load before the measurement starts. */
  warmupS: number;
  /** Seconds to wait, after publishing stops, for messages and acknowledgements in flight. */
  drainS: number;
  workers: number;
  json: boolean;
  progress: ProgressStyle;
  /** The broker's pid, to report its CPU use and memory (RSS) from /proc. */
  brokerPid: number | undefined;
}

/** Defaults shared by every mode; each command overrides what it must. */
export function defaultOptions(mode: BenchMode): BenchOptions {
  return {
    mode,
    host: '127.0.0.1',
    port: 1883,
    transport: 'tcp',
    tls: { caFile: undefined, certFile: undefined, keyFile: undefined, version: undefined },
    subscriberHost: undefined,
    subscriberPort: undefined,
    protocolVersion: 4,
    clientIdPrefix: `midge-bench-${process.pid.toString(36)}-${mode}-`,
    username: undefined,
    password: undefined,
    keepAlive: 60,
    clean: true,
    connectIntervalMs: 0,
    maxPendingConnects: 100,
    connectTimeoutMs: 30_000,
    clients: mode === 'conn' ? 1000 : mode === 'pubsub' ? 1 : 10,
    subscribers: 1,
    topic: 'midge/bench/%i',
    filter: mode === 'sub' ? 'midge/bench/#' : 'midge/bench/%i',
    qos: 0,
    payloadSize: 64,
    retain: false,
    intervalMs: mode === 'pubsub' ? 0 : 1000,
    rate: 0,
    window: 64,
    e2eWindow: 0,
    limit: 0,
    durationS: mode === 'pubsub' ? 10 : 0,
    warmupS: 0,
    drainS: 5,
    workers: availableParallelism(),
    json: false,
    progress: 'auto',
    brokerPid: undefined,
  };
}

/** Replaces `%i` in a pattern by the client index. */
export function expandPattern(pattern: string, index: number): string {
  return pattern.replaceAll('%i', String(index));
}

/** The client id of client `index` of a role. */
export function clientIdFor(prefix: string, role: string, index: number): string {
  return prefix.includes('%i') ? expandPattern(prefix, index) : `${prefix}${role}${index}`;
}

/** Number of publishers and subscribers a run has. */
export function roleCounts(o: BenchOptions): { publishers: number; subscribers: number; idle: number } {
  switch (o.mode) {
    case 'pub': return { publishers: o.clients, subscribers: 0, idle: 0 };
    case 'sub': return { publishers: 0, subscribers: o.clients, idle: 0 };
    case 'conn': return { publishers: 0, subscribers: 0, idle: o.clients };
    case 'pubsub': return { publishers: o.clients, subscribers: o.subscribers, idle: 0 };
  }
}

function integerProblem(name: string, value: number, min: number, max: number): string | undefined {
  if (!Number.isInteger(value) || value < min || value > max) return `${name} must be an integer from ${min} to ${max}`;
  return undefined;
}

/** Everything wrong with a set of options, one sentence each; empty when they are usable. */
export function optionProblems(o: BenchOptions): string[] {
  const counts = roleCounts(o);
  const problems = [
    integerProblem('the port', o.port, 1, 65535),
    integerProblem('the client count', o.clients, 1, 200_000),
    integerProblem('the subscriber count', o.subscribers, 1, 100_000),
    integerProblem('the payload size', o.payloadSize, 0, 64 * 1024 * 1024),
    integerProblem('the window', o.window, 1, 65535),
    integerProblem('the end-to-end window', o.e2eWindow, 0, 1_000_000),
    integerProblem('the worker count', o.workers, 1, 256),
    integerProblem('the keep alive', o.keepAlive, 0, 65535),
    integerProblem('the number of pending connects', o.maxPendingConnects, 1, 100_000),
  ];
  if (o.qos !== 0 && o.qos !== 1 && o.qos !== 2) problems.push('QoS must be 0, 1 or 2');
  for (const [name, v] of [['the interval', o.intervalMs], ['the rate', o.rate], ['the limit', o.limit],
    ['the duration', o.durationS], ['the warm-up', o.warmupS], ['the drain time', o.drainS],
    ['the connect interval', o.connectIntervalMs]] as const) {
    if (!Number.isFinite(v) || v < 0) problems.push(`${name} must be a number of at least 0`);
  }
  if (counts.publishers > 0) problems.push(patternProblem(o.topic, topicNameProblem));
  if (counts.subscribers > 0) problems.push(patternProblem(o.filter, topicFilterProblem));
  if (o.mode === 'pubsub' && o.durationS === 0 && o.limit === 0) problems.push('pubsub needs a duration or a limit');
  if (o.transport !== 'tls' && (o.tls.caFile ?? o.tls.certFile ?? o.tls.keyFile ?? o.tls.version) !== undefined) {
    problems.push('--cafile, --cert, --key and --tls-version need --tls');
  }
  if ((o.tls.certFile === undefined) !== (o.tls.keyFile === undefined)) problems.push('--cert and --key go together');
  return problems.filter((p): p is string => p !== undefined);
}

function patternProblem(pattern: string, check: (s: string) => string | undefined): string | undefined {
  const problem = check(expandPattern(pattern, 0));
  return problem ? `'${pattern}': ${problem}` : undefined;
}
