import { reasonCodeName } from '../protocol/index.js';
import type { Logger } from './ports/logger.js';
import type { BrokerStats } from './stats.js';

/**
 * Why a connection failed before its CONNECT completed: `tls` (handshake), `protocol`
 * (not MQTT, a malformed CONNECT), `timeout` (no CONNECT in time), `websocket` (upgrade
 * refused), `socket` (an error on the socket), `limit` (the listener's max_connections).
 */
export type ConnectionFailureKind = 'tls' | 'protocol' | 'timeout' | 'websocket' | 'socket' | 'limit';

/** Who failed, as far as is known. */
export interface FailedConnection {
  listener: string;
  remoteAddress: string;
  remotePort: number | undefined;
}

/** One line per source per window: a scanner or a misconfigured fleet must not flood the log. */
const WINDOW_MS = 60_000;
/** Sources remembered at once; past that the memory starts over (bounded). */
const MAX_SOURCES = 10_000;

/**
 * Counts connections that fail before CONNECT completes (by kind, for `$SYS` and
 * `/metrics`) and logs each as `connection failed` with the listener, remote address
 * and reason. Per remote address, the first failure in a minute is logged and the rest
 * are counted; the next line logged for that address says how many were not.
 */
export class ConnectionFailures {
  private readonly sources = new Map<string, { since: number; suppressed: number }>();

  constructor(private readonly logger: Logger, private readonly stats: BrokerStats, private readonly now: () => number = Date.now) {}

  report(who: FailedConnection, kind: ConnectionFailureKind, reason: string): void {
    this.stats.countFailedConnection(kind);
    const now = this.now();
    const source = this.sources.get(who.remoteAddress);
    if (source && now - source.since < WINDOW_MS) {
      source.suppressed++;
      return;
    }
    if (!source && this.sources.size >= MAX_SOURCES) this.sources.clear();
    this.sources.set(who.remoteAddress, { since: now, suppressed: 0 });
    this.logger.info({
      listener: who.listener, remoteAddress: who.remoteAddress, remotePort: who.remotePort, kind, reason,
      suppressed: source?.suppressed || undefined,
    }, 'connection failed');
  }
}

/** Printable start of a request line, for the log. */
function requestLine(chunk: Buffer): string {
  const text = chunk.subarray(0, 80).toString('latin1');
  const end = text.search(/[\r\n]/);
  return end < 0 ? text : text.slice(0, end);
}

/**
 * Why the first bytes of a connection cannot be MQTT, or undefined when they may be:
 * every MQTT connection starts with a CONNECT, whose first byte is 0x10 [MQTT-3.1.0-1]
 * [MQTT-2.1.3-1]. Recognises the usual strangers on an MQTT port by their first bytes.
 */
export function notMqttStart(chunk: Buffer): string | undefined {
  const first = chunk[0];
  if (first === undefined) return undefined;
  // 0x16 0x03 is a TLS record (a CONNECT cannot have a remaining length of 3).
  if (first === 0x16 && chunk[1] === 0x03) return 'a TLS handshake on a plain MQTT port (connect without TLS, or to a TLS listener)';
  // A CONNECT with reserved flags set is still MQTT: the codec refuses it with the right reason code [MQTT-2.1.3-1].
  // Checked before the HTTP methods, which all start with a letter: every connect pays for this function.
  if (first >> 4 === 1) return undefined;
  if (/^(GET|POST|HEAD|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE|PRI) /.test(chunk.subarray(0, 8).toString('latin1'))) {
    return `an HTTP request (${JSON.stringify(requestLine(chunk))}) on an MQTT port (WebSocket clients need a websockets listener)`;
  }
  return `not an MQTT client: the first byte 0x${first.toString(16).padStart(2, '0')} is not a CONNECT packet`;
}

/** Why a connection was closed, as first noted: the reason code and why. */
export interface CloseReason {
  code: number;
  reason: string;
}

/**
 * Why a connection that never completed CONNECT ended, from how it was closed, unless it
 * was refused with a CONNACK (a refusal, logged as one) or closed without a word (a port probe).
 */
export function earlyFailureOf(closed: CloseReason | undefined, refused: boolean): { kind: ConnectionFailureKind; reason: string } | undefined {
  if (refused || !closed) return undefined;
  if (closed.reason.startsWith('socket error')) return { kind: 'socket', reason: closed.reason };
  if (closed.reason.includes('connect timeout')) return { kind: 'timeout', reason: closed.reason };
  return { kind: 'protocol', reason: closed.reason };
}

/** Why a connection ended, for logs: the reason code by number and name (`reasonCodeName`), then why. */
export function describeClose(closed: CloseReason | undefined): string {
  return closed ? `${reasonCodeName(closed.code)}: ${closed.reason}` : 'open';
}

/** Thrown to unwind after a connection has already been closed with the right answer. */
export class ConnectionClosedSignal extends Error {}
