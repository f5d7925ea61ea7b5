import type { Duplex } from 'node:stream';

/** Something with bytes to write at the end of this turn of the event loop. */
export interface Flushable {
  flush(): void;
}

/**
 * What to flush at the end of this turn, in order, and how many. An array reused from
 * turn to turn rather than a Set: a Set's clear() makes a new table every turn, and the
 * fleet's turns each carry a packet or two (issue 19).
 */
const dirty: (Flushable | undefined)[] = [];
let dirtyCount = 0;
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  // A flush that queues more (none does today) is taken in this same loop.
  for (let i = 0; i < dirtyCount; i++) {
    const f = dirty[i]!;
    // Let go of the connection now: the array lives as long as the broker.
    dirty[i] = undefined;
    f.flush();
  }
  dirtyCount = 0;
  lastJoin = undefined;
}

/**
 * Asks for `f.flush()` once, after the I/O callbacks of this event-loop turn.
 * Every packet written to a socket within one turn (a whole fan-out, the PUBACKs
 * for a chunk of publishes) then goes out in one write per socket. The caller asks
 * once per turn (when its first packet of the turn is queued).
 */
export function scheduleFlush(f: Flushable): void {
  dirty[dirtyCount++] = f;
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/** Flushes of at most this many bytes are joined into one buffer before the write. */
const JOIN_MAX_BYTES = 65536;

/** The packets of the last join of this turn and the buffer they were joined into. */
let lastJoin: { chunks: Buffer[]; joined: Buffer } | undefined;

function samePackets(a: Buffer[], b: Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The packets joined into one buffer, or the buffer the previous socket of this turn
 * got when it was handed the very same packets. In a fan-out every subscriber is
 * handed the same shared PUBLISH bytes (publish-encoding.ts), so one copy serves
 * them all. A copy each allocated megabytes per turn, which malloc often handed back
 * to the kernel and faulted in again on the next turn: that, more than the copying,
 * cost the fan-out benchmark's slow mode three times the CPU per delivery
 * (docs/benchmarks.md).
 */
function joinPackets(chunks: Buffer[], bytes: number): Buffer {
  if (lastJoin !== undefined && lastJoin.joined.length === bytes && samePackets(lastJoin.chunks, chunks)) return lastJoin.joined;
  const joined = Buffer.concat(chunks, bytes);
  lastJoin = { chunks, joined };
  return joined;
}

/**
 * Collects the packets for one socket and writes them in one go: concatenated when
 * small, corked into one writev when large.
 */
export class OutgoingBuffer implements Flushable {
  /** The turn's first packet; most turns have one (a PUBACK, a device's PUBLISH), which needs no array. */
  private first: Buffer | undefined;
  /** Every packet of the turn, the first included, once there is a second. */
  private several: Buffer[] | undefined;
  private bytes = 0;

  constructor(private readonly stream: Duplex, private readonly onWritten: (bytes: number) => void) {}

  /** Bytes queued here plus bytes the socket still holds. */
  get backlog(): number {
    return this.bytes + this.stream.writableLength;
  }

  push(packet: Buffer): void {
    this.bytes += packet.length;
    if (this.first === undefined) {
      this.first = packet;
      scheduleFlush(this);
    } else if (this.several === undefined) {
      this.several = [this.first, packet];
    } else {
      this.several.push(packet);
    }
  }

  flush(): void {
    const first = this.first;
    if (first === undefined) return;
    const several = this.several;
    const bytes = this.bytes;
    this.first = this.several = undefined;
    this.bytes = 0;
    if (this.stream.destroyed || !this.stream.writable) return;
    if (several === undefined) {
      this.stream.write(first);
    } else if (bytes <= JOIN_MAX_BYTES) {
      this.stream.write(joinPackets(several, bytes));
    } else {
      this.stream.cork();
      for (const c of several) this.stream.write(c);
      this.stream.uncork();
    }
    this.onWritten(bytes);
  }
}
