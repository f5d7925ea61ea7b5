import { SnMsgType } from './constants.js';
import { decodeSnMessage } from './decode.js';
import type { SnDecodeOptions } from './decode-body.js';
import { encodeSnMessage } from './encode.js';
import type { SnEncapsulatedMessage, SnMessage, SnPlainMessage } from './messages.js';

/** The forwarder a message came through, and so must go back through [MQTT-SN-1.2 5.5]. */
export interface SnForwarder {
  /** Broadcast radius for the forwarder, 0 to 3 (Ctrl bits 0 and 1). */
  radius: number;
  /** The client behind the forwarder; opaque octets chosen by the forwarder. */
  wirelessNodeId: Buffer;
}

/** One received or outgoing message, with the forwarder it travels through if any. */
export interface SnDatagram {
  message: SnPlainMessage;
  /** Absent when the client talks to the gateway directly. */
  forwarder?: SnForwarder;
}

/** Wraps a message for a forwarder. */
export function encapsulateSnMessage(message: SnPlainMessage, forwarder: SnForwarder): SnEncapsulatedMessage {
  return {
    type: SnMsgType.ENCAPSULATED,
    radius: forwarder.radius,
    wirelessNodeId: forwarder.wirelessNodeId,
    message,
  };
}

/** Separates a decoded message from its encapsulation, so handlers see plain messages only. */
export function unwrapSnMessage(message: SnMessage): SnDatagram {
  if (message.type !== SnMsgType.ENCAPSULATED) return { message };
  return {
    message: message.message,
    forwarder: { radius: message.radius, wirelessNodeId: message.wirelessNodeId },
  };
}

/**
 * Decodes a datagram into its message and, when it came through a forwarder, the
 * forwarder to answer through. Throws {@link SnDecodeError} like {@link decodeSnMessage}.
 */
export function decodeSnDatagram(datagram: Uint8Array, options?: SnDecodeOptions): SnDatagram {
  return unwrapSnMessage(decodeSnMessage(datagram, options));
}

/**
 * Encodes a message, encapsulated when a forwarder is given: a gateway answers with the
 * `forwarder` of the datagram it is answering. Throws {@link SnEncodeError} like
 * {@link encodeSnMessage}.
 */
export function encodeSnDatagram(datagram: SnDatagram): Buffer {
  const { message, forwarder } = datagram;
  return encodeSnMessage(forwarder === undefined ? message : encapsulateSnMessage(message, forwarder));
}
