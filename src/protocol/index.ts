/**
 * The midge MQTT codec: pure, no I/O, shared by the broker, the client and the tools.
 * MQTT 3.1 (level 3), 3.1.1 (level 4) and 5.0 (level 5).
 */
export * from './constants.js';
export * from './reason-codes.js';
export * from './errors.js';
export type * from './packets.js';
export * from './property-definitions.js';
export { decodePacket, decodePublish } from './decode.js';
export { decodeConnect, levelVersion, peekConnectLevel } from './decode-connect.js';
export { encodePacket, encodePublish, encodeShortAck, publishFirstByte, publishPacketIdOffset } from './encode.js';
export { PacketFramer, type FrameHandler } from './framer.js';
export * from './topic.js';
export { varintSize, writeVarint } from './varint.js';
export { decodeMqttString } from './byte-reader.js';
export { formatPacketTrace, hexDump, type HiddenBytes, type TraceDirection, type TraceOptions } from './trace.js';
