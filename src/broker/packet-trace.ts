import {
  PacketType, decodePacket, formatPacketTrace, hexDump, varintSize, writeVarint,
  type Packet, type ProtocolVersion, type TraceDirection,
} from '../protocol/index.js';
import type { Logger } from './ports/logger.js';

/** How much of a traced client's traffic reaches the log. */
export interface TraceBudget {
  /** Packets traced per client per second; the rest are counted and reported in one line. */
  packetsPerSecond: number;
  /** Bytes of each packet shown in the hex dump. */
  maxDumpBytes: number;
}

/** What the tracer needs to know of a connection. */
export interface TracedConnection {
  readonly clientId: string;
  readonly protocolVersion: ProtocolVersion;
}

/** Per connection: whether it is traced (for the patterns and client id it was decided for) and its budget. */
interface TraceState {
  generation: number;
  clientId: string;
  traced: boolean;
  windowStart: number;
  count: number;
  skipped: number;
}

/** Most patterns, and longest pattern, {@link PacketTracer.setPatterns} accepts: the admin API passes user input. */
const MAX_PATTERNS = 100;
const MAX_PATTERN_LENGTH = 256;

/**
 * The broker's per-client packet trace (`trace_clients`): every packet to and from a
 * client whose id matches one of the patterns (`*` matches any run of characters) is
 * logged as {@link formatPacketTrace} renders it, one log record per packet with the
 * rendering as an array of lines. Bounded so that it cannot flood the log: a budget
 * of packets per client per second (what is over it is counted, and the count logged
 * when the next second starts or the client goes) and a cap on the bytes dumped.
 * Costs one boolean test per packet when no pattern is set.
 */
export class PacketTracer {
  private patterns: readonly string[] = [];
  private matcher: RegExp | undefined;
  /** Bumped on every change of patterns, so cached decisions are taken again. */
  private generation = 0;
  private readonly states = new WeakMap<TracedConnection, TraceState>();

  constructor(private readonly logger: Logger, private readonly budget: TraceBudget, patterns: readonly string[] = [], private readonly now: () => number = Date.now) {
    this.setPatterns(patterns);
  }

  /** True when some pattern is set: the only check made on the hot path. */
  get active(): boolean {
    return this.matcher !== undefined;
  }

  /** The patterns in force. */
  get clientPatterns(): readonly string[] {
    return this.patterns;
  }

  /**
   * Replaces the patterns; an empty list turns tracing off. Takes effect from the
   * next packet of every connection. Throws a RangeError for an empty pattern, more
   * than 100 patterns or one longer than 256 characters, keeping the old ones.
   */
  setPatterns(patterns: readonly string[]): void {
    if (patterns.length > MAX_PATTERNS) throw new RangeError(`at most ${MAX_PATTERNS} trace patterns`);
    for (const p of patterns) {
      if (typeof p !== 'string' || p.length === 0 || p.length > MAX_PATTERN_LENGTH) {
        throw new RangeError(`a trace pattern is 1 to ${MAX_PATTERN_LENGTH} characters`);
      }
    }
    this.patterns = [...patterns];
    this.matcher = patterns.length === 0 ? undefined : compilePatterns(patterns);
    this.generation++;
  }

  /** Whether a client id matches one of the patterns. */
  matches(clientId: string): boolean {
    return this.matcher?.test(clientId) ?? false;
  }

  /** A packet arrived; its frame is rebuilt from the first byte and body (the framer only accepts the shortest length form). */
  received(conn: TracedConnection, packet: Packet, firstByte: number, body: Buffer): void {
    const state = this.stateOf(conn, packet);
    if (state && this.spend(state)) this.log(state.clientId, 'received', wholeFrame(firstByte, body), packet, versionOf(conn, packet));
  }

  /** Bytes went out; without the packet (an encoded PUBLISH shared by subscribers) they are decoded again. */
  sent(conn: TracedConnection, bytes: Buffer, packet?: Packet): void {
    const state = this.stateOf(conn, packet);
    if (state && this.spend(state)) this.log(state.clientId, 'sent', bytes, packet ?? decodeFrame(bytes, conn.protocolVersion), conn.protocolVersion);
  }

  /** A connection ended: reports what its budget left out. */
  closed(conn: TracedConnection): void {
    const state = this.states.get(conn);
    if (state) this.reportSkipped(state);
  }

  /** The state of a traced connection, or undefined when it is not traced. */
  private stateOf(conn: TracedConnection, packet: Packet | undefined): TraceState | undefined {
    // Before the CONNECT is handled the connection has no client id; the CONNECT carries it.
    const clientId = conn.clientId || (packet?.type === PacketType.CONNECT ? packet.clientId : '');
    let state = this.states.get(conn);
    if (!state) {
      state = { generation: -1, clientId, traced: false, windowStart: this.now(), count: 0, skipped: 0 };
      this.states.set(conn, state);
    }
    if (state.generation !== this.generation || state.clientId !== clientId) {
      state.generation = this.generation;
      state.clientId = clientId;
      state.traced = this.matches(clientId);
    }
    return state.traced ? state : undefined;
  }

  /** Takes one packet from the client's budget for this second; false when it is spent. */
  private spend(state: TraceState): boolean {
    const now = this.now();
    if (now - state.windowStart >= 1000) {
      this.reportSkipped(state);
      state.windowStart = now;
      state.count = 0;
    }
    if (state.count >= this.budget.packetsPerSecond) {
      state.skipped++;
      return false;
    }
    state.count++;
    return true;
  }

  private reportSkipped(state: TraceState): void {
    if (state.skipped === 0) return;
    this.logger.info({ clientId: state.clientId, skipped: state.skipped, packetsPerSecond: this.budget.packetsPerSecond },
      `packet trace: ${state.skipped} packets not shown (over ${this.budget.packetsPerSecond} a second)`);
    state.skipped = 0;
  }

  private log(clientId: string, direction: TraceDirection, bytes: Buffer, packet: Packet | undefined, version: ProtocolVersion | undefined): void {
    const trace = packet
      ? formatPacketTrace(packet, bytes, direction, { version, maxDumpBytes: this.budget.maxDumpBytes }).split('\n')
      : [`${direction === 'sent' ? '>>' : '<<'} ${direction.toUpperCase()} (undecodable)`, ...hexDump(bytes, this.budget.maxDumpBytes)];
    this.logger.info({ clientId, direction, trace }, `packet ${direction}`);
  }
}

/** `*` matches any run of characters; everything else is literal; the whole id must match. */
export function compilePatterns(patterns: readonly string[]): RegExp {
  const alternatives = patterns.map((p) => p.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
  return new RegExp(`^(?:${alternatives.join('|')})$`, 's');
}

/** A CONNECT is read at its own level; anything else at the connection's. */
function versionOf(conn: TracedConnection, packet: Packet): ProtocolVersion | undefined {
  return packet.type === PacketType.CONNECT ? undefined : conn.protocolVersion;
}

function wholeFrame(firstByte: number, body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(1 + varintSize(body.length) + body.length);
  frame[0] = firstByte;
  body.copy(frame, writeVarint(frame, 1, body.length));
  return frame;
}

/** Decodes a frame the broker encoded; undefined if it somehow does not decode. */
function decodeFrame(bytes: Buffer, version: ProtocolVersion): Packet | undefined {
  let offset = 1;
  while (offset < bytes.length && (bytes[offset]! & 0b1000_0000) !== 0) offset++;
  try {
    return decodePacket(bytes[0]!, bytes.subarray(offset + 1), version);
  } catch {
    return undefined;
  }
}
