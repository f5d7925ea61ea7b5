import { ByteReader } from './byte-reader.js';
import { PacketType, type ProtocolVersion, type QoS } from './constants.js';
import { decodeConnect } from './decode-connect.js';
import { decodePublish } from './decode-publish.js';
import { MalformedPacketError, ProtocolViolationError } from './errors.js';
import type {
  AckPacket, AuthPacket, ConnackPacket, DisconnectPacket, Packet, Properties,
  SubackPacket, SubscribePacket, Subscription, UnsubackPacket, UnsubscribePacket,
} from './packets.js';
import { decodeProperties } from './properties.js';
import type { PropertyPlace } from './property-definitions.js';
import { SHARE_PREFIX, topicFilterSyntaxProblem } from './topic.js';

/** Re-exported so that the PUBLISH decoder stays reachable where it always was. */
export { decodePublish };

/**
 * The fixed-header flags each packet type must carry (all but PUBLISH); anything else
 * is malformed (3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2], v5 [MQTT-2.1.3-1]) (test/protocol/validation.test.ts).
 */
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

/**
 * A non-zero packet identifier [MQTT-2.2.1-3]. Zero is a Protocol Error, not a
 * Malformed Packet: the packet parses, its value is what the protocol forbids
 * (section 1.2 definitions; mosquitto answers it the same way).
 */
function packetId(r: ByteReader, name: string): number {
  const id = r.u16(`the ${name} packet identifier`);
  if (id === 0) throw new ProtocolViolationError(`${name} packet identifier 0 [MQTT-2.2.1-3]`);
  return id;
}

/**
 * CONNACK (section 3.2). MQTT 3.1 has no Session Present flag: its first byte is
 * reserved and unused, so it is ignored and read as false.
 */
function decodeConnack(body: Buffer, version: ProtocolVersion): ConnackPacket {
  const r = new ByteReader(body);
  const ackFlags = r.u8('the connack flags');
  if (version > 3 && ackFlags & 0xfe) throw new MalformedPacketError('reserved CONNACK flags set [MQTT-3.2.2-1]');
  const reasonCode = r.u8('the connack reason code');
  const packet: ConnackPacket = { type: PacketType.CONNACK, sessionPresent: version > 3 && ackFlags === 1, reasonCode };
  if (version === 5) setProps(packet, decodeProperties(r, 'CONNACK'));
  expectEnd(r, 'CONNACK');
  return packet;
}

const ACK_NAMES = { 4: 'PUBACK', 5: 'PUBREC', 6: 'PUBREL', 7: 'PUBCOMP' } as const;

function decodeAck<T extends 4 | 5 | 6 | 7>(type: T, body: Buffer, version: ProtocolVersion): AckPacket<T> {
  const name = ACK_NAMES[type];
  if (body.length === 2) {
    // The packet id alone (every 3.1.1 acknowledgement, most v5 ones): read without a
    // reader or the messages it would build (a subscriber's PUBACK per message, issue 19).
    const id = (body[0]! << 8) | body[1]!;
    if (id === 0) throw new ProtocolViolationError(`${name} packet identifier 0 [MQTT-2.2.1-3]`);
    return { type, packetId: id };
  }
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
  if (packet.subscriptions.length === 0) throw new ProtocolViolationError('SUBSCRIBE without a topic filter [MQTT-3.8.3-3] (v5: [MQTT-3.8.3-2])');
  return packet;
}

/**
 * One topic filter and its options. 3.1.1 calls reserved bits and QoS 3 malformed
 * [MQTT-3-8.3-4] (so numbered in 3.1.1); v5 calls reserved bits malformed [MQTT-3.8.3-5] but QoS 3, retain
 * handling 3 and No Local on a shared subscription protocol errors [MQTT-3.8.3-4]
 * (section 3.8.3.1). Each is a row of test/protocol/validation.test.ts.
 */
function decodeSubscription(r: ByteReader, version: ProtocolVersion): Subscription {
  const topicFilter = r.utf8('a topic filter');
  const options = r.u8('the subscription options');
  const qos = options & 0x03;
  if (version < 5) {
    if (options & 0xfc) throw new MalformedPacketError('reserved subscription option bits set [MQTT-3-8.3-4]');
    if (qos === 3) throw new MalformedPacketError('subscription with QoS 3 [MQTT-3-8.3-4]');
    checkFilter(topicFilter, version);
    return { topicFilter, qos: qos as QoS };
  }
  if (options & 0xc0) throw new MalformedPacketError('reserved subscription option bits set [MQTT-3.8.3-5]');
  if (qos === 3) throw new ProtocolViolationError('subscription with maximum QoS 3 (section 3.8.3.1)');
  const retainHandling = (options >> 4) & 0x03;
  if (retainHandling === 3) throw new ProtocolViolationError('retain handling 3 is not valid (section 3.8.3.1)');
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
 * A filter that is empty or breaks the wildcard rules is malformed in 3.1 and 3.1.1
 * [MQTT-4.7.3-1] [MQTT-4.7.1-2] [MQTT-4.7.1-3], which have no per-filter error code
 * that could say so. The whole string is checked as a plain filter: `$share/...` is
 * not part of 3.1.1, and a broker that offers it to 3.1.1 clients validates the
 * shared form itself. v5 answers a bad filter per filter with 0x8F in the SUBACK or
 * UNSUBACK, so the codec lets it through.
 */
function checkFilter(filter: string, version: ProtocolVersion): void {
  if (version === 5) return;
  const problem = topicFilterSyntaxProblem(filter);
  if (problem) throw new MalformedPacketError(`${problem} [MQTT-4.7.1-2] [MQTT-4.7.1-3]`);
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

/** AUTH reason codes: 0x00 success, 0x18 continue, 0x19 re-authenticate [MQTT-3.15.2-1]. */
const authReasonCodes: ReadonlySet<number> = new Set([0x00, 0x18, 0x19]);

function decodeAuth(body: Buffer): AuthPacket {
  const packet = decodeReasonAndProps<AuthPacket>({ type: PacketType.AUTH }, body, 'AUTH');
  if (packet.reasonCode !== undefined && !authReasonCodes.has(packet.reasonCode)) {
    throw new ProtocolViolationError(`AUTH reason code 0x${packet.reasonCode.toString(16)} [MQTT-3.15.2-1]`);
  }
  return packet;
}

/**
 * DISCONNECT and AUTH: an empty body means reason 0x00 without properties, and a
 * reason code alone means no properties (section 3.14.2.2.1). AUTH is only promised
 * the empty form (section 3.15.2.1); its reason-code-only form is accepted too,
 * since it is unambiguous, though the encoder never writes it.
 */
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
