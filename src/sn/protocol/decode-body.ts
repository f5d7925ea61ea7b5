import type { QoS } from '../../protocol/index.js';
import { SnMsgType, type SnReturnCodeValue } from './constants.js';
import { decodeSnFlags, SnFlagBits, type SnFlags } from './flags.js';
import type {
  SnMessageOfType, SnPlainMessage, SnPlainMsgTypeCode, SnPublishTopic, SnQoS, SnSubscribeTopic,
  SnTopicIdTypeName, SnWill,
} from './messages.js';
import type { SnReader } from './reader.js';

/** How strictly to read a datagram. */
export interface SnDecodeOptions {
  /**
   * Accept flag bits that a message does not use (the spec says "not used" rather than
   * "must be 0") and reserved bits of the encapsulation Ctrl octet, instead of raising
   * `RESERVED_FLAGS`. Off by default; for field devices that set them anyway.
   */
  ignoreUnusedFlags?: boolean;
}

type BodyDecoder<T extends SnPlainMsgTypeCode> = (r: SnReader, options: SnDecodeOptions) => SnMessageOfType<T>;

/**
 * The flag bits each message uses; the spec marks the others "not used" [MQTT-SN-1.2 5.4.4,
 * 5.4.7, 5.4.12, 5.4.15-17, 5.4.22]. Test: "rejects a CONNECT with the Retain flag, which it
 * does not use (RESERVED_FLAGS)".
 */
const usedFlags = {
  connect: SnFlagBits.WILL | SnFlagBits.CLEAN_SESSION,
  willTopic: SnFlagBits.QOS | SnFlagBits.RETAIN,
  publish: SnFlagBits.DUP | SnFlagBits.QOS | SnFlagBits.RETAIN | SnFlagBits.TOPIC_ID_TYPE,
  subscribe: SnFlagBits.DUP | SnFlagBits.QOS | SnFlagBits.TOPIC_ID_TYPE,
  suback: SnFlagBits.QOS,
  unsubscribe: SnFlagBits.TOPIC_ID_TYPE,
} as const;

function readFlags(r: SnReader, used: number, options: SnDecodeOptions): SnFlags {
  const octet = r.u8('the Flags');
  const unused = octet & ~used & 0xff;
  if (unused !== 0 && !options.ignoreUnusedFlags) {
    throw r.fail('RESERVED_FLAGS', `flag bits 0x${unused.toString(16).padStart(2, '0')} are not used by this message`);
  }
  return decodeSnFlags(octet & used, r.msgType);
}

/** QoS 0b11 (-1) exists only for PUBLISH [MQTT-SN-1.2 5.3.4]. Test: "rejects a SUBSCRIBE at QoS -1 (INVALID_QOS)". */
function mqttQos(r: SnReader, qos: SnQoS): QoS {
  if (qos === -1) throw r.fail('INVALID_QOS', 'QoS -1 (0b11) is allowed only in PUBLISH');
  return qos;
}

/** 0x04 to 0xFF are reserved [MQTT-SN-1.2 5.3.10]. Test: "rejects a CONNACK with the reserved ReturnCode 0x04 (INVALID_RETURN_CODE)". */
function returnCode(r: SnReader): SnReturnCodeValue {
  const code = r.u8('the ReturnCode');
  if (code > 0x03) throw r.fail('INVALID_RETURN_CODE', `ReturnCode 0x${code.toString(16)} is reserved`);
  return code as SnReturnCodeValue;
}

/**
 * A short topic name fills the two-octet TopicId field [MQTT-SN-1.2 5.3.11]. Test: "decodes
 * PUBLISH to a one-character short topic name of two UTF-8 octets".
 */
function shortTopicName(r: SnReader): string {
  return r.utf8(2, 'the short topic name');
}

function publishTopic(r: SnReader, topicIdType: SnTopicIdTypeName): SnPublishTopic {
  if (topicIdType === 'short') return { topicIdType, topicName: shortTopicName(r) };
  return { topicIdType, topicId: r.u16('the TopicId') };
}

/**
 * TopicIdType normal means a topic name fills the rest of the message [MQTT-SN-1.2 5.4.15].
 * Tests: "decodes SUBSCRIBE to a topic filter by name", "decodes SUBSCRIBE to a pre-defined topic id, duplicate".
 */
function subscribeTopic(r: SnReader, topicIdType: SnTopicIdTypeName): SnSubscribeTopic {
  switch (topicIdType) {
    case 'normal': return { topicIdType, topicName: r.utf8Rest('the TopicName') };
    case 'predefined': return { topicIdType, topicId: r.u16('the TopicId') };
    case 'short': return { topicIdType, topicName: shortTopicName(r) };
  }
}

/**
 * The variable part of WILLTOPIC and WILLTOPICUPD; none at all is the empty form that
 * deletes the will [MQTT-SN-1.2 5.4.7] [MQTT-SN-1.2 5.4.22]. Tests: "decodes empty WILLTOPIC
 * (deletes the will)", "decodes empty WILLTOPICUPD (deletes the will)".
 */
function willTopic(r: SnReader, options: SnDecodeOptions): { will?: SnWill } {
  if (r.remaining === 0) return {};
  const flags = readFlags(r, usedFlags.willTopic, options);
  return { will: { qos: mqttQos(r, flags.qos), retain: flags.retain, topic: r.utf8Rest('the WillTopic') } };
}

function ackFields(r: SnReader): { topicId: number; msgId: number; returnCode: SnReturnCodeValue } {
  return { topicId: r.u16('the TopicId'), msgId: r.u16('the MsgId'), returnCode: returnCode(r) };
}

const decodePublish: BodyDecoder<typeof SnMsgType.PUBLISH> = (r, options) => {
  const flags = readFlags(r, usedFlags.publish, options);
  const topic = publishTopic(r, flags.topicIdType);
  return {
    type: SnMsgType.PUBLISH, dup: flags.dup, qos: flags.qos, retain: flags.retain, topic,
    msgId: r.u16('the MsgId'), data: r.rest(),
  };
};

const decodeSubscribe: BodyDecoder<typeof SnMsgType.SUBSCRIBE> = (r, options) => {
  const flags = readFlags(r, usedFlags.subscribe, options);
  const qos = mqttQos(r, flags.qos);
  const msgId = r.u16('the MsgId');
  return { type: SnMsgType.SUBSCRIBE, dup: flags.dup, qos, msgId, topic: subscribeTopic(r, flags.topicIdType) };
};

const decodeSuback: BodyDecoder<typeof SnMsgType.SUBACK> = (r, options) => {
  const qos = mqttQos(r, readFlags(r, usedFlags.suback, options).qos);
  return { type: SnMsgType.SUBACK, qos, ...ackFields(r) };
};

const decodeUnsubscribe: BodyDecoder<typeof SnMsgType.UNSUBSCRIBE> = (r, options) => {
  const flags = readFlags(r, usedFlags.unsubscribe, options);
  const msgId = r.u16('the MsgId');
  return { type: SnMsgType.UNSUBSCRIBE, msgId, topic: subscribeTopic(r, flags.topicIdType) };
};

const decodeConnect: BodyDecoder<typeof SnMsgType.CONNECT> = (r, options) => {
  const flags = readFlags(r, usedFlags.connect, options);
  return {
    type: SnMsgType.CONNECT, will: flags.will, cleanSession: flags.cleanSession,
    protocolId: r.u8('the ProtocolId'), duration: r.u16('the Duration'), clientId: r.utf8Rest('the ClientId'),
  };
};

/**
 * One decoder per message type; the mapped type makes a missing type a compile error.
 * Each reads the variable part in field order (object literals evaluate in order).
 */
const bodyDecoders: { [T in SnPlainMsgTypeCode]: BodyDecoder<T> } = {
  [SnMsgType.ADVERTISE]: (r) => ({ type: SnMsgType.ADVERTISE, gwId: r.u8('the GwId'), duration: r.u16('the Duration') }),
  [SnMsgType.SEARCHGW]: (r) => ({ type: SnMsgType.SEARCHGW, radius: r.u8('the Radius') }),
  // GwAdd is present only when a client answers for a gateway [MQTT-SN-1.2 5.4.3]
  // Tests: "decodes GWINFO from a gateway (no GwAdd)", "decodes GWINFO from a client (with GwAdd)"
  [SnMsgType.GWINFO]: (r) => {
    const gwId = r.u8('the GwId');
    return r.remaining === 0 ? { type: SnMsgType.GWINFO, gwId } : { type: SnMsgType.GWINFO, gwId, gwAdd: r.rest() };
  },
  [SnMsgType.CONNECT]: decodeConnect,
  [SnMsgType.CONNACK]: (r) => ({ type: SnMsgType.CONNACK, returnCode: returnCode(r) }),
  [SnMsgType.WILLTOPICREQ]: () => ({ type: SnMsgType.WILLTOPICREQ }),
  [SnMsgType.WILLTOPIC]: (r, options) => ({ type: SnMsgType.WILLTOPIC, ...willTopic(r, options) }),
  [SnMsgType.WILLMSGREQ]: () => ({ type: SnMsgType.WILLMSGREQ }),
  [SnMsgType.WILLMSG]: (r) => ({ type: SnMsgType.WILLMSG, willMessage: r.rest() }),
  [SnMsgType.REGISTER]: (r) => ({
    type: SnMsgType.REGISTER, topicId: r.u16('the TopicId'), msgId: r.u16('the MsgId'), topicName: r.utf8Rest('the TopicName'),
  }),
  [SnMsgType.REGACK]: (r) => ({ type: SnMsgType.REGACK, ...ackFields(r) }),
  [SnMsgType.PUBLISH]: decodePublish,
  [SnMsgType.PUBACK]: (r) => ({ type: SnMsgType.PUBACK, ...ackFields(r) }),
  [SnMsgType.PUBCOMP]: (r) => ({ type: SnMsgType.PUBCOMP, msgId: r.u16('the MsgId') }),
  [SnMsgType.PUBREC]: (r) => ({ type: SnMsgType.PUBREC, msgId: r.u16('the MsgId') }),
  [SnMsgType.PUBREL]: (r) => ({ type: SnMsgType.PUBREL, msgId: r.u16('the MsgId') }),
  [SnMsgType.SUBSCRIBE]: decodeSubscribe,
  [SnMsgType.SUBACK]: decodeSuback,
  [SnMsgType.UNSUBSCRIBE]: decodeUnsubscribe,
  [SnMsgType.UNSUBACK]: (r) => ({ type: SnMsgType.UNSUBACK, msgId: r.u16('the MsgId') }),
  // The ClientId is present only when a sleeping client wakes up [MQTT-SN-1.2 5.4.19]
  // Test: "decodes PINGREQ with a client id (a sleeping client waking up)"
  [SnMsgType.PINGREQ]: (r) => (r.remaining === 0
    ? { type: SnMsgType.PINGREQ }
    : { type: SnMsgType.PINGREQ, clientId: r.utf8Rest('the ClientId') }),
  [SnMsgType.PINGRESP]: () => ({ type: SnMsgType.PINGRESP }),
  // The Duration is present only when the client goes to sleep [MQTT-SN-1.2 5.4.21]
  // Tests: "decodes DISCONNECT with a sleep duration", "rejects a DISCONNECT with a one-octet Duration (TRUNCATED)"
  [SnMsgType.DISCONNECT]: (r) => (r.remaining === 0
    ? { type: SnMsgType.DISCONNECT }
    : { type: SnMsgType.DISCONNECT, duration: r.u16('the Duration') }),
  [SnMsgType.WILLTOPICUPD]: (r, options) => ({ type: SnMsgType.WILLTOPICUPD, ...willTopic(r, options) }),
  [SnMsgType.WILLMSGUPD]: (r) => ({ type: SnMsgType.WILLMSGUPD, willMessage: r.rest() }),
  [SnMsgType.WILLTOPICRESP]: (r) => ({ type: SnMsgType.WILLTOPICRESP, returnCode: returnCode(r) }),
  [SnMsgType.WILLMSGRESP]: (r) => ({ type: SnMsgType.WILLMSGRESP, returnCode: returnCode(r) }),
};

/**
 * Decodes the variable part of a message whose header was read, and checks that no
 * octet is left over (a datagram holds exactly one message). Test: "rejects a PUBACK with a
 * trailing octet (TRAILING_BYTES)".
 */
export function decodeSnBody(type: SnPlainMsgTypeCode, r: SnReader, options: SnDecodeOptions): SnPlainMessage {
  const decoder = bodyDecoders[type] as BodyDecoder<SnPlainMsgTypeCode>;
  const message = decoder(r, options);
  r.expectEnd();
  return message;
}
