import { MAX_REMAINING_LENGTH, PacketType, type ProtocolVersion } from './constants.js';
import type {
  AckPacket, AuthPacket, ConnackPacket, ConnectPacket, DisconnectPacket, Packet, Properties,
  PublishPacket, SubackPacket, SubscribePacket, UnsubackPacket, UnsubscribePacket,
} from './packets.js';
import { propertiesSize, writeBinary, writeProperties, writeString } from './properties.js';
import { varintSize, writeVarint } from './varint.js';

/**
 * Encodes a packet for a connection of the given protocol level. Fields the level
 * cannot carry (properties and reason codes before 5.0) are left out.
 */
export function encodePacket(packet: Packet, version: ProtocolVersion): Buffer {
  switch (packet.type) {
    case PacketType.CONNECT: return encodeConnect(packet);
    case PacketType.CONNACK: return encodeConnack(packet, version);
    case PacketType.PUBLISH: return encodePublish(packet, version);
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP: return encodeAck(packet, version);
    case PacketType.SUBSCRIBE: return encodeSubscribe(packet, version);
    case PacketType.SUBACK: return encodeSuback(packet, version);
    case PacketType.UNSUBSCRIBE: return encodeUnsubscribe(packet, version);
    case PacketType.UNSUBACK: return encodeUnsuback(packet, version);
    // Fresh copies: a caller that patches or reuses a buffer must not change every later PING.
    case PacketType.PINGREQ: return Buffer.from(PINGREQ_BYTES);
    case PacketType.PINGRESP: return Buffer.from(PINGRESP_BYTES);
    case PacketType.DISCONNECT: return encodeReasonPacket(packet, version);
    case PacketType.AUTH: return encodeReasonPacket(packet, version);
  }
}

const PINGREQ_BYTES = Buffer.from([0xc0, 0x00]);
const PINGRESP_BYTES = Buffer.from([0xd0, 0x00]);

/** Allocates a packet of the given body size and writes its fixed header. */
function allocate(firstByte: number, bodySize: number): { buf: Buffer; offset: number } {
  // A remaining length needs at most four bytes (section 1.5.5): refuse rather than write a corrupt packet.
  if (bodySize > MAX_REMAINING_LENGTH) throw new RangeError(`a packet body of ${bodySize} bytes exceeds the MQTT maximum of ${MAX_REMAINING_LENGTH}`);
  const buf = Buffer.allocUnsafe(1 + varintSize(bodySize) + bodySize);
  buf[0] = firstByte;
  return { buf, offset: writeVarint(buf, 1, bodySize) };
}

function stringSize(s: string): number {
  return 2 + Buffer.byteLength(s);
}

/** mosquitto's bridge bit in the CONNECT protocol level. */
const BRIDGE_BIT = 0x80;

function encodeConnect(p: ConnectPacket): Buffer {
  const v5 = p.protocolVersion === 5;
  let size = stringSize(p.protocolName) + 1 + 1 + 2 + stringSize(p.clientId);
  if (v5) size += propertiesSize(p.properties);
  if (p.will) {
    size += stringSize(p.will.topic) + 2 + p.will.payload.length;
    if (v5) size += propertiesSize(p.will.properties);
  }
  if (p.username !== undefined) size += stringSize(p.username);
  if (p.password !== undefined) size += 2 + p.password.length;
  const { buf, offset: start } = allocate(0x10, size);
  let o = writeString(buf, start, p.protocolName);
  buf[o++] = p.bridge ? p.protocolVersion | BRIDGE_BIT : p.protocolVersion;
  let flags = p.clean ? 0x02 : 0;
  if (p.will) flags |= 0x04 | (p.will.qos << 3) | (p.will.retain ? 0x20 : 0);
  if (p.password !== undefined) flags |= 0x40;
  if (p.username !== undefined) flags |= 0x80;
  buf[o++] = flags;
  o = buf.writeUInt16BE(p.keepAlive, o);
  if (v5) o = writeProperties(buf, o, p.properties);
  o = writeString(buf, o, p.clientId);
  if (p.will) {
    if (v5) o = writeProperties(buf, o, p.will.properties);
    o = writeString(buf, o, p.will.topic);
    o = writeBinary(buf, o, p.will.payload);
  }
  if (p.username !== undefined) o = writeString(buf, o, p.username);
  if (p.password !== undefined) writeBinary(buf, o, p.password);
  return buf;
}

/** CONNACK; MQTT 3.1 has no Session Present flag, so level 3 always sends 0 there. */
function encodeConnack(p: ConnackPacket, version: ProtocolVersion): Buffer {
  const v5 = version === 5;
  const { buf, offset } = allocate(0x20, 2 + (v5 ? propertiesSize(p.properties) : 0));
  buf[offset] = p.sessionPresent && version > 3 ? 1 : 0;
  buf[offset + 1] = p.reasonCode;
  if (v5) writeProperties(buf, offset + 2, p.properties);
  return buf;
}

/** The first byte of a PUBLISH fixed header. */
export function publishFirstByte(qos: number, retain: boolean, dup: boolean): number {
  return 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
}

/**
 * Encodes a PUBLISH. For fan-out the broker encodes once per distinct shape and
 * patches the packet id in place at {@link publishPacketIdOffset}.
 */
export function encodePublish(p: PublishPacket, version: ProtocolVersion): Buffer {
  const topicBytes = Buffer.byteLength(p.topic);
  if (topicBytes > 0xffff) throw new RangeError(`a topic of ${topicBytes} bytes exceeds 65,535 [MQTT-4.7.3-3]`);
  const propsSize = version === 5 ? propertiesSize(p.properties) : 0;
  const size = 2 + topicBytes + (p.qos > 0 ? 2 : 0) + propsSize + p.payload.length;
  if (size > MAX_REMAINING_LENGTH) throw new RangeError(`a PUBLISH of ${size} bytes exceeds the MQTT maximum of ${MAX_REMAINING_LENGTH}`);
  // One allocation for the whole packet (pooled below 4 KiB); the header is written
  // inline rather than through allocate() to keep the hot path free of temporaries.
  const buf = Buffer.allocUnsafe(1 + varintSize(size) + size);
  buf[0] = publishFirstByte(p.qos, p.retain, p.dup);
  let o = writeVarint(buf, 1, size);
  buf[o++] = topicBytes >> 8;
  buf[o++] = topicBytes & 0xff;
  o += buf.write(p.topic, o, topicBytes === p.topic.length ? 'latin1' : 'utf8');
  if (p.qos > 0) {
    const id = p.packetId ?? 0;
    if (id > 0xffff) throw new RangeError(`packet id ${id} exceeds 65,535`);
    buf[o++] = id >> 8;
    buf[o++] = id & 0xff;
  }
  if (version === 5) o = writeProperties(buf, o, p.properties);
  p.payload.copy(buf, o);
  return buf;
}

/** Offset of the packet identifier in an encoded QoS 1/2 PUBLISH. */
export function publishPacketIdOffset(encoded: Buffer): number {
  let o = 1;
  while (encoded[o]! & 0x80) o++;
  o++;
  return o + 2 + encoded.readUInt16BE(o);
}

/**
 * PUBACK, PUBREC, PUBREL or PUBCOMP with reason Success and no properties: the packet id
 * alone, four bytes in every version (v5 leaves the reason code out when it is 0 and
 * there are no properties, section 3.4.2.1). For the hot path, which has no packet object.
 */
export function encodeShortAck(type: 4 | 5 | 6 | 7, packetId: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf[0] = (type << 4) | (type === PacketType.PUBREL ? 0x02 : 0);
  buf[1] = 2;
  buf.writeUInt16BE(packetId, 2);
  return buf;
}

function encodeAck(p: AckPacket<4 | 5 | 6 | 7>, version: ProtocolVersion): Buffer {
  const first = (p.type << 4) | (p.type === PacketType.PUBREL ? 0x02 : 0);
  const reason = p.reasonCode ?? 0;
  if (version < 5 || (reason === 0 && !hasProps(p.properties))) return encodeShortAck(p.type, p.packetId);
  const withProps = hasProps(p.properties);
  const { buf, offset } = allocate(first, 3 + (withProps ? propertiesSize(p.properties) : 0));
  buf.writeUInt16BE(p.packetId, offset);
  buf[offset + 2] = reason;
  if (withProps) writeProperties(buf, offset + 3, p.properties);
  return buf;
}

function hasProps(props: Properties | undefined): boolean {
  if (!props) return false;
  for (const k in props) if (props[k as keyof Properties] !== undefined) return true;
  return false;
}

function encodeSubscribe(p: SubscribePacket, version: ProtocolVersion): Buffer {
  const v5 = version === 5;
  let size = 2 + (v5 ? propertiesSize(p.properties) : 0);
  for (const s of p.subscriptions) size += stringSize(s.topicFilter) + 1;
  const { buf, offset } = allocate(0x82, size);
  let o = buf.writeUInt16BE(p.packetId, offset);
  if (v5) o = writeProperties(buf, o, p.properties);
  for (const s of p.subscriptions) {
    o = writeString(buf, o, s.topicFilter);
    let options = s.qos;
    if (v5) {
      options |= (s.noLocal ? 0x04 : 0) | (s.retainAsPublished ? 0x08 : 0) | ((s.retainHandling ?? 0) << 4);
    }
    buf[o++] = options;
  }
  return buf;
}

function encodeSuback(p: SubackPacket, version: ProtocolVersion): Buffer {
  const v5 = version === 5;
  const { buf, offset } = allocate(0x90, 2 + (v5 ? propertiesSize(p.properties) : 0) + p.reasonCodes.length);
  let o = buf.writeUInt16BE(p.packetId, offset);
  if (v5) o = writeProperties(buf, o, p.properties);
  for (const code of p.reasonCodes) buf[o++] = code;
  return buf;
}

function encodeUnsubscribe(p: UnsubscribePacket, version: ProtocolVersion): Buffer {
  const v5 = version === 5;
  let size = 2 + (v5 ? propertiesSize(p.properties) : 0);
  for (const f of p.topicFilters) size += stringSize(f);
  const { buf, offset } = allocate(0xa2, size);
  let o = buf.writeUInt16BE(p.packetId, offset);
  if (v5) o = writeProperties(buf, o, p.properties);
  for (const f of p.topicFilters) o = writeString(buf, o, f);
  return buf;
}

function encodeUnsuback(p: UnsubackPacket, version: ProtocolVersion): Buffer {
  const v5 = version === 5;
  const codes = v5 ? (p.reasonCodes ?? []) : [];
  const { buf, offset } = allocate(0xb0, 2 + (v5 ? propertiesSize(p.properties) : 0) + codes.length);
  let o = buf.writeUInt16BE(p.packetId, offset);
  if (v5) o = writeProperties(buf, o, p.properties);
  for (const code of codes) buf[o++] = code;
  return buf;
}

/**
 * DISCONNECT and AUTH: the shortest form that says the same thing. DISCONNECT may
 * drop the property length after a reason code (section 3.14.2.2.1); AUTH may only
 * drop both (section 3.15.2.1), so an AUTH with a reason code always has a property
 * length.
 */
function encodeReasonPacket(p: DisconnectPacket | AuthPacket, version: ProtocolVersion): Buffer {
  const first = p.type << 4;
  const reason = p.reasonCode ?? 0;
  const withProps = hasProps(p.properties) || p.type === PacketType.AUTH;
  if (version < 5 || (reason === 0 && !hasProps(p.properties))) return Buffer.from([first, 0]);
  const { buf, offset } = allocate(first, 1 + (withProps ? propertiesSize(p.properties) : 0));
  buf[offset] = reason;
  if (withProps) writeProperties(buf, offset + 1, p.properties);
  return buf;
}
