import {
  isSnMsgType, SN_MAX_WIRELESS_NODE_ID_LENGTH, SN_SHORT_TOPIC_NAME_LENGTH, SnMsgType,
} from './constants.js';
import { SnEncodeError } from './errors.js';
import { encodeSnFlags } from './flags.js';
import type {
  SnEncapsulatedMessage, SnMessage, SnMessageOfType, SnPlainMessage, SnPlainMsgTypeCode,
  SnPublishTopic, SnQoS, SnSubscribeTopic, SnWill,
} from './messages.js';
import { checkUint, SnMessageWriter, utf8Bytes } from './writer.js';

type BodyEncoder<T extends SnPlainMsgTypeCode> = (message: SnMessageOfType<T>, w: SnMessageWriter) => void;

/** Throws `INVALID_QOS` unless `qos` is 0, 1, 2 (or -1 where allowed). */
function checkQos(qos: SnQoS, allowMinusOne: boolean): void {
  const ok = qos === 0 || qos === 1 || qos === 2 || (allowMinusOne && qos === -1);
  if (!ok) throw new SnEncodeError('INVALID_QOS', `QoS ${String(qos)} cannot be encoded here`);
}

/** Only 0x00 to 0x03 are defined [MQTT-SN-1.2 5.3.10]. Test: "refuses the reserved ReturnCode 0x04 (OUT_OF_RANGE)". */
function writeReturnCode(w: SnMessageWriter, code: number): void {
  checkUint(code, 0x03, 'returnCode');
  w.u8(code, 'returnCode');
}

/**
 * A short topic name is exactly two octets in the TopicId field [MQTT-SN-1.2 5.3.11].
 * Test: "refuses a short topic name of three characters (INVALID_SHORT_TOPIC)".
 */
function writeShortTopicName(w: SnMessageWriter, name: string): void {
  const bytes = utf8Bytes(name, 'short topic name');
  if (bytes.length !== SN_SHORT_TOPIC_NAME_LENGTH) {
    throw new SnEncodeError('INVALID_SHORT_TOPIC', `short topic name '${name}' is ${bytes.length} octets, not 2`);
  }
  w.bytes(bytes);
}

function writePublishTopic(w: SnMessageWriter, topic: SnPublishTopic): void {
  if (topic.topicIdType === 'short') writeShortTopicName(w, topic.topicName);
  else w.u16(topic.topicId, 'topicId');
}

function writeSubscribeTopic(w: SnMessageWriter, topic: SnSubscribeTopic): void {
  switch (topic.topicIdType) {
    case 'normal': w.utf8(topic.topicName, 'topicName'); break;
    case 'predefined': w.u16(topic.topicId, 'topicId'); break;
    case 'short': writeShortTopicName(w, topic.topicName); break;
  }
}

/**
 * Nothing at all for the empty form that deletes the will [MQTT-SN-1.2 5.4.7]
 * [MQTT-SN-1.2 5.4.22]. Tests: "encodes empty WILLTOPIC (deletes the will)", "encodes empty
 * WILLTOPICUPD (deletes the will)".
 */
function writeWill(w: SnMessageWriter, will: SnWill | undefined): void {
  if (will === undefined) return;
  checkQos(will.qos, false);
  w.u8(encodeSnFlags({ qos: will.qos, retain: will.retain }), 'flags').utf8(will.topic, 'will topic');
}

/** TopicId, MsgId and ReturnCode: the variable part of REGACK and PUBACK, and the tail of SUBACK. */
function writeAckFields(m: { topicId: number; msgId: number; returnCode: number }, w: SnMessageWriter): void {
  w.u16(m.topicId, 'topicId').u16(m.msgId, 'msgId');
  writeReturnCode(w, m.returnCode);
}

/** An optional trailing field given empty would read back as absent, so it is refused. */
function checkNotEmpty(length: number, field: string): void {
  if (length === 0) throw new SnEncodeError('EMPTY_FIELD', `${field} is empty; leave it out instead`);
}

const encodePublish: BodyEncoder<typeof SnMsgType.PUBLISH> = (m, w) => {
  checkQos(m.qos, true);
  w.u8(encodeSnFlags({ dup: m.dup, qos: m.qos, retain: m.retain, topicIdType: m.topic.topicIdType }), 'flags');
  writePublishTopic(w, m.topic);
  w.u16(m.msgId, 'msgId').bytes(m.data);
};

const encodeSubscribe: BodyEncoder<typeof SnMsgType.SUBSCRIBE> = (m, w) => {
  checkQos(m.qos, false);
  w.u8(encodeSnFlags({ dup: m.dup, qos: m.qos, topicIdType: m.topic.topicIdType }), 'flags').u16(m.msgId, 'msgId');
  writeSubscribeTopic(w, m.topic);
};

const encodeSuback: BodyEncoder<typeof SnMsgType.SUBACK> = (m, w) => {
  checkQos(m.qos, false);
  w.u8(encodeSnFlags({ qos: m.qos }), 'flags');
  writeAckFields(m, w);
};

const encodeConnect: BodyEncoder<typeof SnMsgType.CONNECT> = (m, w) => {
  w.u8(encodeSnFlags({ will: m.will, cleanSession: m.cleanSession }), 'flags')
    .u8(m.protocolId, 'protocolId').u16(m.duration, 'duration').utf8(m.clientId, 'clientId');
};

/** One encoder per message type; the mapped type makes a missing type a compile error. */
const bodyEncoders: { [T in SnPlainMsgTypeCode]: BodyEncoder<T> } = {
  [SnMsgType.ADVERTISE]: (m, w) => { w.u8(m.gwId, 'gwId').u16(m.duration, 'duration'); },
  [SnMsgType.SEARCHGW]: (m, w) => { w.u8(m.radius, 'radius'); },
  [SnMsgType.GWINFO]: (m, w) => {
    w.u8(m.gwId, 'gwId');
    if (m.gwAdd === undefined) return;
    checkNotEmpty(m.gwAdd.length, 'gwAdd');
    w.bytes(m.gwAdd);
  },
  [SnMsgType.CONNECT]: encodeConnect,
  [SnMsgType.CONNACK]: (m, w) => writeReturnCode(w, m.returnCode),
  [SnMsgType.WILLTOPICREQ]: () => {},
  [SnMsgType.WILLTOPIC]: (m, w) => writeWill(w, m.will),
  [SnMsgType.WILLMSGREQ]: () => {},
  [SnMsgType.WILLMSG]: (m, w) => { w.bytes(m.willMessage); },
  [SnMsgType.REGISTER]: (m, w) => {
    w.u16(m.topicId, 'topicId').u16(m.msgId, 'msgId').utf8(m.topicName, 'topicName');
  },
  [SnMsgType.REGACK]: writeAckFields,
  [SnMsgType.PUBLISH]: encodePublish,
  [SnMsgType.PUBACK]: writeAckFields,
  [SnMsgType.PUBCOMP]: (m, w) => { w.u16(m.msgId, 'msgId'); },
  [SnMsgType.PUBREC]: (m, w) => { w.u16(m.msgId, 'msgId'); },
  [SnMsgType.PUBREL]: (m, w) => { w.u16(m.msgId, 'msgId'); },
  [SnMsgType.SUBSCRIBE]: encodeSubscribe,
  [SnMsgType.SUBACK]: encodeSuback,
  [SnMsgType.UNSUBSCRIBE]: (m, w) => {
    w.u8(encodeSnFlags({ topicIdType: m.topic.topicIdType }), 'flags').u16(m.msgId, 'msgId');
    writeSubscribeTopic(w, m.topic);
  },
  [SnMsgType.UNSUBACK]: (m, w) => { w.u16(m.msgId, 'msgId'); },
  [SnMsgType.PINGREQ]: (m, w) => {
    if (m.clientId === undefined) return;
    checkNotEmpty(m.clientId.length, 'clientId');
    w.utf8(m.clientId, 'clientId');
  },
  [SnMsgType.PINGRESP]: () => {},
  [SnMsgType.DISCONNECT]: (m, w) => { if (m.duration !== undefined) w.u16(m.duration, 'duration'); },
  [SnMsgType.WILLTOPICUPD]: (m, w) => writeWill(w, m.will),
  [SnMsgType.WILLMSGUPD]: (m, w) => { w.bytes(m.willMessage); },
  [SnMsgType.WILLTOPICRESP]: (m, w) => writeReturnCode(w, m.returnCode),
  [SnMsgType.WILLMSGRESP]: (m, w) => writeReturnCode(w, m.returnCode),
};

function encodePlain(message: SnPlainMessage): Buffer {
  const type: number = message.type;
  if (!isSnMsgType(type) || type === SnMsgType.ENCAPSULATED) {
    throw new SnEncodeError('UNKNOWN_TYPE', `0x${type.toString(16)} is not a message type to encode here`);
  }
  const writer = new SnMessageWriter();
  (bodyEncoders[message.type] as BodyEncoder<SnPlainMsgTypeCode>)(message, writer);
  return writer.finish(message.type);
}

/**
 * The Forwarder Encapsulation [MQTT-SN-1.2 5.5]: Length (of this header), 0xFE, Ctrl with
 * the radius in bits 0 and 1, the Wireless Node Id, then the encoded message. Test:
 * "encodes an encapsulated PUBLISH with its Ctrl radius and Wireless Node Id".
 */
function encodeEncapsulated(m: SnEncapsulatedMessage): Buffer {
  if ((m.message as SnMessage).type === SnMsgType.ENCAPSULATED) {
    throw new SnEncodeError('NESTED_ENCAPSULATION', 'an encapsulation cannot carry another encapsulation');
  }
  checkUint(m.radius, 0x03, 'radius');
  checkUint(m.wirelessNodeId.length, SN_MAX_WIRELESS_NODE_ID_LENGTH, 'wirelessNodeId length');
  const inner = encodePlain(m.message);
  const headerLength = 3 + m.wirelessNodeId.length;
  const out = Buffer.allocUnsafe(headerLength + inner.length);
  out[0] = headerLength;
  out[1] = SnMsgType.ENCAPSULATED;
  out[2] = m.radius;
  out.set(m.wirelessNodeId, 3);
  out.set(inner, headerLength);
  return out;
}

/**
 * Encodes one message as a datagram, in the shortest Length form. Throws
 * {@link SnEncodeError}, and nothing else, when a field cannot be put on the wire as
 * given (a number out of range, a short topic name that is not two octets, ...), so
 * that `decodeSnMessage(encodeSnMessage(m))` always deep-equals `m`.
 */
export function encodeSnMessage(message: SnMessage): Buffer {
  if (message.type === SnMsgType.ENCAPSULATED) return encodeEncapsulated(message);
  return encodePlain(message);
}
