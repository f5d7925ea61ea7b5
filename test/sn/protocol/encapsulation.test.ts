import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeSnDatagram, decodeSnMessage, encapsulateSnMessage, encodeSnDatagram, encodeSnMessage, SnMsgType,
  unwrapSnMessage, type SnForwarder, type SnPlainMessage,
} from '../../../src/sn/protocol/index.js';

const connack: SnPlainMessage = { type: SnMsgType.CONNACK, returnCode: 0 };
const forwarder: SnForwarder = { radius: 2, wirelessNodeId: Buffer.from('0102030405060708', 'hex') };

describe('forwarder encapsulation helpers', () => {
  test('decodes a direct datagram to its message without a forwarder', () => {
    assert.deepEqual(decodeSnDatagram(Buffer.from('030500', 'hex')), { message: connack });
  });

  test('decodes an encapsulated datagram to the inner message and the forwarder to answer through', () => {
    const datagram = Buffer.from('0bfe02' + '0102030405060708' + '030500', 'hex');
    assert.deepEqual(decodeSnDatagram(datagram), { message: connack, forwarder });
  });

  test('encodes an answer through the forwarder as an encapsulation', () => {
    assert.equal(encodeSnDatagram({ message: connack, forwarder }).toString('hex'), '0bfe020102030405060708030500');
  });

  test('encodes an answer without a forwarder as the bare message', () => {
    assert.equal(encodeSnDatagram({ message: connack }).toString('hex'), '030500');
  });

  test('unwrapping an encapsulation gives back what was wrapped', () => {
    const wrapped = encapsulateSnMessage(connack, forwarder);
    assert.equal(wrapped.type, SnMsgType.ENCAPSULATED);
    assert.deepEqual(unwrapSnMessage(wrapped), { message: connack, forwarder });
  });

  test('carries an inner message that needs the three-octet Length form', () => {
    const message: SnPlainMessage = { type: SnMsgType.WILLMSG, willMessage: Buffer.alloc(300, 0x55) };
    const datagram = encodeSnDatagram({ message, forwarder });
    // header: Length 11, 0xFE, Ctrl, 8-octet node id; then 0x01 and the inner Length 304
    assert.equal(datagram.subarray(0, 15).toString('hex'), '0bfe020102030405060708' + '01013009');
    assert.deepEqual(decodeSnDatagram(datagram), { message, forwarder });
  });

  test('carries a Wireless Node Id of the largest size, 252 octets', () => {
    const large: SnForwarder = { radius: 0, wirelessNodeId: Buffer.alloc(252, 0xee) };
    const datagram = encodeSnMessage(encapsulateSnMessage(connack, large));
    assert.equal(datagram[0], 255);
    assert.deepEqual(decodeSnMessage(datagram), encapsulateSnMessage(connack, large));
  });
});
