import type { Duplex } from 'node:stream';

/** Something with bytes to write at the end of this turn of the event loop. */
export interface Flushable {
  flush(): void;
}

const dirty = new Set<Flushable>();
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  for (const f of dirty) f.flush();
  dirty.clear();
  lastJoin = undefined;
}

/**
 * Asks for `f.flush()` once, after the I/O callbacks of this event-loop turn.
 * Every packet written to a socket within one turn (a whole fan-out, the PUBACKs
 * for a chunk of publishes) then goes out in one write per socket.
 */
export function scheduleFlush(f: Flushable): void {
  dirty.add(f);
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
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly stream: Duplex, private readonly onWritten: (bytes: number) => void) {}

  /** Bytes queued here plus bytes the socket still holds. */
  get backlog(): number {
    return this.bytes + this.stream.writableLength;
  }

  push(packet: Buffer): void {
    this.chunks.push(packet);
    this.bytes += packet.length;
    if (this.chunks.length === 1) scheduleFlush(this);
  }

  flush(): void {
    const chunks = this.chunks;
    if (chunks.length === 0) return;
    const bytes = this.bytes;
    this.chunks = [];
    this.bytes = 0;
    if (this.stream.destroyed || !this.stream.writable) return;
    if (chunks.length === 1) {
      this.stream.write(chunks[0]);
    } else if (bytes <= JOIN_MAX_BYTES) {
      this.stream.write(joinPackets(chunks, bytes));
    } else {
      this.stream.cork();
      for (const c of chunks) this.stream.write(c);
      this.stream.uncork();
    }
    this.onWritten(bytes);
  }
}
