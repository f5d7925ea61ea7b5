import { ByteReader, decodeMqttString } from './byte-reader.js';
import { PacketType, type ProtocolVersion, type QoS } from './constants.js';
import { decodeConnect } from './decode-connect.js';
import { MalformedPacketError, MqttProtocolError, ProtocolViolationError } from './errors.js';
import type {
  AckPacket, AuthPacket, ConnackPacket, DisconnectPacket, Packet, Properties, PublishPacket,
  SubackPacket, SubscribePacket, Subscription, UnsubackPacket, UnsubscribePacket,
} from './packets.js';
import { decodeProperties } from './properties.js';
import type { PropertyPlace } from './property-definitions.js';
import { SHARE_PREFIX, topicFilterProblem } from './topic.js';

/** The fixed-header flags each packet type must carry (all but PUBLISH) [MQTT-2.2.2-1] [MQTT-2.2.2-2]. */
const requiredFlags: readonly number[] = [-1, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0];

/**
 * Decodes one packet from its fixed header's first byte and its body (as cut by
 * {@link PacketFramer}). `version` is the connection's protocol level; CONNECT
 * carries its own. Throws {@link MqttProtocolError} with the reason code to answer.
 */
export function decodePacket(firstByte: number, body: Buffer, version: ProtocolVersion): Packet {
  const type = firstByte >> 4;
  const flags = firstByte & 0x0f;
  if (type === 0) throw new MalformedPacketError('packet type 0 is reserved');
  if (type !== PacketType.PUBLISH && flags !== requiredFlags[type]) {
    throw new MalformedPacketError(`reserved flags 0x${flags.toString(16)} on packet type ${type} [MQTT-2.2.2-2]`);
  }
  if (type === PacketType.AUTH && version !== 5) throw new MalformedPacketError('AUTH exists only in MQTT 5');
  switch (type) {
    case PacketType.CONNECT: return decodeConnect(body);
    case PacketType.CONNACK: return decodeConnack(body, version);
    case PacketType.PUBLISH: return decodePublish(flags, body, version);
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP: return decodeAck(type, body, version);
    case PacketType.SUBSCRIBE: return decodeSubscribe(body, version);
    case PacketType.SUBACK: return decodeSuback(body, version);
    case PacketType.UNSUBSCRIBE: return decodeUnsubscribe(body, version);
    case PacketType.UNSUBACK: return decodeUnsuback(body, version);
    case PacketType.PINGREQ:
    case PacketType.PINGRESP:
      if (body.length !== 0) throw new MalformedPacketError('PINGREQ and PINGRESP have no body');
      return { type };
    case PacketType.DISCONNECT: return decodeDisconnect(body, version);
    default: return decodeAuth(body);
  }
}

function expectEnd(r: ByteReader, name: string): void {
  if (r.remaining !== 0) throw new MalformedPacketError(`bytes after the end of ${name}`);
}

function packetId(r: ByteReader, name: string): number {
  const id = r.u16(`the ${name} packet identifier`);
  if (id === 0) throw new MalformedPacketError(`${name} packet identifier 0 [MQTT-2.2.1-3]`);
  return id;
}

function decodeConnack(body: Buffer, version: ProtocolVersion): ConnackPacket {
  const r = new ByteReader(body);
  const ackFlags = r.u8('the connack flags');
  if (ackFlags & 0xfe) throw new MalformedPacketError('reserved CONNACK flags set [MQTT-3.2.2-1]');
  const reasonCode = r.u8('the connack reason code');
  const packet: ConnackPacket = { type: PacketType.CONNACK, sessionPresent: ackFlags === 1, reasonCode };
  if (version === 5) setProps(packet, decodeProperties(r, 'CONNACK'));
  expectEnd(r, 'CONNACK');
  return packet;
}

/**
 * PUBLISH (section 3.3): QoS 3 is malformed [MQTT-3.3.1-4]; DUP must be 0 at QoS 0
 * [MQTT-3.3.1-2]; the topic name has no wildcards [MQTT-3.3.2-2]; the payload is
 * copied so it never pins the socket chunk it arrived in.
 */
export function decodePublish(flags: number, body: Buffer, version: ProtocolVersion): PublishPacket {
  const qos = (flags >> 1) & 0x03;
  if (qos === 3) throw new MalformedPacketError('PUBLISH with QoS 3 [MQTT-3.3.1-4]');
  const dup = (flags & 0x08) !== 0;
  if (dup && qos === 0) throw new MalformedPacketError('DUP set on a QoS 0 PUBLISH [MQTT-3.3.1-2]');
  const r = new ByteReader(body);
  const topicLen = r.u16('the topic length');
  if (topicLen > r.remaining) throw new MalformedPacketError('packet ends inside the topic name');
  const topic = decodeTopicName(body, r.pos, r.pos + topicLen);
  r.pos += topicLen;
  const packet: PublishPacket = {
    type: PacketType.PUBLISH, topic, payload: EMPTY, qos: qos as QoS, retain: (flags & 0x01) !== 0, dup,
  };
  if (qos > 0) packet.packetId = packetId(r, 'PUBLISH');
  if (version === 5) {
    const props = decodeProperties(r, 'PUBLISH');
    if (props) packet.properties = props;
    if (topic.length === 0 && props?.topicAlias === undefined) {
      throw new ProtocolViolationError('empty topic name without a topic alias [MQTT-3.3.2-8]');
    }
  } else if (topic.length === 0) {
    throw new MalformedPacketError('empty topic name [MQTT-4.7.3-1]');
  }
  packet.payload = r.remaining > 0 ? r.rest() : EMPTY;
  return packet;
}

const EMPTY = Buffer.alloc(0);

/** Topic names: well-formed UTF-8 without U+0000 or wildcards [MQTT-3.3.2-2]. */
function decodeTopicName(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b === 0x2b || b === 0x23) throw new MqttProtocolError(0x90, 'topic name contains a wildcard [MQTT-3.3.2-2]');
  }
  return decodeMqttString(buf, start, end, 'the topic name');
}

function decodeAck<T extends 4 | 5 | 6 | 7>(type: T, body: Buffer, version: ProtocolVersion): AckPacket<T> {
  const names = { 4: 'PUBACK', 5: 'PUBREC', 6: 'PUBREL', 7: 'PUBCOMP' } as const;
  const name = names[type];
  const r = new ByteReader(body);
  const packet: AckPacket<T> = { type, packetId: packetId(r, name) };
  if (version === 5 && r.remaining > 0) {
    packet.reasonCode = r.u8('the reason code');
    if (r.remaining > 0) setProps(packet, decodeProperties(r, name));
  }
  expectEnd(r, name);
  return packet;
}

function decodeSubscribe(body: Buffer, version: ProtocolVersion): SubscribePacket {
  const r = new ByteReader(body);
  const packet: SubscribePacket = { type: PacketType.SUBSCRIBE, packetId: packetId(r, 'SUBSCRIBE'), subscriptions: [] };
  if (version === 5) setProps(packet, decodeProperties(r, 'SUBSCRIBE'));
  while (r.remaining > 0) packet.subscriptions.push(decodeSubscription(r, version));
  if (packet.subscriptions.length === 0) throw new ProtocolViolationError('SUBSCRIBE without a topic filter [MQTT-3.8.3-3]');
  return packet;
}

function decodeSubscription(r: ByteReader, version: ProtocolVersion): Subscription {
  const topicFilter = r.utf8('a topic filter');
  const options = r.u8('the subscription options');
  const qos = options & 0x03;
  if (qos === 3) throw new MalformedPacketError('subscription with QoS 3 [MQTT-3.8.3-4]');
  if (version < 5) {
    if (options & 0xfc) throw new MalformedPacketError('reserved subscription option bits set [MQTT-3.8.3-4]');
    checkFilter(topicFilter, version);
    return { topicFilter, qos: qos as QoS };
  }
  if (options & 0xc0) throw new MalformedPacketError('reserved subscription option bits set [MQTT-3.8.3-5]');
  const retainHandling = (options >> 4) & 0x03;
  if (retainHandling === 3) throw new ProtocolViolationError('retain handling 3 is not valid');
  const noLocal = (options & 0x04) !== 0;
  if (noLocal && topicFilter.startsWith(SHARE_PREFIX)) {
    throw new ProtocolViolationError('no local on a shared subscription [MQTT-3.8.3-4]');
  }
  checkFilter(topicFilter, version);
  return {
    topicFilter,
    qos: qos as QoS,
    noLocal,
    retainAsPublished: (options & 0x08) !== 0,
    retainHandling: retainHandling as 0 | 1 | 2,
  };
}

/**
 * A filter that breaks the wildcard rules is malformed in 3.1.1 [MQTT-4.7.1-1];
 * v5 answers it per filter with 0x8F in the SUBACK, so the codec lets it through.
 */
function checkFilter(filter: string, version: ProtocolVersion): void {
  if (version === 5) return;
  const problem = topicFilterProblem(filter);
  if (problem && !problem.startsWith('shared') && !problem.startsWith('share name')) {
    throw new MalformedPacketError(`${problem} [MQTT-4.7.1-1]`);
  }
}

function decodeSuback(body: Buffer, version: ProtocolVersion): SubackPacket {
  const r = new ByteReader(body);
  const packet: SubackPacket = { type: PacketType.SUBACK, packetId: packetId(r, 'SUBACK'), reasonCodes: [] };
  if (version === 5) setProps(packet, decodeProperties(r, 'SUBACK'));
  while (r.remaining > 0) packet.reasonCodes.push(r.u8());
  return packet;
}

function decodeUnsubscribe(body: Buffer, version: ProtocolVersion): UnsubscribePacket {
  const r = new ByteReader(body);
  const packet: UnsubscribePacket = { type: PacketType.UNSUBSCRIBE, packetId: packetId(r, 'UNSUBSCRIBE'), topicFilters: [] };
  if (version === 5) setProps(packet, decodeProperties(r, 'UNSUBSCRIBE'));
  while (r.remaining > 0) {
    const filter = r.utf8('a topic filter');
    checkFilter(filter, version);
    packet.topicFilters.push(filter);
  }
  if (packet.topicFilters.length === 0) throw new ProtocolViolationError('UNSUBSCRIBE without a topic filter [MQTT-3.10.3-2]');
  return packet;
}

function decodeUnsuback(body: Buffer, version: ProtocolVersion): UnsubackPacket {
  const r = new ByteReader(body);
  const packet: UnsubackPacket = { type: PacketType.UNSUBACK, packetId: packetId(r, 'UNSUBACK') };
  if (version === 5) {
    setProps(packet, decodeProperties(r, 'UNSUBACK'));
    packet.reasonCodes = [];
    while (r.remaining > 0) packet.reasonCodes.push(r.u8());
  }
  expectEnd(r, 'UNSUBACK');
  return packet;
}

function decodeDisconnect(body: Buffer, version: ProtocolVersion): DisconnectPacket {
  const packet: DisconnectPacket = { type: PacketType.DISCONNECT };
  if (version < 5) {
    if (body.length !== 0) throw new MalformedPacketError('DISCONNECT has no body before MQTT 5');
    return packet;
  }
  return decodeReasonAndProps(packet, body, 'DISCONNECT');
}

function decodeAuth(body: Buffer): AuthPacket {
  return decodeReasonAndProps<AuthPacket>({ type: PacketType.AUTH }, body, 'AUTH');
}

/** DISCONNECT and AUTH: an empty body means reason 0x00 without properties. */
function decodeReasonAndProps<P extends DisconnectPacket | AuthPacket>(packet: P, body: Buffer, place: PropertyPlace): P {
  const r = new ByteReader(body);
  if (r.remaining > 0) {
    packet.reasonCode = r.u8('the reason code');
    if (r.remaining > 0) setProps(packet, decodeProperties(r, place));
  }
  expectEnd(r, place);
  return packet;
}

function setProps(packet: { properties?: Properties }, props: Properties | undefined): void {
  if (props) packet.properties = props;
}
