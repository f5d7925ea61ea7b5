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
      this.stream.write(Buffer.concat(chunks, bytes));
    } else {
      this.stream.cork();
      for (const c of chunks) this.stream.write(c);
      this.stream.uncork();
    }
    this.onWritten(bytes);
  }
}
