import { isUtf8 } from 'node:buffer';
import { SnDecodeError } from './errors.js';

/**
 * Bounds-checked reader over the variable part of one message. Every read that would
 * pass the end raises `TRUNCATED`, so decoders never index past the message and never
 * throw anything but {@link SnDecodeError}.
 */
export class SnReader {
  private pos: number;

  /**
   * @param buf the datagram
   * @param start first octet of the variable part
   * @param end one past the last octet of the message
   * @param msgType the MsgType, named in errors
   */
  constructor(private readonly buf: Uint8Array, start: number, private readonly end: number, readonly msgType: number) {
    this.pos = start;
  }

  /** Octets left in the message. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** A decode error about this message. */
  fail(code: SnDecodeError['code'], message: string): SnDecodeError {
    return new SnDecodeError(code, message, this.msgType);
  }

  private need(n: number, field: string): void {
    if (this.pos + n > this.end) throw this.fail('TRUNCATED', `message ends inside ${field}`);
  }

  /** One octet. */
  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  /** Two octets, most significant first [MQTT-SN-1.2 5.1]. */
  u16(field: string): number {
    this.need(2, field);
    const value = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return value;
  }

  /** `n` octets, copied so the message never pins the datagram it came in. */
  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const out = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  /** The rest of the message, copied. */
  rest(): Buffer {
    return this.bytes(this.remaining, 'the rest');
  }

  /**
   * `n` octets as a string: well-formed UTF-8 without U+0000, as MQTT strings are
   * [MQTT-1.5.4-1] [MQTT-1.5.4-2]. Tests: "rejects a REGISTER whose TopicName is not UTF-8
   * (INVALID_UTF8)", "rejects a CONNECT whose ClientId contains U+0000 (NULL_CHARACTER)".
   */
  utf8(n: number, field: string): string {
    this.need(n, field);
    const start = this.pos;
    this.pos += n;
    return this.decodeString(start, this.pos, field);
  }

  /** The rest of the message as a string (the length of a topic name or client id is implicit). */
  utf8Rest(field: string): string {
    return this.utf8(this.remaining, field);
  }

  /** Raises `TRAILING_BYTES` unless every octet of the message was read. */
  expectEnd(): void {
    if (this.remaining !== 0) {
      throw this.fail('TRAILING_BYTES', `${this.remaining} octet(s) after the last field`);
    }
  }

  private decodeString(start: number, end: number, field: string): string {
    const bytes = this.buf.subarray(start, end);
    if (bytes.indexOf(0) !== -1) throw this.fail('NULL_CHARACTER', `${field} contains U+0000`);
    let ascii = true;
    for (const b of bytes) {
      if (b >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    if (!isUtf8(bytes)) throw this.fail('INVALID_UTF8', `${field} is not well-formed UTF-8`);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  }
}
