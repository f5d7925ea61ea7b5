import { MAX_REMAINING_LENGTH } from './constants.js';
import { MalformedPacketError, PacketTooLargeError } from './errors.js';

/** Receives each complete frame: the fixed header's first byte and the body. */
export type FrameHandler = (firstByte: number, body: Buffer) => void;

/**
 * Incremental framer: cuts a byte stream into MQTT packets. It accepts partial
 * frames and many frames per chunk, rejects a remaining length of more than four
 * bytes [MQTT-1.5.5-1] and enforces the maximum packet size from the fixed header,
 * before any of the body is buffered [MQTT-3.2.2-15]. Bodies that arrive whole in
 * one chunk are handed out as views of it without copying.
 */
export class PacketFramer {
  /** Header bytes of a frame cut in the middle of its fixed header. */
  private header: Buffer | undefined;
  /** The frame being collected across chunks. */
  private firstByte = 0;
  private bodyLength = -1;
  private chunks: Buffer[] = [];
  private collected = 0;

  /** @param maxPacketSize the largest whole packet (fixed header included) accepted */
  constructor(public maxPacketSize: number = MAX_REMAINING_LENGTH + 5) {}

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.collected + (this.header?.length ?? 0);
  }

  /** Feeds a chunk; calls `onFrame` for each complete frame, in order. */
  push(chunk: Buffer, onFrame: FrameHandler): void {
    let data = chunk;
    if (this.bodyLength >= 0) {
      const used = this.continueBody(data, onFrame);
      if (used === data.length) return;
      data = data.subarray(used);
    } else if (this.header) {
      data = Buffer.concat([this.header, data]);
      this.header = undefined;
    }
    this.cut(data, onFrame);
  }

  private cut(data: Buffer, onFrame: FrameHandler): void {
    let off = 0;
    const end = data.length;
    while (off < end) {
      // Remaining length: Variable Byte Integer of at most four bytes.
      let len = 0;
      let mult = 1;
      let p = off + 1;
      let complete = false;
      for (let i = 0; i < 4 && p < end; i++) {
        const b = data[p++]!;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
        if (i === 3) throw new MalformedPacketError('remaining length is longer than four bytes [MQTT-1.5.5-1]');
      }
      if (!complete) {
        this.header = Buffer.from(data.subarray(off));
        return;
      }
      const total = p - off + len;
      if (total > this.maxPacketSize) throw new PacketTooLargeError(total, this.maxPacketSize);
      if (p + len <= end) {
        onFrame(data[off]!, data.subarray(p, p + len));
        off = p + len;
        continue;
      }
      this.firstByte = data[off]!;
      this.bodyLength = len;
      this.chunks = [data.subarray(p)];
      this.collected = end - p;
      return;
    }
  }

  /** Adds to a frame being collected; returns how much of `data` it took. */
  private continueBody(data: Buffer, onFrame: FrameHandler): number {
    const need = this.bodyLength - this.collected;
    if (data.length < need) {
      this.chunks.push(data);
      this.collected += data.length;
      return data.length;
    }
    this.chunks.push(data.subarray(0, need));
    const body = Buffer.concat(this.chunks, this.bodyLength);
    const first = this.firstByte;
    this.reset();
    onFrame(first, body);
    return need;
  }

  private reset(): void {
    this.bodyLength = -1;
    this.chunks = [];
    this.collected = 0;
  }
}
