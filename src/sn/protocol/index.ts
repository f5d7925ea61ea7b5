/**
 * The midge MQTT-SN v1.2 codec: pure, no I/O, one datagram in, one message out.
 * `decodeSnMessage` / `encodeSnMessage` for messages, `decodeSnDatagram` /
 * `encodeSnDatagram` to handle the Forwarder Encapsulation transparently.
 */
export * from './constants.js';
export * from './errors.js';
export type * from './messages.js';
export { decodeSnFlags, encodeSnFlags, SnFlagBits, type SnFlags } from './flags.js';
export { decodeSnMessage } from './decode.js';
export type { SnDecodeOptions } from './decode-body.js';
export { encodeSnMessage } from './encode.js';
export {
  decodeSnDatagram, encapsulateSnMessage, encodeSnDatagram, unwrapSnMessage,
  type SnDatagram, type SnForwarder,
} from './encapsulation.js';
export { isSnShortTopicName } from './topic.js';
