import { snMsgTypeName } from './constants.js';

/**
 * Why a datagram could not be decoded. Stable strings: the gateway may count them in
 * metrics and tests assert them.
 * - `TRUNCATED`: the datagram ends before a field the message needs.
 * - `INVALID_LENGTH`: the Length field holds a value no message can have.
 * - `LENGTH_MISMATCH`: the Length field disagrees with the size of the datagram.
 * - `UNKNOWN_TYPE`: a MsgType the spec reserves.
 * - `RESERVED_FLAGS`: a flag bit the message does not use, or a reserved Ctrl bit, is set.
 * - `RESERVED_TOPIC_ID_TYPE`: TopicIdType 0b11.
 * - `INVALID_QOS`: QoS 0b11 (-1) outside PUBLISH.
 * - `INVALID_RETURN_CODE`: a ReturnCode from the reserved range 0x04 to 0xFF.
 * - `TRAILING_BYTES`: octets after the last field of a message.
 * - `INVALID_UTF8`: a topic name, client id or will topic that is not well-formed UTF-8.
 * - `NULL_CHARACTER`: such a string contains U+0000.
 * - `NESTED_ENCAPSULATION`: an encapsulated message that is itself an encapsulation.
 */
export type SnDecodeErrorCode =
  | 'TRUNCATED'
  | 'INVALID_LENGTH'
  | 'LENGTH_MISMATCH'
  | 'UNKNOWN_TYPE'
  | 'RESERVED_FLAGS'
  | 'RESERVED_TOPIC_ID_TYPE'
  | 'INVALID_QOS'
  | 'INVALID_RETURN_CODE'
  | 'TRAILING_BYTES'
  | 'INVALID_UTF8'
  | 'NULL_CHARACTER'
  | 'NESTED_ENCAPSULATION';

/**
 * The only exception {@link decodeSnMessage} throws: the datagram is not a well-formed
 * MQTT-SN v1.2 message. Over UDP the gateway drops such a datagram (there is no
 * connection to close), so the error carries what is needed to log and count it.
 */
export class SnDecodeError extends Error {
  override readonly name = 'SnDecodeError';

  /**
   * @param code the stable reason
   * @param message what was wrong, for logs
   * @param msgType the MsgType octet when the header was readable, so a gateway can tell
   *   which message of a client was dropped
   */
  constructor(readonly code: SnDecodeErrorCode, message: string, readonly msgType?: number) {
    super(msgType === undefined ? message : `${snMsgTypeName(msgType)}: ${message}`);
  }
}

/**
 * Why a message could not be encoded: a programming error in the caller.
 * - `OUT_OF_RANGE`: a number that does not fit its field (or is not an integer).
 * - `INVALID_STRING`: a string with U+0000 or a lone surrogate, which UTF-8 cannot carry faithfully.
 * - `INVALID_SHORT_TOPIC`: a short topic name that is not exactly two octets of UTF-8.
 * - `EMPTY_FIELD`: an optional field given empty, which the wire cannot tell from absent.
 * - `TOO_LONG`: the message exceeds 65,535 octets.
 * - `UNKNOWN_TYPE`: not a message type of the spec.
 * - `INVALID_QOS`: a QoS the field cannot carry (-1 outside PUBLISH).
 * - `NESTED_ENCAPSULATION`: an encapsulation inside an encapsulation.
 */
export type SnEncodeErrorCode =
  | 'OUT_OF_RANGE'
  | 'INVALID_STRING'
  | 'INVALID_SHORT_TOPIC'
  | 'EMPTY_FIELD'
  | 'TOO_LONG'
  | 'UNKNOWN_TYPE'
  | 'INVALID_QOS'
  | 'NESTED_ENCAPSULATION';

/** The only exception {@link encodeSnMessage} throws: the message cannot be put on the wire as given. */
export class SnEncodeError extends Error {
  override readonly name = 'SnEncodeError';

  /**
   * @param code the stable reason
   * @param message what was wrong
   */
  constructor(readonly code: SnEncodeErrorCode, message: string) {
    super(message);
  }
}

/** True when a value is an {@link SnDecodeError}, as opposed to a bug. */
export function isSnDecodeError(e: unknown): e is SnDecodeError {
  return e instanceof SnDecodeError;
}
