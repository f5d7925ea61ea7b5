import { SN_LONG_LENGTH_MARKER, SN_MAX_MESSAGE_LENGTH, SN_MAX_SHORT_FORM_LENGTH } from './constants.js';
import { SnEncodeError } from './errors.js';

/** Lone surrogates; in `u` mode a well-formed pair is one code point and does not match. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Throws `OUT_OF_RANGE` unless `value` is an integer from 0 to `max`. */
export function checkUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new SnEncodeError('OUT_OF_RANGE', `${field} ${value} is not an integer from 0 to ${max}`);
  }
}

/** UTF-8 of a string the decoder will read back unchanged: no U+0000, no lone surrogate. */
export function utf8Bytes(value: string, field: string): Buffer {
  if (value.includes('\u0000')) throw new SnEncodeError('INVALID_STRING', `${field} contains U+0000`);
  if (LONE_SURROGATE.test(value)) throw new SnEncodeError('INVALID_STRING', `${field} contains a lone surrogate`);
  return Buffer.from(value, 'utf8');
}

/**
 * Collects the fields of a message's variable part, then lays out the whole message in
 * one allocation once its size, and so its Length form, is known.
 */
export class SnMessageWriter {
  private readonly chunks: Uint8Array[] = [];
  private fixed: number[] = [];
  private size = 0;

  /** One octet. */
  u8(value: number, field: string): this {
    checkUint(value, 0xff, field);
    this.fixed.push(value);
    this.size += 1;
    return this;
  }

  /** Two octets, most significant first. */
  u16(value: number, field: string): this {
    checkUint(value, 0xffff, field);
    this.fixed.push(value >> 8, value & 0xff);
    this.size += 2;
    return this;
  }

  /** Octets as they are. */
  bytes(value: Uint8Array): this {
    this.flushFixed();
    this.chunks.push(value);
    this.size += value.length;
    return this;
  }

  /** A string as UTF-8, its length implied by the end of the message. */
  utf8(value: string, field: string): this {
    return this.bytes(utf8Bytes(value, field));
  }

  /**
   * The message with its header. The one-octet Length form whenever the whole message
   * fits in 255 octets, else 0x01 and two octets [MQTT-SN-1.2 5.2.1]. Tests: "encodes a
   * 255-octet message with the one-octet Length form", "encodes a 256-octet message with
   * the three-octet Length form".
   */
  finish(type: number): Buffer {
    this.flushFixed();
    const headerSize = 2 + this.size <= SN_MAX_SHORT_FORM_LENGTH ? 2 : 4;
    const total = headerSize + this.size;
    if (total > SN_MAX_MESSAGE_LENGTH) {
      throw new SnEncodeError('TOO_LONG', `a message of ${total} octets exceeds ${SN_MAX_MESSAGE_LENGTH}`);
    }
    const out = Buffer.allocUnsafe(total);
    if (headerSize === 2) {
      out[0] = total;
    } else {
      out[0] = SN_LONG_LENGTH_MARKER;
      out.writeUInt16BE(total, 1);
    }
    out[headerSize - 1] = type;
    let at = headerSize;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  private flushFixed(): void {
    if (this.fixed.length === 0) return;
    this.chunks.push(Uint8Array.from(this.fixed));
    this.fixed = [];
  }
}
