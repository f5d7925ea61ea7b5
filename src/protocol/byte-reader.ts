import { isUtf8 } from 'node:buffer';
import { MalformedPacketError } from './errors.js';

/**
 * Sequential reader over one packet body. Every read checks the bounds and throws
 * {@link MalformedPacketError} on truncation, so decoders never index past the end.
 */
export class ByteReader {
  pos: number;

  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new MalformedPacketError(`packet ends inside ${what}`);
  }

  u8(what = 'a byte'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what = 'a two byte integer'): number {
    this.need(2, what);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what = 'a four byte integer'): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /**
   * Variable Byte Integer: at most four bytes, in the shortest form [MQTT-1.5.5-1]
   * (a last byte of 0 after a continuation byte would be a longer spelling of the
   * same value, which would also break decode-then-encode byte equality).
   */
  varint(what = 'a variable byte integer'): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8(what);
      value += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw new MalformedPacketError(`${what} is not in its shortest form [MQTT-1.5.5-1]`);
        return value;
      }
      multiplier *= 128;
    }
    throw new MalformedPacketError(`${what} is longer than four bytes (section 1.5.5)`);
  }

  /** Binary Data: two byte length then bytes; a copy, so it outlives the socket chunk. */
  binary(what = 'binary data'): Buffer {
    const len = this.u16(what);
    this.need(len, what);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }

  /**
   * UTF-8 Encoded String [MQTT-1.5.4-1..3]: well-formed UTF-8 (which excludes
   * surrogates) and no U+0000.
   */
  utf8(what = 'a string'): string {
    const len = this.u16(what);
    this.need(len, what);
    const start = this.pos;
    this.pos += len;
    return decodeMqttString(this.buf, start, start + len, what);
  }

  /** The rest of the body, copied. */
  rest(): Buffer {
    const out = Buffer.from(this.buf.subarray(this.pos, this.end));
    this.pos = this.end;
    return out;
  }
}

/**
 * Decodes bytes as an MQTT UTF-8 string, rejecting ill-formed UTF-8 and U+0000
 * [MQTT-1.5.4-1] [MQTT-1.5.4-2]. ASCII, the common case, takes the fast path.
 */
export function decodeMqttString(buf: Buffer, start: number, end: number, what: string): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b === 0) throw new MalformedPacketError(`${what} contains U+0000`);
    if (b >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1', start, end);
  const bytes = buf.subarray(start, end);
  if (!isUtf8(bytes)) throw new MalformedPacketError(`${what} is not well-formed UTF-8`);
  if (bytes.indexOf(0) !== -1) throw new MalformedPacketError(`${what} contains U+0000`);
  return buf.toString('utf8', start, end);
}
