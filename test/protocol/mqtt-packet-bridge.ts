import assert from 'node:assert/strict';
import { generate, parser, type Packet as MqttJsPacket } from 'mqtt-packet';
import {
  PacketType, packetTypeNames, propertyDefinitions, type Packet, type Properties, type ProtocolVersion, type QoS,
  type RetainHandling, type UserProperty,
} from '../../src/protocol/index.js';

/**
 * Translates between our packets and mqtt-packet's (the codec MQTT.js uses), so
 * that our fixtures can be checked against an encoder and parser we did not write.
 * mqtt-packet's shapes: `cmd` names, `messageId`, `granted`, `keepalive`, byte
 * flags as booleans, `subscriptionIdentifier`, and user properties as an object of
 * name to value or values.
 */
type Loose = Record<string, unknown>;

/** Properties whose wire type is a 0/1 byte that mqtt-packet reads as a boolean. */
const booleanKeys = new Set<keyof Properties>([
  'payloadFormatIndicator', 'requestProblemInformation', 'requestResponseInformation', 'retainAvailable',
  'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable', 'sharedSubscriptionAvailable',
]);

function toTheirProperties(props: Properties | undefined): Loose | undefined {
  if (!props) return undefined;
  const out: Loose = {};
  // Their encoder writes properties in object key order; ours in identifier order.
  for (const def of propertyDefinitions) {
    const value = props[def.key];
    if (value === undefined) continue;
    if (def.key === 'userProperties') {
      const grouped: Record<string, string | string[]> = {};
      for (const [name, v] of value as UserProperty[]) {
        const prev = grouped[name];
        grouped[name] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
      }
      out.userProperties = grouped;
    } else if (def.key === 'subscriptionIdentifiers') {
      const ids = value as number[];
      out.subscriptionIdentifier = ids.length === 1 ? ids[0] : ids;
    } else {
      out[def.key] = booleanKeys.has(def.key) ? value === 1 : value;
    }
  }
  return out;
}

function fromTheirProperties(props: unknown): Properties | undefined {
  if (!props || typeof props !== 'object') return undefined;
  const out: Loose = {};
  for (const [key, value] of Object.entries(props as Loose)) {
    if (key === 'userProperties') {
      out.userProperties = Object.entries(value as Loose).flatMap(([name, v]) =>
        (Array.isArray(v) ? v : [v]).map((item) => [name, String(item)] as UserProperty));
    } else if (key === 'subscriptionIdentifier') {
      out.subscriptionIdentifiers = Array.isArray(value) ? value : [value];
    } else {
      out[key] = typeof value === 'boolean' ? Number(value) : value;
    }
  }
  return out as Properties;
}

/** Leaves out keys whose value is undefined, as mqtt-packet's optional fields expect. */
function defined(obj: Loose): Loose {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/** Our packet as mqtt-packet's generator wants it. */
export function toMqttJs(p: Packet, version: ProtocolVersion): Loose {
  const cmd = packetTypeNames[p.type].toLowerCase();
  switch (p.type) {
    case PacketType.CONNECT:
      return defined({
        cmd, protocolId: p.protocolName, protocolVersion: p.protocolVersion, clean: p.clean, keepalive: p.keepAlive,
        clientId: p.clientId, username: p.username, password: p.password, properties: toTheirProperties(p.properties),
        will: p.will && defined({ ...p.will, properties: toTheirProperties(p.will.properties) }),
      });
    case PacketType.CONNACK:
      return defined({
        cmd, sessionPresent: p.sessionPresent, [version === 5 ? 'reasonCode' : 'returnCode']: p.reasonCode,
        properties: toTheirProperties(p.properties),
      });
    case PacketType.PUBLISH:
      return defined({
        cmd, topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: p.dup, messageId: p.packetId,
        properties: toTheirProperties(p.properties),
      });
    case PacketType.SUBSCRIBE:
      return defined({
        cmd, messageId: p.packetId, properties: toTheirProperties(p.properties),
        subscriptions: p.subscriptions.map((s) => defined({
          topic: s.topicFilter, qos: s.qos, nl: s.noLocal, rap: s.retainAsPublished, rh: s.retainHandling,
        })),
      });
    case PacketType.SUBACK:
    case PacketType.UNSUBACK:
      return defined({ cmd, messageId: p.packetId, granted: p.reasonCodes, properties: toTheirProperties(p.properties) });
    case PacketType.UNSUBSCRIBE:
      return defined({ cmd, messageId: p.packetId, unsubscriptions: p.topicFilters, properties: toTheirProperties(p.properties) });
    case PacketType.PINGREQ:
    case PacketType.PINGRESP:
      return { cmd };
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      return defined({ cmd, reasonCode: p.reasonCode, properties: toTheirProperties(p.properties) });
    default:
      // mqtt-packet writes the short form only when told the reason code is 0x00.
      return defined({
        cmd, messageId: p.packetId, reasonCode: p.reasonCode ?? (version === 5 ? 0 : undefined),
        properties: toTheirProperties(p.properties),
      });
  }
}

/** A packet parsed by mqtt-packet, as one of ours. */
export function fromMqttJs(m: Loose, version: ProtocolVersion): Packet {
  const props = fromTheirProperties(m.properties);
  const withProps = <T extends object>(packet: T): T => (props ? { ...packet, properties: props } : packet);
  switch (m.cmd) {
    case 'connect': {
      const packet: Loose = {
        type: PacketType.CONNECT, protocolName: m.protocolId, protocolVersion: m.protocolVersion, clean: m.clean,
        keepAlive: m.keepalive, clientId: m.clientId,
      };
      if (m.will) {
        const w = m.will as Loose;
        const willProps = fromTheirProperties(w.properties);
        packet.will = { topic: w.topic, payload: w.payload, qos: w.qos, retain: w.retain, ...(willProps ? { properties: willProps } : {}) };
      }
      if (m.username !== undefined) packet.username = m.username;
      if (m.password !== undefined) packet.password = m.password;
      return withProps(packet) as unknown as Packet;
    }
    case 'connack':
      return withProps({
        type: PacketType.CONNACK, sessionPresent: m.sessionPresent as boolean,
        reasonCode: (version === 5 ? m.reasonCode : m.returnCode) as number,
      });
    case 'publish': {
      const packet: Loose = { type: PacketType.PUBLISH, topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, dup: m.dup };
      if ((m.qos as number) > 0) packet.packetId = m.messageId;
      return withProps(packet) as unknown as Packet;
    }
    case 'subscribe':
      return withProps({
        type: PacketType.SUBSCRIBE, packetId: m.messageId as number,
        subscriptions: (m.subscriptions as Loose[]).map((s) => version === 5
          ? { topicFilter: s.topic as string, qos: s.qos as QoS, noLocal: s.nl as boolean, retainAsPublished: s.rap as boolean, retainHandling: s.rh as RetainHandling }
          : { topicFilter: s.topic as string, qos: s.qos as QoS }),
      });
    case 'suback':
      return withProps({ type: PacketType.SUBACK, packetId: m.messageId as number, reasonCodes: m.granted as number[] });
    case 'unsubscribe':
      return withProps({ type: PacketType.UNSUBSCRIBE, packetId: m.messageId as number, topicFilters: m.unsubscriptions as string[] });
    case 'unsuback':
      return withProps({
        type: PacketType.UNSUBACK, packetId: m.messageId as number, ...(version === 5 ? { reasonCodes: (m.granted ?? []) as number[] } : {}),
      });
    case 'pingreq': return { type: PacketType.PINGREQ };
    case 'pingresp': return { type: PacketType.PINGRESP };
    case 'disconnect':
    case 'auth':
      return withProps(defined({ type: m.cmd === 'auth' ? PacketType.AUTH : PacketType.DISCONNECT, reasonCode: m.reasonCode })) as unknown as Packet;
    default: {
      const type = { puback: PacketType.PUBACK, pubrec: PacketType.PUBREC, pubrel: PacketType.PUBREL, pubcomp: PacketType.PUBCOMP }[m.cmd as string];
      assert.ok(type, `unexpected mqtt-packet command ${String(m.cmd)}`);
      return withProps(defined({ type, packetId: m.messageId, reasonCode: m.reasonCode })) as unknown as Packet;
    }
  }
}

/** Encodes with mqtt-packet. */
export function generateWithMqttJs(p: Packet, version: ProtocolVersion): Buffer {
  return generate(toMqttJs(p, version) as unknown as MqttJsPacket, { protocolVersion: version });
}

/** Parses bytes holding one packet with mqtt-packet; throws what its parser reports. */
export function parseWithMqttJs(bytes: Buffer, version: ProtocolVersion): Packet {
  const p = parser({ protocolVersion: version });
  const packets: Loose[] = [];
  let error: Error | undefined;
  p.on('packet', (packet: MqttJsPacket) => { packets.push(packet as unknown as Loose); });
  p.on('error', (err: Error) => { error ??= err; });
  p.parse(bytes);
  if (error) throw error;
  assert.equal(packets.length, 1, 'mqtt-packet did not find exactly one packet');
  return fromMqttJs(packets[0]!, version);
}
