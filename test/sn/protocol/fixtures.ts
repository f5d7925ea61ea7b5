import { SnMsgType, type SnMessage } from '../../../src/sn/protocol/index.js';

/** One message and its bytes on the wire, laid out from the field tables of MQTT-SN v1.2 section 5.4. */
export interface SnFixture {
  name: string;
  /** Space-separated octets, grouped by field. */
  hex: string;
  message: SnMessage;
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');
const bytes = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

/** Every message type of the spec, each variant the spec allows, and two encapsulations. */
export const fixtures: readonly SnFixture[] = [
  { name: 'ADVERTISE', hex: '05 00 05 0384', message: { type: SnMsgType.ADVERTISE, gwId: 5, duration: 900 } },
  { name: 'SEARCHGW', hex: '03 01 01', message: { type: SnMsgType.SEARCHGW, radius: 1 } },
  { name: 'GWINFO from a gateway (no GwAdd)', hex: '03 02 07', message: { type: SnMsgType.GWINFO, gwId: 7 } },
  {
    name: 'GWINFO from a client (with GwAdd)', hex: '07 02 07 0a000001',
    message: { type: SnMsgType.GWINFO, gwId: 7, gwAdd: bytes('0a000001') },
  },
  {
    name: 'CONNECT with will and clean session', hex: '0d 04 0c 01 003c 73656e736f7231',
    message: { type: SnMsgType.CONNECT, will: true, cleanSession: true, protocolId: 1, duration: 60, clientId: 'sensor1' },
  },
  {
    name: 'CONNECT without will, keeping the session, with a UTF-8 client id', hex: '09 04 00 01 0000 6ec3a9',
    message: { type: SnMsgType.CONNECT, will: false, cleanSession: false, protocolId: 1, duration: 0, clientId: 'né' },
  },
  { name: 'CONNACK accepted', hex: '03 05 00', message: { type: SnMsgType.CONNACK, returnCode: 0 } },
  { name: 'CONNACK rejected for congestion', hex: '03 05 01', message: { type: SnMsgType.CONNACK, returnCode: 1 } },
  { name: 'WILLTOPICREQ', hex: '02 06', message: { type: SnMsgType.WILLTOPICREQ } },
  {
    name: 'WILLTOPIC at QoS 1, retained', hex: '07 07 30 64656164',
    message: { type: SnMsgType.WILLTOPIC, will: { qos: 1, retain: true, topic: 'dead' } },
  },
  { name: 'empty WILLTOPIC (deletes the will)', hex: '02 07', message: { type: SnMsgType.WILLTOPIC } },
  { name: 'WILLMSGREQ', hex: '02 08', message: { type: SnMsgType.WILLMSGREQ } },
  { name: 'WILLMSG', hex: '05 09 627965', message: { type: SnMsgType.WILLMSG, willMessage: text('bye') } },
  { name: 'WILLMSG with an empty message', hex: '02 09', message: { type: SnMsgType.WILLMSG, willMessage: Buffer.alloc(0) } },
  {
    name: 'REGISTER from a client (TopicId 0)', hex: '09 0a 0000 0001 612f62',
    message: { type: SnMsgType.REGISTER, topicId: 0, msgId: 1, topicName: 'a/b' },
  },
  {
    name: 'REGISTER from a gateway with a UTF-8 topic name', hex: '0b 0a 0011 0102 74c3a96d70',
    message: { type: SnMsgType.REGISTER, topicId: 0x11, msgId: 0x102, topicName: 'témp' },
  },
  {
    name: 'REGACK accepted', hex: '07 0b 0010 0001 00',
    message: { type: SnMsgType.REGACK, topicId: 0x10, msgId: 1, returnCode: 0 },
  },
  {
    name: 'PUBLISH at QoS 1 to a normal topic id', hex: '09 0c 20 0010 0002 6f6e',
    message: {
      type: SnMsgType.PUBLISH, dup: false, qos: 1, retain: false,
      topic: { topicIdType: 'normal', topicId: 0x10 }, msgId: 2, data: text('on'),
    },
  },
  {
    name: 'PUBLISH at QoS -1 to a pre-defined topic id, retained', hex: '08 0c 71 0005 0000 78',
    message: {
      type: SnMsgType.PUBLISH, dup: false, qos: -1, retain: true,
      topic: { topicIdType: 'predefined', topicId: 5 }, msgId: 0, data: text('x'),
    },
  },
  {
    name: 'PUBLISH at QoS 2 to a short topic name, duplicate, empty data', hex: '07 0c c2 7463 1234',
    message: {
      type: SnMsgType.PUBLISH, dup: true, qos: 2, retain: false,
      topic: { topicIdType: 'short', topicName: 'tc' }, msgId: 0x1234, data: Buffer.alloc(0),
    },
  },
  {
    name: 'PUBLISH to a one-character short topic name of two UTF-8 octets', hex: '08 0c 02 c3a9 0000 21',
    message: {
      type: SnMsgType.PUBLISH, dup: false, qos: 0, retain: false,
      topic: { topicIdType: 'short', topicName: 'é' }, msgId: 0, data: text('!'),
    },
  },
  {
    name: 'PUBACK rejected for an invalid topic id', hex: '07 0d 0010 0002 02',
    message: { type: SnMsgType.PUBACK, topicId: 0x10, msgId: 2, returnCode: 2 },
  },
  { name: 'PUBCOMP', hex: '04 0e 0003', message: { type: SnMsgType.PUBCOMP, msgId: 3 } },
  { name: 'PUBREC', hex: '04 0f 0003', message: { type: SnMsgType.PUBREC, msgId: 3 } },
  { name: 'PUBREL', hex: '04 10 0003', message: { type: SnMsgType.PUBREL, msgId: 3 } },
  {
    name: 'SUBSCRIBE to a topic filter by name', hex: '08 12 20 0003 732f23',
    message: { type: SnMsgType.SUBSCRIBE, dup: false, qos: 1, msgId: 3, topic: { topicIdType: 'normal', topicName: 's/#' } },
  },
  {
    name: 'SUBSCRIBE to a pre-defined topic id, duplicate', hex: '07 12 81 0004 0102',
    message: { type: SnMsgType.SUBSCRIBE, dup: true, qos: 0, msgId: 4, topic: { topicIdType: 'predefined', topicId: 0x102 } },
  },
  {
    name: 'SUBSCRIBE to a short topic name at QoS 2', hex: '07 12 42 0005 6162',
    message: { type: SnMsgType.SUBSCRIBE, dup: false, qos: 2, msgId: 5, topic: { topicIdType: 'short', topicName: 'ab' } },
  },
  {
    name: 'SUBACK granting QoS 1', hex: '08 13 20 0011 0003 00',
    message: { type: SnMsgType.SUBACK, qos: 1, topicId: 0x11, msgId: 3, returnCode: 0 },
  },
  {
    name: 'UNSUBSCRIBE from a topic filter by name', hex: '08 14 00 0006 732f23',
    message: { type: SnMsgType.UNSUBSCRIBE, msgId: 6, topic: { topicIdType: 'normal', topicName: 's/#' } },
  },
  {
    name: 'UNSUBSCRIBE from a pre-defined topic id', hex: '07 14 01 0007 0001',
    message: { type: SnMsgType.UNSUBSCRIBE, msgId: 7, topic: { topicIdType: 'predefined', topicId: 1 } },
  },
  {
    name: 'UNSUBSCRIBE from a short topic name', hex: '07 14 02 0008 6162',
    message: { type: SnMsgType.UNSUBSCRIBE, msgId: 8, topic: { topicIdType: 'short', topicName: 'ab' } },
  },
  { name: 'UNSUBACK', hex: '04 15 0006', message: { type: SnMsgType.UNSUBACK, msgId: 6 } },
  { name: 'PINGREQ without a client id', hex: '02 16', message: { type: SnMsgType.PINGREQ } },
  {
    name: 'PINGREQ with a client id (a sleeping client waking up)', hex: '09 16 73656e736f7231',
    message: { type: SnMsgType.PINGREQ, clientId: 'sensor1' },
  },
  { name: 'PINGRESP', hex: '02 17', message: { type: SnMsgType.PINGRESP } },
  { name: 'DISCONNECT without a duration', hex: '02 18', message: { type: SnMsgType.DISCONNECT } },
  { name: 'DISCONNECT with a sleep duration', hex: '04 18 0e10', message: { type: SnMsgType.DISCONNECT, duration: 3600 } },
  {
    name: 'WILLTOPICUPD at QoS 2', hex: '07 1a 40 64656164',
    message: { type: SnMsgType.WILLTOPICUPD, will: { qos: 2, retain: false, topic: 'dead' } },
  },
  { name: 'empty WILLTOPICUPD (deletes the will)', hex: '02 1a', message: { type: SnMsgType.WILLTOPICUPD } },
  { name: 'WILLTOPICRESP', hex: '03 1b 00', message: { type: SnMsgType.WILLTOPICRESP, returnCode: 0 } },
  { name: 'WILLMSGUPD', hex: '05 1c 627965', message: { type: SnMsgType.WILLMSGUPD, willMessage: text('bye') } },
  { name: 'WILLMSGRESP rejected as not supported', hex: '03 1d 03', message: { type: SnMsgType.WILLMSGRESP, returnCode: 3 } },
  {
    name: 'an encapsulated PUBLISH with its Ctrl radius and Wireless Node Id', hex: '05 fe 01 a1b2  08 0c 71 0005 0000 78',
    message: {
      type: SnMsgType.ENCAPSULATED, radius: 1, wirelessNodeId: bytes('a1b2'),
      message: {
        type: SnMsgType.PUBLISH, dup: false, qos: -1, retain: true,
        topic: { topicIdType: 'predefined', topicId: 5 }, msgId: 0, data: text('x'),
      },
    },
  },
  {
    name: 'an encapsulated CONNACK with radius 3 and an empty Wireless Node Id', hex: '03 fe 03  03 05 00',
    message: { type: SnMsgType.ENCAPSULATED, radius: 3, wirelessNodeId: Buffer.alloc(0), message: { type: SnMsgType.CONNACK, returnCode: 0 } },
  },
];

/** The octets of a fixture's `hex`. */
export function fixtureBytes(fixture: SnFixture): Buffer {
  return bytes(fixture.hex);
}
