import {
  PacketType, encodePacket, encodePublish, publishPacketIdOffset,
  type ProtocolVersion, type QoS,
} from '../protocol/index.js';
import { payloadTemplate } from './payload.js';

/** What a load client needs to say who it is. */
export interface ConnectSettings {
  clientId: string;
  protocolVersion: ProtocolVersion;
  keepAlive: number;
  clean: boolean;
  username?: string | undefined;
  password?: string | undefined;
}

/** Encodes the CONNECT of a load client with the shared codec. */
export function connectBytes(s: ConnectSettings): Buffer {
  return encodePacket({
    type: PacketType.CONNECT,
    protocolName: s.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: s.protocolVersion,
    clean: s.clean,
    keepAlive: s.keepAlive,
    clientId: s.clientId,
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.password !== undefined ? { password: Buffer.from(s.password) } : {}),
  }, s.protocolVersion);
}

/** Encodes a SUBSCRIBE of one filter. */
export function subscribeBytes(filter: string, qos: QoS, version: ProtocolVersion): Buffer {
  return encodePacket({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: filter, qos }] }, version);
}

/** DISCONNECT and PINGREQ never change: encode them once. */
export const DISCONNECT_BYTES = encodePacket({ type: PacketType.DISCONNECT }, 4);
/** See {@link DISCONNECT_BYTES}. */
export const PINGREQ_BYTES = encodePacket({ type: PacketType.PINGREQ }, 4);

/**
 * A PUBLISH encoded once; each message sent is a copy with its packet id and
 * payload stamp patched in place, which is what makes the generator cheap.
 */
export interface PublishTemplate {
  bytes: Buffer;
  /** Offset of the packet id (QoS 1 and 2). */
  packetIdOffset: number;
  /** Offset of the payload. */
  payloadOffset: number;
}

/** Builds the template of one publisher's messages. */
export function publishTemplate(
  topic: string, qos: QoS, payloadSize: number, retain: boolean, version: ProtocolVersion,
): PublishTemplate {
  const payload = payloadTemplate(payloadSize);
  const bytes = encodePublish({
    type: PacketType.PUBLISH, topic, payload, qos, retain, dup: false,
    ...(qos > 0 ? { packetId: 1 } : {}),
  }, version);
  return {
    bytes,
    packetIdOffset: qos > 0 ? publishPacketIdOffset(bytes) : -1,
    payloadOffset: bytes.length - payloadSize,
  };
}

/** A four-byte acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP) without reason code. */
export function writeAck(buf: Buffer, offset: number, type: number, packetId: number): void {
  buf[offset] = (type << 4) | (type === PacketType.PUBREL ? 0x02 : 0);
  buf[offset + 1] = 2;
  buf[offset + 2] = packetId >> 8;
  buf[offset + 3] = packetId & 0xff;
}

/**
 * Skips the v5 properties of a PUBLISH that start at `offset` and returns where
 * the payload begins. Only the length is read: load clients never look inside.
 */
export function skipProperties(body: Buffer, offset: number): number {
  let length = 0;
  let multiplier = 1;
  let o = offset;
  for (let i = 0; i < 4; i++) {
    const b = body[o++];
    if (b === undefined) return body.length + 1;
    length += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) return o + length;
    multiplier *= 128;
  }
  return body.length + 1;
}
