import { MAX_REMAINING_LENGTH } from './constants.js';
import { MalformedPacketError, PacketTooLargeError } from './errors.js';
import { varintSize } from './varint.js';

/**
 * Receives each complete frame: the fixed header's first byte and the body; `this` is the
 * `self` given to {@link PacketFramer.push}.
 */
export type FrameHandler<T = unknown> = (this: T, firstByte: number, body: Buffer) => void;

const EMPTY = Buffer.alloc(0);

/** A fixed header is at most 5 bytes: the first byte and 4 of remaining length. */
const HEADER_MAX = 5;

/**
 * Incremental framer: cuts a byte stream into MQTT packets. It accepts partial
 * frames and many frames per chunk, rejects a remaining length of more than four
 * bytes or not in its shortest form [MQTT-1.5.5-1] and enforces the maximum packet
 * size from the fixed header, before any of the body is buffered [MQTT-3.2.2-15]
 * (checked by "the maximum packet size is enforced from the fixed header before
 * any of the body is buffered" in test/protocol/validation.test.ts).
 *
 * Bodies that arrive whole in one chunk are handed out as views of it without
 * copying; a body split across chunks is joined with one copy when complete. A
 * fixed header split across chunks is carried in a 5-byte scratch buffer, so the
 * next chunk is never copied to complete it.
 *
 * Errors are fatal: after a throw (from the framer or from `onFrame`) the rest of
 * that chunk is dropped and the stream cannot be resynchronised, so the connection
 * must be closed. The framer does clear what it held, so `buffered` reads 0.
 */
/** The parts held while no frame is split: shared, and frozen so that a stray push throws (an array each costs 32 bytes per connection). */
const NO_CHUNKS: Buffer[] = Object.freeze([]) as unknown as Buffer[];

export class PacketFramer {
  /**
   * First byte and remaining-length bytes of a header cut by a chunk boundary. Made
   * on the first such cut: most connections never have one, and a Buffer of its own
   * costs about 200 bytes per connection (issue 19).
   */
  private header: Buffer | undefined;
  private headerLength = 0;
  /** The frame being collected across chunks; bodyLength is -1 when there is none. */
  private firstByte = 0;
  private bodyLength = -1;
  private chunks: Buffer[] = NO_CHUNKS;
  private collected = 0;

  /** @param maxPacketSize the largest whole packet (fixed header included) accepted */
  constructor(public maxPacketSize: number = MAX_REMAINING_LENGTH + 5) {}

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.collected + this.headerLength;
  }

  /**
   * Feeds a chunk; calls `onFrame` for each complete frame, in order, with `self` as
   * `this` (a method and its object, so that a connection need not make a closure per
   * chunk read: issue 19, allocations per message).
   */
  push<T>(chunk: Buffer, onFrame: FrameHandler<T>, self?: T): void {
    let off = 0;
    if (this.headerLength > 0) {
      off = this.continueHeader(chunk);
      if (this.headerLength > 0) return;
    }
    if (this.bodyLength >= 0) {
      off = this.continueBody(chunk, off, onFrame, self as T);
      if (this.bodyLength >= 0) return;
    }
    this.cut(chunk, off, onFrame, self as T);
  }

  /** Cuts whole frames out of `data` from `start`; keeps the state of a trailing partial one. */
  private cut<T>(data: Buffer, start: number, onFrame: FrameHandler<T>, self: T): void {
    const end = data.length;
    let off = start;
    while (off < end) {
      const len = readRemainingLength(data, off + 1, end);
      if (len < 0) {
        this.headerLength = data.copy((this.header ??= Buffer.alloc(HEADER_MAX)), 0, off, end);
        return;
      }
      const bodyStart = off + 1 + varintSize(len);
      this.checkSize(bodyStart - off + len);
      const bodyEnd = bodyStart + len;
      if (bodyEnd > end) {
        this.firstByte = data[off]!;
        this.bodyLength = len;
        this.chunks = bodyStart < end ? [data.subarray(bodyStart)] : NO_CHUNKS;
        this.collected = end - bodyStart;
        return;
      }
      onFrame.call(self, data[off]!, len === 0 ? EMPTY : data.subarray(bodyStart, bodyEnd));
      off = bodyEnd;
    }
  }

  /** Takes the remaining-length bytes of a held header from `chunk`; returns how many it took. */
  private continueHeader(chunk: Buffer): number {
    // Only called while part of a header is held, so the buffer exists.
    const header = this.header!;
    let used = 0;
    while (used < chunk.length && this.headerLength < HEADER_MAX) {
      const b = chunk[used++]!;
      header[this.headerLength++] = b;
      if ((b & 0x80) === 0) break;
    }
    const held = this.headerLength;
    this.headerLength = 0;
    const len = readRemainingLength(header, 1, held);
    if (len < 0) {
      this.headerLength = held;
      return used;
    }
    this.checkSize(1 + varintSize(len) + len);
    this.firstByte = header[0]!;
    this.bodyLength = len;
    this.chunks = NO_CHUNKS;
    this.collected = 0;
    return used;
  }

  /** Adds to the frame being collected from `chunk[off..]`; returns the offset after what it took. */
  private continueBody<T>(chunk: Buffer, off: number, onFrame: FrameHandler<T>, self: T): number {
    const need = this.bodyLength - this.collected;
    const available = chunk.length - off;
    if (available < need) {
      if (available > 0) this.hold(off === 0 ? chunk : chunk.subarray(off));
      this.collected += available;
      return chunk.length;
    }
    let body: Buffer;
    if (need === 0 && this.chunks.length === 0) {
      body = EMPTY;
    } else if (this.chunks.length === 0) {
      // The header ended in the previous chunk but the body is whole in this one.
      body = chunk.subarray(off, off + need);
    } else {
      this.chunks.push(chunk.subarray(off, off + need));
      body = Buffer.concat(this.chunks, this.bodyLength);
    }
    const first = this.firstByte;
    this.reset();
    onFrame.call(self, first, body);
    return off + need;
  }

  private hold(part: Buffer): void {
    if (this.chunks === NO_CHUNKS) this.chunks = [part];
    else this.chunks.push(part);
  }

  private checkSize(total: number): void {
    if (total > this.maxPacketSize) {
      this.reset();
      throw new PacketTooLargeError(total, this.maxPacketSize);
    }
  }

  private reset(): void {
    this.headerLength = 0;
    this.bodyLength = -1;
    this.chunks = NO_CHUNKS;
    this.collected = 0;
  }
}

/**
 * The remaining length encoded at `buf[start..end)`, or -1 when the bytes end inside
 * it. At most four bytes, in the shortest form [MQTT-1.5.5-1]; with the shortest
 * form enforced its size is `varintSize(value)`.
 */
function readRemainingLength(buf: Buffer, start: number, end: number): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i++) {
    if (start + i >= end) return -1;
    const b = buf[start + i]!;
    value += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw new MalformedPacketError('remaining length is not in its shortest form [MQTT-1.5.5-1]');
      return value;
    }
    multiplier *= 128;
  }
  throw new MalformedPacketError('remaining length is longer than four bytes (section 1.5.5)');
}
