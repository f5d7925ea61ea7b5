import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  decodeSnMessage, encodeSnMessage, SnDecodeError, type SnDecodeErrorCode,
} from '../../../src/sn/protocol/index.js';
import { anyMessage } from './arbitraries.js';

const bytes = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

/**
 * Decodes and reports the error code, or 'decoded'. Fails the test if anything but an
 * SnDecodeError escapes, or if what decoded does not survive encoding and decoding again.
 */
function decodeOutcome(datagram: Uint8Array): SnDecodeErrorCode | 'decoded' {
  let message;
  try {
    message = decodeSnMessage(datagram);
  } catch (e) {
    if (e instanceof SnDecodeError) return e.code;
    throw e;
  }
  assert.deepEqual(decodeSnMessage(encodeSnMessage(message)), message);
  return 'decoded';
}

/** Specific malformations, each with the code it must raise. Octets grouped by field. */
const malformed: ReadonlyArray<readonly [what: string, hex: string, code: SnDecodeErrorCode]> = [
  ['an empty datagram', '', 'TRUNCATED'],
  ['a datagram of one octet', '02', 'TRUNCATED'],
  ['a Length of 0', '00 16', 'INVALID_LENGTH'],
  ['a three-octet Length form cut short', '01 00', 'TRUNCATED'],
  ['a three-octet Length below the header size', '01 0003 16', 'INVALID_LENGTH'],
  ['a Length larger than the datagram', '03 16', 'LENGTH_MISMATCH'],
  ['a Length smaller than the datagram', '02 16 00', 'LENGTH_MISMATCH'],
  ['a three-octet Length larger than the datagram', '01 0006 16 00', 'LENGTH_MISMATCH'],
  ['the reserved MsgType 0x03', '02 03', 'UNKNOWN_TYPE'],
  ['the reserved MsgType 0x11', '02 11', 'UNKNOWN_TYPE'],
  ['the reserved MsgType 0x19', '02 19', 'UNKNOWN_TYPE'],
  ['the reserved MsgType 0x1E', '02 1e', 'UNKNOWN_TYPE'],
  ['the reserved MsgType 0xFF', '02 ff', 'UNKNOWN_TYPE'],
  ['an ADVERTISE without the second octet of its Duration', '04 00 05 03', 'TRUNCATED'],
  ['a GWINFO without its GwId', '02 02', 'TRUNCATED'],
  ['a CONNECT that ends inside its Duration', '05 04 04 01 00', 'TRUNCATED'],
  ['a CONNECT with the Retain flag, which it does not use', '07 04 1c 01 003c 63', 'RESERVED_FLAGS'],
  ['a CONNECT with TopicIdType bits, which it does not use', '07 04 05 01 003c 63', 'RESERVED_FLAGS'],
  ['a CONNECT whose ClientId contains U+0000', '07 04 04 01 003c 00', 'NULL_CHARACTER'],
  ['a CONNECT whose ClientId is not UTF-8', '07 04 04 01 003c ff', 'INVALID_UTF8'],
  ['a CONNACK with the reserved ReturnCode 0x04', '03 05 04', 'INVALID_RETURN_CODE'],
  ['a CONNACK without its ReturnCode', '02 05', 'TRUNCATED'],
  ['a WILLTOPICREQ with a trailing octet', '03 06 00', 'TRAILING_BYTES'],
  ['a WILLTOPIC at QoS -1', '07 07 60 64656164', 'INVALID_QOS'],
  ['a WILLTOPIC with the DUP flag, which it does not use', '07 07 80 64656164', 'RESERVED_FLAGS'],
  ['a WILLTOPIC whose topic is an overlong UTF-8 encoding', '05 07 00 c0af', 'INVALID_UTF8'],
  ['a WILLTOPICUPD whose topic is an encoded surrogate', '06 1a 00 eda080', 'INVALID_UTF8'],
  ['a REGISTER whose TopicName is not UTF-8', '07 0a 0000 0001 ff', 'INVALID_UTF8'],
  ['a REGISTER without its MsgId', '04 0a 0000', 'TRUNCATED'],
  ['a REGACK with the reserved ReturnCode 0xFF', '07 0b 0010 0001 ff', 'INVALID_RETURN_CODE'],
  ['a PUBLISH with the reserved TopicIdType 0b11', '08 0c 03 0005 0000 78', 'RESERVED_TOPIC_ID_TYPE'],
  ['a PUBLISH with the Will flag, which it does not use', '08 0c 08 0005 0000 78', 'RESERVED_FLAGS'],
  ['a PUBLISH with the CleanSession flag, which it does not use', '08 0c 04 0005 0000 78', 'RESERVED_FLAGS'],
  ['a PUBLISH that ends inside its MsgId', '06 0c 00 0005 00', 'TRUNCATED'],
  ['a PUBLISH whose short topic name is not UTF-8', '08 0c 02 ff61 0000 78', 'INVALID_UTF8'],
  ['a PUBLISH whose short topic name contains U+0000', '08 0c 02 0061 0000 78', 'NULL_CHARACTER'],
  ['a PUBACK with a trailing octet', '08 0d 0010 0002 02 00', 'TRAILING_BYTES'],
  ['a PUBREL without its MsgId', '02 10', 'TRUNCATED'],
  ['a PUBCOMP with a trailing octet', '05 0e 0003 00', 'TRAILING_BYTES'],
  ['a SUBSCRIBE at QoS -1', '08 12 60 0003 732f23', 'INVALID_QOS'],
  ['a SUBSCRIBE with the Retain flag, which it does not use', '08 12 10 0003 732f23', 'RESERVED_FLAGS'],
  ['a SUBSCRIBE with the reserved TopicIdType 0b11', '07 12 03 0003 0001', 'RESERVED_TOPIC_ID_TYPE'],
  ['a SUBSCRIBE to a short topic name of three octets', '08 12 02 0005 616263', 'TRAILING_BYTES'],
  ['a SUBSCRIBE to a short topic name of one octet', '06 12 02 0005 61', 'TRUNCATED'],
  ['a SUBSCRIBE to a pre-defined topic id of three octets', '08 12 01 0005 000100', 'TRAILING_BYTES'],
  ['a SUBSCRIBE whose topic filter is not UTF-8', '06 12 00 0003 80', 'INVALID_UTF8'],
  ['a SUBACK with TopicIdType bits, which it does not use', '08 13 21 0011 0003 00', 'RESERVED_FLAGS'],
  ['a SUBACK granting QoS -1', '08 13 60 0011 0003 00', 'INVALID_QOS'],
  ['an UNSUBSCRIBE with a QoS, which it does not use', '07 14 21 0007 0001', 'RESERVED_FLAGS'],
  ['an UNSUBACK with a trailing octet', '05 15 0006 00', 'TRAILING_BYTES'],
  ['a PINGREQ whose ClientId is not UTF-8', '03 16 fe', 'INVALID_UTF8'],
  ['a PINGRESP with a trailing octet', '03 17 00', 'TRAILING_BYTES'],
  ['a DISCONNECT with a one-octet Duration', '03 18 00', 'TRUNCATED'],
  ['a DISCONNECT with a three-octet Duration', '05 18 000000', 'TRAILING_BYTES'],
  ['a WILLTOPICRESP with the reserved ReturnCode 0x80', '03 1b 80', 'INVALID_RETURN_CODE'],
  ['a WILLMSGRESP with two return codes', '04 1d 00 00', 'TRAILING_BYTES'],
  ['an encapsulation whose Length leaves no room for Ctrl', '02 fe', 'INVALID_LENGTH'],
  ['an encapsulation with the three-octet Length form', '01 0006 fe 00 030500', 'INVALID_LENGTH'],
  ['an encapsulation that ends inside its Wireless Node Id', '05 fe 00 a1', 'TRUNCATED'],
  ['an encapsulation without a message', '03 fe 00', 'TRUNCATED'],
  ['an encapsulation with a one-octet message', '03 fe 00 02', 'TRUNCATED'],
  ['an encapsulation with reserved Ctrl bits', '03 fe 04 030500', 'RESERVED_FLAGS'],
  ['an encapsulation inside an encapsulation', '03 fe 00 03fe00 030500', 'NESTED_ENCAPSULATION'],
  ['an encapsulated message whose Length disagrees with the datagram', '03 fe 00 04 05 00', 'LENGTH_MISMATCH'],
  ['an encapsulated message of a reserved type', '03 fe 00 02 03', 'UNKNOWN_TYPE'],
  ['an encapsulated message with a malformed field', '03 fe 00 03 05 09', 'INVALID_RETURN_CODE'],
];

describe('malformed MQTT-SN datagrams', () => {
  for (const [what, hex, code] of malformed) {
    test(`rejects ${what} (${code})`, () => {
      assert.equal(decodeOutcome(bytes(hex)), code);
    });
  }

  test('an error names the message type it was found in', () => {
    assert.throws(() => decodeSnMessage(bytes('03 05 04')), (e: unknown) => {
      assert.ok(e instanceof SnDecodeError);
      assert.equal(e.msgType, 0x05);
      assert.match(e.message, /^CONNACK: /);
      return true;
    });
  });
});

describe('decoding with ignoreUnusedFlags', () => {
  const lenient = { ignoreUnusedFlags: true };

  test('accepts a CONNECT with flag bits it does not use and reads the ones it does', () => {
    const message = decodeSnMessage(bytes('07 04 ff 01 003c 63'), lenient);
    assert.deepEqual(message, { type: 0x04, will: true, cleanSession: true, protocolId: 1, duration: 60, clientId: 'c' });
  });

  test('accepts reserved Ctrl bits of an encapsulation and keeps the radius', () => {
    const message = decodeSnMessage(bytes('03 fe fe 030500'), lenient);
    assert.deepEqual(message, { type: 0xfe, radius: 2, wirelessNodeId: Buffer.alloc(0), message: { type: 0x05, returnCode: 0 } });
  });

  test('still rejects the reserved TopicIdType 0b11 where the message uses TopicIdType', () => {
    assert.throws(() => decodeSnMessage(bytes('08 0c 03 0005 0000 78'), lenient), { code: 'RESERVED_TOPIC_ID_TYPE' });
  });
});

describe('fuzzed MQTT-SN datagrams', () => {
  test('random octets either raise SnDecodeError or decode to a message that re-encodes faithfully', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (datagram) => {
      decodeOutcome(datagram);
    }), { numRuns: 5000 });
  });

  test('random variable parts behind a well-formed header either raise SnDecodeError or decode faithfully', () => {
    const datagram = fc.tuple(fc.integer({ min: 0, max: 0x1d }), fc.uint8Array({ maxLength: 40 }))
      .map(([type, body]) => Buffer.concat([Buffer.from([body.length + 2, type]), body]));
    fc.assert(fc.property(datagram, (d) => {
      decodeOutcome(d);
    }), { numRuns: 5000 });
  });

  test('valid messages with an octet changed or inserted decode faithfully or raise SnDecodeError, and cut or extended ones never decode', () => {
    const mutation = fc.record({
      kind: fc.constantFrom('flip', 'truncate', 'append', 'insert'),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 0xff }),
    });
    fc.assert(fc.property(anyMessage, mutation, (message, { kind, at, value }) => {
      const original = encodeSnMessage(message);
      const i = at % original.length;
      let mutated: Buffer;
      switch (kind) {
        case 'flip': mutated = Buffer.from(original); mutated[i] = mutated[i]! ^ (value || 1); break;
        case 'truncate': mutated = original.subarray(0, i); break;
        case 'append': mutated = Buffer.concat([original, Buffer.from([value])]); break;
        default: mutated = Buffer.concat([original.subarray(0, i), Buffer.from([value]), original.subarray(i)]);
      }
      const outcome = decodeOutcome(mutated);
      if (kind === 'truncate' || kind === 'append') assert.notEqual(outcome, 'decoded');
    }), { numRuns: 3000 });
  });
});
