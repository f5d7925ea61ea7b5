import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeSnDatagram, decodeSnMessage, encodeSnDatagram, encodeSnMessage, SN_MAX_SHORT_FORM_LENGTH, unwrapSnMessage,
} from '../../../src/sn/protocol/index.js';
import { anyMessage, encapsulatedMessage, plainMessage } from './arbitraries.js';

test('decoding an encoded message gives the message back, for every message type', () => {
  fc.assert(fc.property(anyMessage, (message) => {
    assert.deepEqual(decodeSnMessage(encodeSnMessage(message)), message);
  }), { numRuns: 3000 });
});

test('a plain message uses the one-octet Length form exactly when it fits in 255 octets', () => {
  fc.assert(fc.property(plainMessage, (message) => {
    const datagram = encodeSnMessage(message);
    const longForm = datagram[0] === 0x01;
    const sizeInShortForm = longForm ? datagram.length - 2 : datagram.length;
    assert.equal(longForm, sizeInShortForm > SN_MAX_SHORT_FORM_LENGTH);
    assert.equal(longForm ? datagram.readUInt16BE(1) : datagram[0], datagram.length);
  }), { numRuns: 1000 });
});

test('a datagram through a forwarder decodes to its message and forwarder and encodes back to the same octets', () => {
  fc.assert(fc.property(encapsulatedMessage, (encapsulated) => {
    const datagram = encodeSnMessage(encapsulated);
    const decoded = decodeSnDatagram(datagram);
    assert.deepEqual(decoded, unwrapSnMessage(encapsulated));
    assert.deepEqual(encodeSnDatagram(decoded), datagram);
  }), { numRuns: 1000 });
});
