import fc from 'fast-check';
import {
  SnMsgType, type SnEncapsulatedMessage, type SnMessage, type SnMessageOfType, type SnPlainMessage,
  type SnPlainMsgTypeCode, type SnPublishTopic, type SnSubscribeTopic, type SnWill,
} from '../../../src/sn/protocol/index.js';

/** Records with an ordinary prototype, since assert.deepEqual compares prototypes too. */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

/** Like {@link record}, with only the `required` keys always present. */
function partialRecord<T, K extends keyof T>(model: { [P in keyof T]: fc.Arbitrary<T[P]> }, required: K[]): fc.Arbitrary<Partial<T> & Pick<T, K>> {
  return fc.record(model, { noNullPrototype: true, requiredKeys: required }) as fc.Arbitrary<Partial<T> & Pick<T, K>>;
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const returnCode = fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const);
const mqttQos = fc.constantFrom(0 as const, 1 as const, 2 as const);

/** Any string UTF-8 carries faithfully and MQTT allows: no U+0000, no lone surrogate. */
const text = (minLength = 0, maxLength = 24): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', minLength, maxLength }).filter((s) => !s.includes('\u0000') && !/[\uD800-\uDFFF]/u.test(s));

/** Two ASCII characters, or one character of two UTF-8 octets (U+0080 to U+07FF). */
const shortTopicName: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 2, maxLength: 2 }).filter((s) => !s.includes('\u0000')),
  fc.integer({ min: 0x80, max: 0x7ff }).map((cp) => String.fromCodePoint(cp)),
);

/** Mostly small payloads, sometimes large enough to need the three-octet Length form. */
const payload: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 9, arbitrary: fc.uint8Array({ maxLength: 32 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 240, maxLength: 700 }) },
).map((b) => Buffer.from(b));

const nonEmptyBytes = fc.uint8Array({ minLength: 1, maxLength: 16 }).map((b) => Buffer.from(b));

const publishTopic: fc.Arbitrary<SnPublishTopic> = fc.oneof(
  record({ topicIdType: fc.constant('normal' as const), topicId: u16 }),
  record({ topicIdType: fc.constant('predefined' as const), topicId: u16 }),
  record({ topicIdType: fc.constant('short' as const), topicName: shortTopicName }),
);

const subscribeTopic: fc.Arbitrary<SnSubscribeTopic> = fc.oneof(
  record({ topicIdType: fc.constant('normal' as const), topicName: text() }),
  record({ topicIdType: fc.constant('predefined' as const), topicId: u16 }),
  record({ topicIdType: fc.constant('short' as const), topicName: shortTopicName }),
);

const will: fc.Arbitrary<SnWill> = record({ qos: mqttQos, retain: fc.boolean(), topic: text() });

const ack = { topicId: u16, msgId: u16, returnCode };

/** One arbitrary per message type; the mapped type makes a missing type a compile error. */
const byType: { [T in SnPlainMsgTypeCode]: fc.Arbitrary<SnMessageOfType<T>> } = {
  [SnMsgType.ADVERTISE]: record({ type: fc.constant(SnMsgType.ADVERTISE), gwId: u8, duration: u16 }),
  [SnMsgType.SEARCHGW]: record({ type: fc.constant(SnMsgType.SEARCHGW), radius: u8 }),
  [SnMsgType.GWINFO]: partialRecord({ type: fc.constant(SnMsgType.GWINFO), gwId: u8, gwAdd: nonEmptyBytes }, ['type', 'gwId']),
  [SnMsgType.CONNECT]: record({
    type: fc.constant(SnMsgType.CONNECT), will: fc.boolean(), cleanSession: fc.boolean(),
    protocolId: u8, duration: u16, clientId: text(),
  }),
  [SnMsgType.CONNACK]: record({ type: fc.constant(SnMsgType.CONNACK), returnCode }),
  [SnMsgType.WILLTOPICREQ]: record({ type: fc.constant(SnMsgType.WILLTOPICREQ) }),
  [SnMsgType.WILLTOPIC]: partialRecord({ type: fc.constant(SnMsgType.WILLTOPIC), will }, ['type']),
  [SnMsgType.WILLMSGREQ]: record({ type: fc.constant(SnMsgType.WILLMSGREQ) }),
  [SnMsgType.WILLMSG]: record({ type: fc.constant(SnMsgType.WILLMSG), willMessage: payload }),
  [SnMsgType.REGISTER]: record({ type: fc.constant(SnMsgType.REGISTER), topicId: u16, msgId: u16, topicName: text() }),
  [SnMsgType.REGACK]: record({ type: fc.constant(SnMsgType.REGACK), ...ack }),
  [SnMsgType.PUBLISH]: record({
    type: fc.constant(SnMsgType.PUBLISH), dup: fc.boolean(), qos: fc.constantFrom(-1 as const, 0 as const, 1 as const, 2 as const),
    retain: fc.boolean(), topic: publishTopic, msgId: u16, data: payload,
  }),
  [SnMsgType.PUBACK]: record({ type: fc.constant(SnMsgType.PUBACK), ...ack }),
  [SnMsgType.PUBCOMP]: record({ type: fc.constant(SnMsgType.PUBCOMP), msgId: u16 }),
  [SnMsgType.PUBREC]: record({ type: fc.constant(SnMsgType.PUBREC), msgId: u16 }),
  [SnMsgType.PUBREL]: record({ type: fc.constant(SnMsgType.PUBREL), msgId: u16 }),
  [SnMsgType.SUBSCRIBE]: record({
    type: fc.constant(SnMsgType.SUBSCRIBE), dup: fc.boolean(), qos: mqttQos, msgId: u16, topic: subscribeTopic,
  }),
  [SnMsgType.SUBACK]: record({ type: fc.constant(SnMsgType.SUBACK), qos: mqttQos, ...ack }),
  [SnMsgType.UNSUBSCRIBE]: record({ type: fc.constant(SnMsgType.UNSUBSCRIBE), msgId: u16, topic: subscribeTopic }),
  [SnMsgType.UNSUBACK]: record({ type: fc.constant(SnMsgType.UNSUBACK), msgId: u16 }),
  [SnMsgType.PINGREQ]: partialRecord({ type: fc.constant(SnMsgType.PINGREQ), clientId: text(1) }, ['type']),
  [SnMsgType.PINGRESP]: record({ type: fc.constant(SnMsgType.PINGRESP) }),
  [SnMsgType.DISCONNECT]: partialRecord({ type: fc.constant(SnMsgType.DISCONNECT), duration: u16 }, ['type']),
  [SnMsgType.WILLTOPICUPD]: partialRecord({ type: fc.constant(SnMsgType.WILLTOPICUPD), will }, ['type']),
  [SnMsgType.WILLMSGUPD]: record({ type: fc.constant(SnMsgType.WILLMSGUPD), willMessage: payload }),
  [SnMsgType.WILLTOPICRESP]: record({ type: fc.constant(SnMsgType.WILLTOPICRESP), returnCode }),
  [SnMsgType.WILLMSGRESP]: record({ type: fc.constant(SnMsgType.WILLMSGRESP), returnCode }),
};

/** Any message but the encapsulation, every type equally likely. */
export const plainMessage: fc.Arbitrary<SnPlainMessage> = fc.oneof(...Object.values(byType) as fc.Arbitrary<SnPlainMessage>[]);

/** A message wrapped by a forwarder. */
export const encapsulatedMessage: fc.Arbitrary<SnEncapsulatedMessage> = record({
  type: fc.constant(SnMsgType.ENCAPSULATED),
  radius: fc.integer({ min: 0, max: 3 }),
  wirelessNodeId: fc.oneof(
    fc.uint8Array({ maxLength: 8 }),
    fc.uint8Array({ minLength: 240, maxLength: 252 }),
  ).map((b) => Buffer.from(b)),
  message: plainMessage,
});

/** Any MQTT-SN message, the encapsulation included. */
export const anyMessage: fc.Arbitrary<SnMessage> = fc.oneof(
  { weight: 4, arbitrary: plainMessage },
  { weight: 1, arbitrary: encapsulatedMessage },
);
