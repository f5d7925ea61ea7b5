import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  encodeSnMessage, SnEncodeError, SnMsgType, type SnEncodeErrorCode, type SnMessage,
} from '../../../src/sn/protocol/index.js';

const connack = { type: SnMsgType.CONNACK, returnCode: 0 } as const;

/** Messages the type system would let through (or that come from untyped callers) but the wire cannot carry. */
const unencodable: ReadonlyArray<readonly [what: string, message: unknown, code: SnEncodeErrorCode]> = [
  ['a GwId of 256', { type: SnMsgType.ADVERTISE, gwId: 256, duration: 0 }, 'OUT_OF_RANGE'],
  ['a negative Duration', { type: SnMsgType.ADVERTISE, gwId: 1, duration: -1 }, 'OUT_OF_RANGE'],
  ['a fractional MsgId', { type: SnMsgType.PUBREL, msgId: 1.5 }, 'OUT_OF_RANGE'],
  ['a MsgId of 65,536', { type: SnMsgType.UNSUBACK, msgId: 0x10000 }, 'OUT_OF_RANGE'],
  ['a sleep Duration of 65,536', { type: SnMsgType.DISCONNECT, duration: 0x10000 }, 'OUT_OF_RANGE'],
  ['the reserved ReturnCode 0x04', { type: SnMsgType.CONNACK, returnCode: 4 }, 'OUT_OF_RANGE'],
  [
    'a short topic name of three characters',
    { type: SnMsgType.PUBLISH, dup: false, qos: 0, retain: false, topic: { topicIdType: 'short', topicName: 'abc' }, msgId: 0, data: Buffer.alloc(0) },
    'INVALID_SHORT_TOPIC',
  ],
  [
    'a short topic name of one octet',
    { type: SnMsgType.SUBSCRIBE, dup: false, qos: 0, msgId: 1, topic: { topicIdType: 'short', topicName: 'a' } },
    'INVALID_SHORT_TOPIC',
  ],
  [
    'a short topic name of one character in three octets',
    { type: SnMsgType.UNSUBSCRIBE, msgId: 1, topic: { topicIdType: 'short', topicName: '€' } },
    'INVALID_SHORT_TOPIC',
  ],
  ['a client id with U+0000', { type: SnMsgType.CONNECT, will: false, cleanSession: true, protocolId: 1, duration: 0, clientId: 'a\u0000' }, 'INVALID_STRING'],
  ['a topic name with a lone surrogate', { type: SnMsgType.REGISTER, topicId: 0, msgId: 1, topicName: 'a\uD800' }, 'INVALID_STRING'],
  ['an empty GwAdd', { type: SnMsgType.GWINFO, gwId: 1, gwAdd: Buffer.alloc(0) }, 'EMPTY_FIELD'],
  ['a PINGREQ with an empty client id', { type: SnMsgType.PINGREQ, clientId: '' }, 'EMPTY_FIELD'],
  ['a SUBSCRIBE at QoS -1', { type: SnMsgType.SUBSCRIBE, dup: false, qos: -1, msgId: 1, topic: { topicIdType: 'predefined', topicId: 1 } }, 'INVALID_QOS'],
  ['a will at QoS -1', { type: SnMsgType.WILLTOPIC, will: { qos: -1, retain: false, topic: 't' } }, 'INVALID_QOS'],
  ['a PUBLISH at QoS 3', { type: SnMsgType.PUBLISH, dup: false, qos: 3, retain: false, topic: { topicIdType: 'normal', topicId: 1 }, msgId: 0, data: Buffer.alloc(0) }, 'INVALID_QOS'],
  ['the reserved message type 0x03', { type: 0x03 }, 'UNKNOWN_TYPE'],
  ['an encapsulation inside an encapsulation', {
    type: SnMsgType.ENCAPSULATED, radius: 0, wirelessNodeId: Buffer.alloc(0),
    message: { type: SnMsgType.ENCAPSULATED, radius: 0, wirelessNodeId: Buffer.alloc(0), message: connack },
  }, 'NESTED_ENCAPSULATION'],
  ['a radius of 4', { type: SnMsgType.ENCAPSULATED, radius: 4, wirelessNodeId: Buffer.alloc(0), message: connack }, 'OUT_OF_RANGE'],
  ['a Wireless Node Id of 253 octets', { type: SnMsgType.ENCAPSULATED, radius: 0, wirelessNodeId: Buffer.alloc(253), message: connack }, 'OUT_OF_RANGE'],
];

describe('encoding messages the wire cannot carry', () => {
  for (const [what, message, code] of unencodable) {
    test(`refuses ${what} (${code})`, () => {
      assert.throws(() => encodeSnMessage(message as SnMessage), (e: unknown) => {
        assert.ok(e instanceof SnEncodeError, `expected SnEncodeError, got ${String(e)}`);
        assert.equal(e.code, code);
        return true;
      });
    });
  }
});
