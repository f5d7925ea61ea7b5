import { ByteReader } from './byte-reader.js';
import { PacketType, type ProtocolVersion, type QoS } from './constants.js';
import { MalformedPacketError, MqttProtocolError, ProtocolViolationError } from './errors.js';
import type { ConnectPacket, Will } from './packets.js';
import { decodeProperties } from './properties.js';
import { topicNameProblem } from './topic.js';

const expectedName: Record<number, string> = { 3: 'MQIsdp', 4: 'MQTT', 5: 'MQTT' };

/**
 * Reads the protocol level of a CONNECT body without decoding the rest, so that a
 * receiver can answer an unsupported level in a form the client understands.
 * Undefined when the body is too short to say.
 */
export function peekConnectLevel(body: Buffer): number | undefined {
  if (body.length < 2) return undefined;
  const nameLen = body.readUInt16BE(0);
  return body.length > 2 + nameLen ? body[2 + nameLen] : undefined;
}

/** mosquitto's bridge bit: set in the protocol level by a broker bridging in (`try_private`). */
const BRIDGE_BIT = 0x80;

/** The protocol version a CONNECT's level byte names, the bridge bit left out. */
export function levelVersion(level: number): number {
  return level & ~BRIDGE_BIT;
}

/**
 * Decodes a CONNECT body (section 3.1). The protocol level comes from the packet
 * itself; an unknown level fails with 0x84 [MQTT-3.1.2-2], which a receiver answers
 * with CONNACK return code 1 to a 3.1.1 client. A level with mosquitto's bridge bit
 * (0x83, 0x84, 0x85) is that version from a bridge. Each rule below is a row of
 * test/protocol/validation.test.ts named after its statement.
 */
export function decodeConnect(body: Buffer): ConnectPacket {
  const r = new ByteReader(body);
  const protocolName = r.utf8('the protocol name');
  const byte = r.u8('the protocol level');
  const level = levelVersion(byte);
  if (level !== 3 && level !== 4 && level !== 5) {
    throw new MqttProtocolError(0x84, `unsupported protocol level ${byte}`);
  }
  if (protocolName !== expectedName[level]) {
    // [MQTT-3.1.2-1]: a server that wants to say it speaks MQTT MAY answer 0x84. It
    // does so for the name of another MQTT version ('MQTT' at level 3, 'MQIsdp' at 4
    // or 5); any other name is not MQTT at all, and the connection is just closed.
    const mqttName = protocolName === 'MQTT' || protocolName === 'MQIsdp';
    throw new MqttProtocolError(mqttName ? 0x84 : 0x81, `protocol name '${protocolName}' does not match level ${level}`);
  }
  const version = level as ProtocolVersion;
  const flags = r.u8('the connect flags');
  if (flags & 0x01) throw new MalformedPacketError('the reserved connect flag is set [MQTT-3.1.2-3]');
  const willFlag = (flags & 0x04) !== 0;
  const willQos = (flags >> 3) & 0x03;
  const willRetain = (flags & 0x20) !== 0;
  const passwordFlag = (flags & 0x40) !== 0;
  const usernameFlag = (flags & 0x80) !== 0;
  // Will QoS 3 is called malformed by v5 [MQTT-3.1.2-12] (3.1.1: [MQTT-3.1.2-14]). The
  // flag rules below parse fine and break a rule, so they are protocol errors.
  if (willQos === 3) throw new MalformedPacketError('will QoS 3 [MQTT-3.1.2-14]');
  if (!willFlag && (willQos !== 0 || willRetain)) {
    // 3.1.1: [MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15]; v5: [MQTT-3.1.2-11] [MQTT-3.1.2-13].
    throw new ProtocolViolationError('will QoS or will retain set without the will flag [MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15]');
  }
  if (version < 5 && passwordFlag && !usernameFlag) {
    throw new ProtocolViolationError('password flag set without the user name flag [MQTT-3.1.2-22]');
  }
  const keepAlive = r.u16('the keep alive');
  const properties = version === 5 ? decodeProperties(r, 'CONNECT') : undefined;
  const clientId = r.utf8('the client identifier');
  const packet: ConnectPacket = {
    type: PacketType.CONNECT,
    protocolName,
    protocolVersion: version,
    clean: (flags & 0x02) !== 0,
    keepAlive,
    clientId,
  };
  if (byte & BRIDGE_BIT) packet.bridge = true;
  if (properties) packet.properties = properties;
  if (willFlag) packet.will = decodeWill(r, version, willQos as QoS, willRetain);
  if (usernameFlag) packet.username = r.utf8('the user name');
  if (passwordFlag) packet.password = r.binary('the password');
  if (r.remaining !== 0) throw new MalformedPacketError('bytes after the end of the CONNECT payload');
  return packet;
}

function decodeWill(r: ByteReader, version: ProtocolVersion, qos: QoS, retain: boolean): Will {
  const properties = version === 5 ? decodeProperties(r, 'WILL') : undefined;
  const topic = r.utf8('the will topic');
  const problem = topicNameProblem(topic);
  if (problem) throw new MqttProtocolError(version === 5 ? 0x90 : 0x81, `will ${problem} (the Will Topic is a Topic Name, section 4.7)`);
  const payload = r.binary('the will payload');
  const will: Will = { topic, payload, qos, retain };
  if (properties) will.properties = properties;
  return will;
}
