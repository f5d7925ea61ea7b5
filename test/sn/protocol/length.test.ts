import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeSnMessage, encodeSnMessage, SN_MAX_MESSAGE_LENGTH, SnEncodeError, SnMsgType, type SnPublishMessage,
} from '../../../src/sn/protocol/index.js';

/** PUBLISH has a 5-octet fixed part after the header, so its size is easy to steer with `data`. */
function publishOf(dataLength: number): SnPublishMessage {
  return {
    type: SnMsgType.PUBLISH, dup: false, qos: 1, retain: false,
    topic: { topicIdType: 'normal', topicId: 1 }, msgId: 7, data: Buffer.alloc(dataLength, 0xab),
  };
}

describe('the Length field', () => {
  test('encodes a 255-octet message with the one-octet Length form', () => {
    const datagram = encodeSnMessage(publishOf(255 - 7));
    assert.equal(datagram.length, 255);
    assert.equal(datagram.subarray(0, 3).toString('hex'), 'ff0c20');
  });

  test('encodes a 256-octet message with the three-octet Length form', () => {
    // 2 + 5 + 249 = 256 does not fit one octet, so the header grows to 4 octets: 258 in all
    const datagram = encodeSnMessage(publishOf(249));
    assert.equal(datagram.length, 258);
    assert.equal(datagram.subarray(0, 5).toString('hex'), '0101020c20');
  });

  test('decodes a message sent with the three-octet Length form', () => {
    const message = publishOf(400);
    const datagram = encodeSnMessage(message);
    assert.equal(datagram[0], 0x01);
    assert.deepEqual(decodeSnMessage(datagram), message);
  });

  test('decodes the three-octet Length form even for a message that would fit one octet', () => {
    assert.deepEqual(decodeSnMessage(Buffer.from('01000417', 'hex')), { type: SnMsgType.PINGRESP });
    assert.deepEqual(
      decodeSnMessage(Buffer.from('0100090d0010000200', 'hex')),
      { type: SnMsgType.PUBACK, topicId: 0x10, msgId: 2, returnCode: 0 },
    );
  });

  test('encodes the largest message the three-octet form can carry', () => {
    const datagram = encodeSnMessage(publishOf(SN_MAX_MESSAGE_LENGTH - 9));
    assert.equal(datagram.length, SN_MAX_MESSAGE_LENGTH);
    assert.equal(datagram.readUInt16BE(1), SN_MAX_MESSAGE_LENGTH);
    assert.equal(decodeSnMessage(datagram).type, SnMsgType.PUBLISH);
  });

  test('refuses to encode a message longer than 65,535 octets', () => {
    assert.throws(() => encodeSnMessage(publishOf(SN_MAX_MESSAGE_LENGTH - 8)), (e: unknown) => e instanceof SnEncodeError && e.code === 'TOO_LONG');
  });
});
