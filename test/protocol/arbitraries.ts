import fc from 'fast-check';
import {
  PacketType, propertyDefinitions, type Packet, type Properties, type PropertyDefinition, type PropertyPlace,
  type ProtocolVersion, type QoS, type Subscription, type UserProperty, type Will,
} from '../../src/protocol/index.js';

/**
 * fast-check arbitraries for every valid packet of every protocol version: what a
 * conforming peer may send, within small bounds so that runs stay quick. Optional
 * fields are left out rather than set to undefined, as a decoder leaves them out.
 */

/** A character of an MQTT string: mostly ASCII, never U+0000 or a lone surrogate [MQTT-1.5.4-1] [MQTT-1.5.4-2]. */
const char = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x01, max: 0x1f }).map((c) => String.fromCharCode(c)) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 0x80, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)),
  },
);
const levelChar = char.filter((c) => c !== '/' && c !== '+' && c !== '#');

/** A UTF-8 string as MQTT allows it. */
export const mqttString = (maxLength = 16): fc.Arbitrary<string> => fc.string({ unit: char, maxLength });
const level = fc.string({ unit: levelChar, maxLength: 6 });
const bytes = (maxLength = 32): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const qos = fc.constantFrom<QoS>(0, 1, 2);
const packetId = fc.integer({ min: 1, max: 0xffff });

/** A topic name: levels without wildcards, not empty [MQTT-4.7.3-1]. */
export const topicName = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/')).filter((t) => t.length > 0);

/** A topic filter with `+` and a trailing `#` where they may stand [MQTT-4.7.1-2] [MQTT-4.7.1-3]. */
export const topicFilter = fc
  .tuple(fc.array(fc.oneof(fc.constant('+'), level), { maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => [...levels, ...(hash ? ['#'] : [])].join('/'))
  .filter((f) => f.length > 0);

/** A shared subscription filter [MQTT-4.8.2-1] [MQTT-4.8.2-2]. */
export const sharedFilter = fc
  .tuple(fc.string({ unit: levelChar, minLength: 1, maxLength: 6 }), topicFilter)
  .map(([group, filter]) => `$share/${group}/${filter}`);

const flagKeys = new Set<keyof Properties>([
  'payloadFormatIndicator', 'requestProblemInformation', 'requestResponseInformation', 'maximumQoS', 'retainAvailable',
  'wildcardSubscriptionAvailable', 'subscriptionIdentifiersAvailable', 'sharedSubscriptionAvailable',
]);

/** A value the property may carry, within the ranges the spec sets for it. */
function propertyValue(def: PropertyDefinition, place: PropertyPlace): fc.Arbitrary<unknown> {
  if (flagKeys.has(def.key)) return fc.constantFrom(0, 1);
  switch (def.key) {
    case 'receiveMaximum':
    case 'topicAlias': return fc.integer({ min: 1, max: 0xffff });
    case 'maximumPacketSize': return fc.integer({ min: 1, max: 0xffffffff });
    case 'subscriptionIdentifiers':
      return fc.array(fc.integer({ min: 1, max: 268_435_455 }), { minLength: 1, maxLength: place === 'SUBSCRIBE' ? 1 : 3 });
    case 'userProperties':
      return fc.array(fc.tuple(mqttString(8), mqttString(8)).map(([k, v]): UserProperty => [k, v]), { minLength: 1, maxLength: 3 });
    default: break;
  }
  switch (def.type) {
    case 'byte': return fc.integer({ min: 0, max: 0xff });
    case 'uint16': return fc.integer({ min: 0, max: 0xffff });
    case 'uint32': return fc.integer({ min: 0, max: 0xffffffff });
    case 'varint': return fc.integer({ min: 0, max: 268_435_455 });
    case 'utf8': return mqttString();
    case 'binary': return bytes(16);
    case 'pair': throw new Error('user properties are handled above');
  }
}

/** Some of the properties a place may carry, or undefined for none. */
export function properties(place: PropertyPlace): fc.Arbitrary<Properties | undefined> {
  const model = Object.fromEntries(
    propertyDefinitions.filter((d) => d.places.includes(place)).map((d) => [d.key, propertyValue(d, place)]),
  );
  return fc.record(model, { requiredKeys: [] }).map((r) => {
    const props = { ...r } as Properties;
    // Authentication data needs an authentication method (section 3.1.2.11.10).
    if (props.authenticationData !== undefined && props.authenticationMethod === undefined) delete props.authenticationData;
    return Object.keys(props).length > 0 ? props : undefined;
  });
}

/** `obj` without its undefined fields. */
function compact<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
const v5Props = (version: ProtocolVersion, place: PropertyPlace): fc.Arbitrary<Properties | undefined> =>
  version === 5 ? properties(place) : fc.constant(undefined);

function will(version: ProtocolVersion): fc.Arbitrary<Will> {
  return fc.record({ topic: topicName, payload: bytes(), qos, retain: fc.boolean(), properties: v5Props(version, 'WILL') }).map(compact);
}

function connect(version: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc.record({
    clean: fc.boolean(), keepAlive: fc.integer({ min: 0, max: 0xffff }), clientId: mqttString(23),
    will: optional(will(version)), username: optional(mqttString()), password: optional(bytes(16)),
    properties: v5Props(version, 'CONNECT'),
    // mosquitto's bridge bit in the protocol level (try_private).
    bridge: optional(fc.constant(true)),
  }).map((r) => compact({
    type: PacketType.CONNECT, protocolName: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, ...r,
    // Before 5.0 a password needs a user name [MQTT-3.1.2-22].
    username: version < 5 && r.password !== undefined ? (r.username ?? '') : r.username,
  }));
}

function connack(version: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc.record({
    sessionPresent: version === 3 ? fc.constant(false) : fc.boolean(),
    reasonCode: version === 5 ? fc.integer({ min: 0, max: 0xff }) : fc.integer({ min: 0, max: 5 }),
    properties: v5Props(version, 'CONNACK'),
  }).map((r) => compact({ type: PacketType.CONNACK, ...r }));
}

function publish(version: ProtocolVersion): fc.Arbitrary<Packet> {
  return fc.record({
    topic: topicName, payload: bytes(64), qos, retain: fc.boolean(), dup: fc.boolean(), packetId,
    aliasOnly: version === 5 ? fc.boolean() : fc.constant(false), properties: v5Props(version, 'PUBLISH'),
  }).map(({ aliasOnly, ...r }) => {
    let props = r.properties;
    // An empty topic name stands for a topic alias (section 3.3.2.1).
    if (aliasOnly) props = { ...props, topicAlias: props?.topicAlias ?? 1 };
    return compact({
      type: PacketType.PUBLISH, topic: aliasOnly ? '' : r.topic, payload: r.payload, qos: r.qos, retain: r.retain,
      dup: r.qos > 0 && r.dup, packetId: r.qos > 0 ? r.packetId : undefined, properties: props,
    });
  });
}

function ack(type: 4 | 5 | 6 | 7, version: ProtocolVersion): fc.Arbitrary<Packet> {
  const name = ({ 4: 'PUBACK', 5: 'PUBREC', 6: 'PUBREL', 7: 'PUBCOMP' } as const)[type];
  return fc.record({
    packetId, reasonCode: version === 5 ? optional(fc.integer({ min: 0, max: 0xff })) : fc.constant(undefined),
    properties: v5Props(version, name),
  }).map((r) => compact({ type, ...r }));
}

function subscription(version: ProtocolVersion): fc.Arbitrary<Subscription> {
  if (version < 5) return fc.record({ topicFilter, qos }).map((s) => ({ ...s }));
  return fc.record({
    topicFilter: fc.oneof(topicFilter, sharedFilter), qos, noLocal: fc.boolean(), retainAsPublished: fc.boolean(),
    retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  }).map((s) => ({ ...s, noLocal: s.noLocal && !s.topicFilter.startsWith('$share/') }));
}

function subscribeFamily(version: ProtocolVersion): fc.Arbitrary<Packet>[] {
  const filters = fc.array(version === 5 ? fc.oneof(topicFilter, sharedFilter) : topicFilter, { minLength: 1, maxLength: 4 });
  const subackCodes = version === 5 ? fc.integer({ min: 0, max: 0xff }) : fc.constantFrom(0, 1, 2, 0x80);
  return [
    fc.record({ packetId, subscriptions: fc.array(subscription(version), { minLength: 1, maxLength: 4 }), properties: v5Props(version, 'SUBSCRIBE') })
      .map((r) => compact({ type: PacketType.SUBSCRIBE, ...r })),
    fc.record({ packetId, reasonCodes: fc.array(subackCodes, { minLength: 1, maxLength: 5 }), properties: v5Props(version, 'SUBACK') })
      .map((r) => compact({ type: PacketType.SUBACK, ...r })),
    fc.record({ packetId, topicFilters: filters, properties: v5Props(version, 'UNSUBSCRIBE') })
      .map((r) => compact({ type: PacketType.UNSUBSCRIBE, ...r })),
    fc.record({
      packetId, properties: v5Props(version, 'UNSUBACK'),
      reasonCodes: version === 5 ? fc.array(fc.integer({ min: 0, max: 0xff }), { minLength: 1, maxLength: 5 }) : fc.constant(undefined),
    }).map((r) => compact({ type: PacketType.UNSUBACK, ...r })),
  ];
}

function reasonPacket(type: 14 | 15, version: ProtocolVersion): fc.Arbitrary<Packet> {
  if (version < 5) return fc.constant({ type } as Packet);
  const codes = type === PacketType.AUTH ? fc.constantFrom(0x00, 0x18, 0x19) : fc.integer({ min: 0, max: 0xff });
  return fc.record({ reasonCode: optional(codes), properties: properties(type === PacketType.AUTH ? 'AUTH' : 'DISCONNECT') })
    .map((r) => compact({ type, ...r }) as Packet);
}

/** Any valid packet of the given protocol version. */
export function anyPacket(version: ProtocolVersion): fc.Arbitrary<Packet> {
  const all: fc.Arbitrary<Packet>[] = [
    connect(version), connack(version), publish(version), ack(4, version), ack(5, version), ack(6, version), ack(7, version),
    ...subscribeFamily(version), fc.constant({ type: PacketType.PINGREQ }), fc.constant({ type: PacketType.PINGRESP }),
    reasonPacket(PacketType.DISCONNECT, version),
  ];
  if (version === 5) all.push(reasonPacket(PacketType.AUTH, version));
  return fc.oneof(...all);
}
