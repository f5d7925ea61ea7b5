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

/** Flushes of at most this many bytes of small packets are joined into one buffer before the write. */
const JOIN_MAX_BYTES = 65536;
/** A chunk this large is written as it is (gathered with the others into one writev), never copied to be joined. */
const LARGE_CHUNK = 4096;

/**
 * Collects the packets for one socket and writes them in one go: small packets
 * concatenated into one buffer, anything holding a large chunk corked into one
 * writev, so that a large payload is handed to the socket without a copy.
 */
export class OutgoingBuffer implements Flushable {
  private chunks: Buffer[] = [];
  private bytes = 0;
  /** A chunk of {@link LARGE_CHUNK} bytes or more is waiting: gather, do not join. */
  private large = false;
  /** The stream writes several buffers in one system call (a socket's writev); a WebSocket stream does not. */
  private readonly gathers: boolean;

  constructor(private readonly stream: Duplex, private readonly onWritten: (bytes: number) => void) {
    this.gathers = typeof (stream as { _writev?: unknown })._writev === 'function';
  }

  /** Bytes queued here plus bytes the socket still holds. */
  get backlog(): number {
    return this.bytes + this.stream.writableLength;
  }

  push(packet: Buffer): void {
    this.chunks.push(packet);
    this.bytes += packet.length;
    if (packet.length >= LARGE_CHUNK) this.large = true;
    if (this.chunks.length === 1) scheduleFlush(this);
  }

  /**
   * One packet in two parts, its header and its payload buffer (shared by every
   * subscriber, not copied) where the stream gathers writes; else joined here, so a
   * stream that frames each write (WebSocket) still gets whole packets.
   */
  pushParts(head: Buffer, payload: Buffer): void {
    if (!this.gathers) return this.push(Buffer.concat([head, payload]));
    this.push(head);
    this.push(payload);
  }

  flush(): void {
    const chunks = this.chunks;
    if (chunks.length === 0) return;
    const bytes = this.bytes;
    const large = this.large;
    this.chunks = [];
    this.bytes = 0;
    this.large = false;
    if (this.stream.destroyed || !this.stream.writable) return;
    if (chunks.length === 1) {
      this.stream.write(chunks[0]);
    } else if (bytes <= JOIN_MAX_BYTES && !large) {
      this.stream.write(Buffer.concat(chunks, bytes));
    } else {
      this.stream.cork();
      for (const c of chunks) this.stream.write(c);
      this.stream.uncork();
    }
    this.onWritten(bytes);
  }
}
