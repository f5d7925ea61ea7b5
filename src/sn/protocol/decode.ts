import { isSnMsgType, SN_LONG_LENGTH_MARKER, SnMsgType } from './constants.js';
import { decodeSnBody, type SnDecodeOptions } from './decode-body.js';
import { SnDecodeError } from './errors.js';
import type { SnEncapsulatedMessage, SnMessage, SnPlainMessage, SnPlainMsgTypeCode } from './messages.js';
import { SnReader } from './reader.js';

/** The Length and MsgType of a message. */
interface SnHeader {
  /** The Length field's value: the whole message, Length field included. */
  length: number;
  /** 2 with the one-octet Length form, 4 with the three-octet form. */
  headerSize: number;
  type: number;
}

/** Bits 2 to 7 of the encapsulation Ctrl octet are reserved [MQTT-SN-1.2 5.5]. */
const CTRL_RADIUS_MASK = 0x03;

/**
 * Reads the Length and MsgType at `start` [MQTT-SN-1.2 5.2.1]: a first octet of 0x01
 * announces a two-octet length that follows; any other value is the length itself.
 * Both forms are accepted for any size, since short messages "may" use the short form.
 * Tests: "decodes a message sent with the three-octet Length form", "decodes the three-octet
 * Length form even for a message that would fit one octet", "rejects a Length of 0 (INVALID_LENGTH)".
 */
function readHeader(buf: Uint8Array, start: number): SnHeader {
  const size = buf.length - start;
  if (size < 2) throw new SnDecodeError('TRUNCATED', `${size} octet(s) cannot hold a Length and a MsgType`);
  const first = buf[start]!;
  if (first === SN_LONG_LENGTH_MARKER) {
    if (size < 4) throw new SnDecodeError('TRUNCATED', 'the datagram ends inside the three-octet Length form');
    const type = buf[start + 3]!;
    const length = (buf[start + 1]! << 8) | buf[start + 2]!;
    if (length < 4) throw new SnDecodeError('INVALID_LENGTH', `three-octet Length ${length} is shorter than the header`, type);
    return { length, headerSize: 4, type };
  }
  const type = buf[start + 1]!;
  if (first === 0) throw new SnDecodeError('INVALID_LENGTH', 'Length 0', type);
  return { length: first, headerSize: 2, type };
}

/**
 * A message without the encapsulation, filling the datagram from `start` to its end: the
 * Length counts every octet of the message [MQTT-SN-1.2 5.2.1]. Test: "rejects a Length
 * larger than the datagram (LENGTH_MISMATCH)".
 */
function decodePlain(buf: Uint8Array, start: number, header: SnHeader, options: SnDecodeOptions): SnPlainMessage {
  const size = buf.length - start;
  if (header.length !== size) {
    throw new SnDecodeError('LENGTH_MISMATCH', `Length says ${header.length} octets but ${size} arrived`, header.type);
  }
  if (!isSnMsgType(header.type)) {
    throw new SnDecodeError('UNKNOWN_TYPE', `MsgType 0x${header.type.toString(16).padStart(2, '0')} is reserved`);
  }
  const type = header.type as SnPlainMsgTypeCode;
  return decodeSnBody(type, new SnReader(buf, start + header.headerSize, buf.length, type), options);
}

/**
 * The Forwarder Encapsulation [MQTT-SN-1.2 5.5]: a one-octet Length covering the
 * Length, MsgType, Ctrl and Wireless Node Id, then one whole MQTT-SN message with its
 * own Length. Tests: "decodes an encapsulated PUBLISH with its Ctrl radius and Wireless
 * Node Id", "rejects an encapsulation inside an encapsulation (NESTED_ENCAPSULATION)",
 * "rejects an encapsulation with reserved Ctrl bits (RESERVED_FLAGS)".
 */
function decodeEncapsulated(buf: Uint8Array, header: SnHeader, options: SnDecodeOptions): SnEncapsulatedMessage {
  const type = SnMsgType.ENCAPSULATED;
  if (header.headerSize !== 2) throw new SnDecodeError('INVALID_LENGTH', 'the encapsulation Length is one octet', type);
  const headerEnd = header.length;
  if (headerEnd < 3) throw new SnDecodeError('INVALID_LENGTH', `Length ${headerEnd} leaves no room for Ctrl`, type);
  if (headerEnd > buf.length) throw new SnDecodeError('TRUNCATED', 'the datagram ends inside the Wireless Node Id', type);
  const ctrl = buf[2]!;
  if ((ctrl & ~CTRL_RADIUS_MASK) !== 0 && !options.ignoreUnusedFlags) {
    throw new SnDecodeError('RESERVED_FLAGS', `reserved Ctrl bits set (0x${ctrl.toString(16)})`, type);
  }
  const wirelessNodeId = Buffer.from(buf.subarray(3, headerEnd));
  const inner = readHeader(buf, headerEnd);
  if (inner.type === SnMsgType.ENCAPSULATED) {
    throw new SnDecodeError('NESTED_ENCAPSULATION', 'an encapsulated message is itself encapsulated', type);
  }
  const message = decodePlain(buf, headerEnd, inner, options);
  return { type, radius: ctrl & CTRL_RADIUS_MASK, wirelessNodeId, message };
}

/**
 * Decodes one UDP datagram holding exactly one MQTT-SN v1.2 message, possibly wrapped in
 * a Forwarder Encapsulation. Throws {@link SnDecodeError}, and nothing else, when the
 * datagram is not a well-formed message; binary fields of the result are copies, so the
 * datagram buffer may be reused. Semantic checks (topic id known, topic name valid,
 * ProtocolId supported, ...) are the gateway's: it answers those with a ReturnCode.
 */
export function decodeSnMessage(datagram: Uint8Array, options: SnDecodeOptions = {}): SnMessage {
  const header = readHeader(datagram, 0);
  if (header.type === SnMsgType.ENCAPSULATED) return decodeEncapsulated(datagram, header, options);
  return decodePlain(datagram, 0, header, options);
}
