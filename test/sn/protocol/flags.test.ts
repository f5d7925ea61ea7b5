import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeSnFlags, encodeSnFlags, isReservedSnTopicId, isSnMsgType, isSnShortTopicName, SnDecodeError, SnMsgType,
  snMsgTypeName, snReturnCodeNames, SnReturnCode,
} from '../../../src/sn/protocol/index.js';

describe('the Flags octet', () => {
  test('reads every field from its own bits', () => {
    assert.deepEqual(decodeSnFlags(0b1010_1110), {
      dup: true, qos: 1, retain: false, will: true, cleanSession: true, topicIdType: 'short',
    });
    assert.deepEqual(decodeSnFlags(0b0101_0001), {
      dup: false, qos: 2, retain: true, will: false, cleanSession: false, topicIdType: 'predefined',
    });
  });

  test('reads QoS 0b11 as -1', () => {
    assert.equal(decodeSnFlags(0b0110_0000).qos, -1);
  });

  test('rejects TopicIdType 0b11 as reserved', () => {
    assert.throws(() => decodeSnFlags(0b0000_0011), (e: unknown) => e instanceof SnDecodeError && e.code === 'RESERVED_TOPIC_ID_TYPE');
  });

  test('encodes back every octet whose TopicIdType is not reserved', () => {
    for (let octet = 0; octet <= 0xff; octet++) {
      if ((octet & 0x03) === 0x03) continue;
      assert.equal(encodeSnFlags(decodeSnFlags(octet)), octet, `octet 0x${octet.toString(16)}`);
    }
  });

  test('leaves unnamed fields at 0 when encoding', () => {
    assert.equal(encodeSnFlags({ qos: -1, topicIdType: 'short' }), 0b0110_0010);
    assert.equal(encodeSnFlags({}), 0);
  });
});

describe('constants and helpers', () => {
  test('knows the defined message types and names the reserved ones', () => {
    assert.equal(isSnMsgType(SnMsgType.WILLMSGRESP), true);
    assert.equal(isSnMsgType(0x03), false);
    assert.equal(isSnMsgType(0x11), false);
    assert.equal(snMsgTypeName(SnMsgType.ENCAPSULATED), 'ENCAPSULATED');
    assert.equal(snMsgTypeName(0x19), 'RESERVED(0x19)');
  });

  test('names every return code', () => {
    assert.equal(snReturnCodeNames[SnReturnCode.REJECTED_INVALID_TOPIC_ID], 'Rejected: invalid topic ID');
    assert.equal(Object.keys(snReturnCodeNames).length, Object.keys(SnReturnCode).length);
  });

  test('treats topic ids 0x0000 and 0xFFFF as reserved', () => {
    assert.deepEqual([0x0000, 0x0001, 0xfffe, 0xffff].map(isReservedSnTopicId), [true, false, false, true]);
  });

  test('accepts as short topic names exactly the strings of two UTF-8 octets', () => {
    const names = ['ab', 'é', 'a', 'abc', '€', 'a\u0000', ''];
    assert.deepEqual(names.map(isSnShortTopicName), [true, true, false, false, false, false, false]);
  });
});
