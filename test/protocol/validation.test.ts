import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PacketFramer, PacketType, assertTopicFilter, decodePacket, type Packet, type ProtocolVersion,
} from '../../src/protocol/index.js';
import { assertRejects } from './codec-helpers.js';

/*
 * One row per rule: a packet that breaks it, the reason code the decoder must
 * throw, and a fragment of the message that shows the right check fired. Bodies are
 * hex, written by hand; s('x') is a length-prefixed UTF-8 string.
 */
const hex = (n: number): string => n.toString(16).padStart(2, '0');
const utf8 = (text: string): string => [...Buffer.from(text)].map(hex).join(' ');
const s = (text: string): string => `${hex(Buffer.byteLength(text) >> 8)} ${hex(Buffer.byteLength(text) & 0xff)} ${utf8(text)}`;
const bytes = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

/** A CONNECT body: protocol name, level, flags, keep alive 60, v5 properties, then `payload`. */
function connect(level: number, flags: number, payload: string, name = level === 3 ? 'MQIsdp' : 'MQTT', props = '00'): string {
  return `${s(name)} ${hex(level)} ${hex(flags)} 00 3c ${level === 5 ? props : ''} ${payload}`;
}

interface Row {
  /** The rule the packet breaks, as a sentence with its statement. */
  rule: string;
  version: ProtocolVersion;
  /** The fixed header's first byte. */
  first: number;
  /** The body, in hex. */
  body: string;
  reasonCode: number;
  because: string;
}

const row = (rule: string, version: ProtocolVersion, first: number, body: string, reasonCode: number, because: string): Row =>
  ({ rule, version, first, body, reasonCode, because });

const fixedHeader: Row[] = [
  row('a PUBREL whose reserved flags are 0000 is malformed [MQTT-2.2.2-1] [MQTT-2.2.2-2]', 4, 0x60, '00 01', 0x81, 'reserved flags'),
  row('a SUBSCRIBE whose reserved flags are 0000 is malformed [MQTT-2.1.3-1]', 5, 0x80, `00 01 00 ${s('a')} 00`, 0x81, 'reserved flags'),
  row('an UNSUBSCRIBE whose reserved flags are 0011 is malformed [MQTT-2.2.2-2]', 3, 0xa3, `00 01 ${s('a')}`, 0x81, 'reserved flags'),
  row('a CONNECT with fixed-header flag bit 0 set is malformed [MQTT-2.2.2-2]', 4, 0x11, connect(4, 0x02, s('c')), 0x81, 'reserved flags'),
  row('a PINGREQ with fixed-header flags 1000 is malformed [MQTT-2.2.2-2]', 3, 0xc8, '', 0x81, 'reserved flags'),
  row('a DISCONNECT with fixed-header flags 0010 is malformed [MQTT-2.1.3-1]', 5, 0xe2, '', 0x81, 'reserved flags'),
  row('packet type 0 is reserved and malformed', 4, 0x00, '', 0x81, 'packet type 0'),
  row('an AUTH packet on a 3.1.1 connection is malformed (type 15 is reserved there)', 4, 0xf0, '', 0x81, 'only in MQTT 5'),
  row('an AUTH packet whose reserved flags are 0001 is malformed [MQTT-3.15.1-1]', 5, 0xf1, '', 0x81, 'reserved flags'),
];

const strings: Row[] = [
  row('a topic name that is not well-formed UTF-8 is malformed [MQTT-1.5.3-1]', 4, 0x30, `00 02 c3 28`, 0x81, 'not well-formed UTF-8'),
  row('a topic name containing U+0000 is malformed [MQTT-1.5.3-2]', 4, 0x30, `00 03 61 00 62`, 0x81, 'U+0000'),
  row('U+0000 after a multi-byte character in a topic name is malformed [MQTT-1.5.4-2]', 5, 0x30, `00 03 c3 a9 00 00`, 0x81, 'U+0000'),
  row('a client id holding an encoded surrogate U+D800 is malformed [MQTT-1.5.3-1]', 4, 0x10, connect(4, 0x02, '00 03 ed a0 80'), 0x81, 'client identifier is not well-formed'),
  row('a user name with an overlong encoding of / is malformed [MQTT-1.5.3-1]', 4, 0x10, connect(4, 0x82, `${s('c')} 00 02 c0 af`), 0x81, 'user name is not well-formed'),
  row('a user name containing U+0000 is malformed [MQTT-1.5.4-2]', 5, 0x10, connect(5, 0x82, `${s('c')} 00 01 00`), 0x81, 'user name contains U+0000'),
  row('a user property name that is not UTF-8 is malformed [MQTT-1.5.4-1]', 5, 0x30, `${s('t')} 06 26 00 01 ff 00 00`, 0x81, 'userProperties name is not well-formed'),
  row('a user property value containing U+0000 is malformed [MQTT-1.5.4-2]', 5, 0x30, `${s('t')} 06 26 00 00 00 01 00`, 0x81, 'userProperties value contains U+0000'),
  row('a topic filter with a lone surrogate is malformed [MQTT-1.5.3-1]', 4, 0x82, `00 01 00 03 ed bf bf 00`, 0x81, 'topic filter is not well-formed'),
  row('an UNSUBSCRIBE topic filter that is not well-formed UTF-8 is malformed [MQTT-3.10.3-1] [MQTT-1.5.4-1]', 5, 0xa2, `00 01 00 00 02 c3 28`, 0x81, 'topic filter is not well-formed'),
];

const publish: Row[] = [
  row('a PUBLISH topic with + is not a valid topic name [MQTT-3.3.2-2]', 4, 0x30, `${s('a/+')} 78`, 0x90, 'wildcard'),
  row('a PUBLISH topic with # is not a valid topic name [MQTT-3.3.2-2]', 5, 0x30, `${s('a/#')} 00`, 0x90, 'wildcard'),
  row('a PUBLISH with QoS 3 is malformed [MQTT-3.3.1-4]', 4, 0x36, `${s('a')} 00 01`, 0x81, '[MQTT-3.3.1-4]'),
  row('a QoS 0 PUBLISH with DUP set is a protocol error [MQTT-3.3.1-2]', 4, 0x38, `${s('a')}`, 0x82, '[MQTT-3.3.1-2]'),
  row('a QoS 1 PUBLISH with packet id 0 is a protocol error [MQTT-2.3.1-1]', 4, 0x32, `${s('a')} 00 00`, 0x82, '[MQTT-2.2.1-3]'),
  row('a 3.1.1 PUBLISH with an empty topic is a protocol error [MQTT-4.7.3-1]', 4, 0x30, `00 00 78`, 0x82, '[MQTT-4.7.3-1]'),
  row('a v5 PUBLISH with an empty topic and no topic alias is a protocol error (section 3.3.2.1)', 5, 0x30, `00 00 00`, 0x82, 'without a topic alias'),
  row('a PUBLISH whose topic length runs past the packet is malformed', 3, 0x30, `00 09 61`, 0x81, 'ends inside the topic'),
  row('a QoS 1 PUBLISH without its packet id is malformed', 4, 0x32, `${s('a')}`, 0x81, 'packet identifier'),
];

const properties: Row[] = [
  row('a property not allowed on the packet type is malformed (section 2.2.2.2)', 5, 0x30, `${s('t')} 05 11 00 00 00 01`, 0x81, 'sessionExpiryInterval is not allowed in PUBLISH'),
  row('a PUBLISH-only property among the will properties is malformed (section 2.2.2.2)', 5, 0x10, connect(5, 0x06, `${s('c')} 03 23 00 01 ${s('w')} 00 00`), 0x81, 'topicAlias is not allowed in WILL'),
  row('a single-instance property given twice is a protocol error', 5, 0x30, `${s('t')} 0a 02 00 00 00 01 02 00 00 00 02`, 0x82, 'messageExpiryInterval appears more than once'),
  row('two subscription identifiers in a SUBSCRIBE are a protocol error', 5, 0x82, `00 01 04 0b 01 0b 02 ${s('a')} 00`, 0x82, 'at most one subscription identifier'),
  row('an unknown property identifier is malformed', 5, 0x30, `${s('t')} 02 05 00`, 0x81, 'unknown property identifier 0x5'),
  row('a two-byte property identifier matches no property and is malformed', 5, 0x40, `00 01 00 03 80 01 00`, 0x81, 'unknown property identifier 0x80'),
  row('a property that runs past the property length is malformed', 5, 0x30, `${s('t')} 02 02 00 00 00 00 01`, 0x81, 'runs past the property length'),
  row('a property length longer than the packet is malformed', 5, 0xe0, `00 05 1f 00`, 0x81, 'property length exceeds the packet'),
  row('a property length not in its shortest form is malformed [MQTT-1.5.5-1]', 5, 0x30, `${s('t')} 80 00`, 0x81, 'shortest form'),
  row('a receive maximum of 0 is a protocol error (section 3.1.2.11.3)', 5, 0x10, connect(5, 0x02, s('c'), 'MQTT', '03 21 00 00'), 0x82, 'receive maximum'),
  row('a maximum packet size of 0 is a protocol error (section 3.2.2.3.6)', 5, 0x20, `00 00 05 27 00 00 00 00`, 0x82, 'maximum packet size'),
  row('a topic alias of 0 is answered with 0x94 Topic Alias invalid [MQTT-3.3.2-8]', 5, 0x30, `${s('t')} 03 23 00 00`, 0x94, 'topic alias 0'),
  row('a subscription identifier of 0 is a protocol error (section 3.8.2.1.2)', 5, 0x82, `00 01 02 0b 00 ${s('a')} 00`, 0x82, 'subscription identifier must not be 0'),
  row('a maximum QoS of 2 is a protocol error (section 3.2.2.3.4)', 5, 0x20, `00 00 02 24 02`, 0x82, 'maximumQoS must be 0 or 1'),
  row('a payload format indicator of 2 is a protocol error (section 3.3.2.3.2)', 5, 0x30, `${s('t')} 02 01 02`, 0x82, 'payloadFormatIndicator must be 0 or 1'),
  row('authentication data without an authentication method is a protocol error (section 3.1.2.11.10)', 5, 0xf0, `18 04 16 00 01 aa`, 0x82, 'without an authentication method'),
];

const connectRows: Row[] = [
  row('a CONNECT with the reserved connect flag set is malformed [MQTT-3.1.2-3]', 4, 0x10, connect(4, 0x03, s('c')), 0x81, '[MQTT-3.1.2-3]'),
  row('a 3.1.1 password without a user name is a protocol error [MQTT-3.1.2-22]', 4, 0x10, connect(4, 0x42, `${s('c')} 00 01 70`), 0x82, '[MQTT-3.1.2-22]'),
  row('a 3.1 password without a user name is a protocol error [MQTT-3.1.2-22]', 3, 0x10, connect(3, 0x42, `${s('c')} 00 01 70`), 0x82, '[MQTT-3.1.2-22]'),
  row('a will QoS without the will flag is a protocol error [MQTT-3.1.2-11] [MQTT-3.1.2-13]', 4, 0x10, connect(4, 0x0a, s('c')), 0x82, 'without the will flag'),
  row('a will retain without the will flag is a protocol error [MQTT-3.1.2-13]', 5, 0x10, connect(5, 0x22, s('c')), 0x82, 'without the will flag'),
  row('a will QoS of 3 is malformed [MQTT-3.1.2-14]', 4, 0x10, connect(4, 0x1e, `${s('c')} ${s('w')} 00 00`), 0x81, 'will QoS 3'),
  row('an unsupported protocol level is answered 0x84 [MQTT-3.1.2-2]', 4, 0x10, connect(6, 0x02, s('c'), 'MQTT'), 0x84, 'unsupported protocol level 6'),
  row('a bridge protocol level of an unsupported version is an unsupported level [MQTT-3.1.2-2]', 4, 0x10, connect(0x86, 0x02, s('c'), 'MQTT'), 0x84, 'unsupported protocol level 134'),
  row('protocol name MQTT at level 3 is a version we do not speak [MQTT-3.1.2-1]', 3, 0x10, connect(3, 0x02, s('c'), 'MQTT'), 0x84, 'does not match level 3'),
  row('protocol name MQIsdp at level 4 is a version we do not speak [MQTT-3.1.2-1]', 4, 0x10, connect(4, 0x02, s('c'), 'MQIsdp'), 0x84, 'does not match level 4'),
  row('a protocol name that is not MQTT at all is malformed [MQTT-3.1.2-1]', 4, 0x10, connect(4, 0x02, s('c'), 'HTTP'), 0x81, "'HTTP' does not match"),
  row('a v5 will topic with a wildcard is answered 0x90 [MQTT-4.7.0-1]', 5, 0x10, connect(5, 0x06, `${s('c')} 00 ${s('w/#')} 00 00`), 0x90, 'will topic name contains a wildcard'),
  row('a 3.1.1 will topic with a wildcard is malformed [MQTT-4.7.1-1]', 4, 0x10, connect(4, 0x06, `${s('c')} ${s('w/+')} 00 00`), 0x81, 'will topic name contains a wildcard'),
  row('a CONNECT that ends before its client id is malformed', 4, 0x10, connect(4, 0x02, ''), 0x81, 'packet ends inside the client identifier'),
  row('bytes after the CONNECT payload are malformed', 4, 0x10, connect(4, 0x02, `${s('c')} 00`), 0x81, 'bytes after the end of the CONNECT'),
];

const subscribeRows: Row[] = [
  row('a SUBSCRIBE with packet id 0 is a protocol error [MQTT-2.2.1-3]', 5, 0x82, `00 00 00 ${s('a')} 00`, 0x82, '[MQTT-2.2.1-3]'),
  row('an UNSUBSCRIBE with packet id 0 is a protocol error [MQTT-2.3.1-1]', 4, 0xa2, `00 00 ${s('a')}`, 0x82, '[MQTT-2.2.1-3]'),
  row('a PUBACK with packet id 0 is a protocol error [MQTT-2.3.1-6]', 4, 0x40, `00 00`, 0x82, '[MQTT-2.2.1-3]'),
  row('a 3.1.1 SUBSCRIBE without a topic filter is a protocol error [MQTT-3.8.3-3]', 4, 0x82, `00 01`, 0x82, 'SUBSCRIBE without a topic filter'),
  row('a v5 SUBSCRIBE without a topic filter is a protocol error [MQTT-3.8.3-2]', 5, 0x82, `00 01 00`, 0x82, 'SUBSCRIBE without a topic filter'),
  row('a 3.1.1 UNSUBSCRIBE without a topic filter is a protocol error [MQTT-3.10.3-2]', 4, 0xa2, `00 01`, 0x82, 'UNSUBSCRIBE without a topic filter'),
  row('a v5 UNSUBSCRIBE without a topic filter is a protocol error [MQTT-3.10.3-2]', 5, 0xa2, `00 01 00`, 0x82, 'UNSUBSCRIBE without a topic filter'),
  row('a 3.1.1 subscription asking for QoS 3 is malformed [MQTT-3-8.3-4]', 4, 0x82, `00 01 ${s('a')} 03`, 0x81, 'subscription with QoS 3'),
  row('a v5 subscription asking for QoS 3 is a protocol error (section 3.8.3.1)', 5, 0x82, `00 01 00 ${s('a')} 03`, 0x82, 'maximum QoS 3'),
  row('3.1.1 subscription option bits 2 to 7 are reserved and malformed [MQTT-3-8.3-4]', 4, 0x82, `00 01 ${s('a')} 04`, 0x81, 'reserved subscription option bits'),
  row('v5 subscription option bits 6 and 7 are reserved and malformed [MQTT-3.8.3-5]', 5, 0x82, `00 01 00 ${s('a')} 40`, 0x81, 'reserved subscription option bits'),
  row('retain handling 3 is a protocol error (section 3.8.3.1)', 5, 0x82, `00 01 00 ${s('a')} 30`, 0x82, 'retain handling 3'),
  row('no local on a shared subscription is a protocol error [MQTT-3.8.3-4]', 5, 0x82, `00 01 00 ${s('$share/g/a')} 04`, 0x82, 'no local on a shared subscription'),
  row('a # that is not the last level of a 3.1.1 filter is malformed [MQTT-4.7.1-2]', 4, 0x82, `00 01 ${s('a/#/b')} 00`, 0x81, "'#' must be"),
  row('a # sharing a level of a 3.1.1 filter is malformed [MQTT-4.7.1-2]', 4, 0x82, `00 01 ${s('a#')} 00`, 0x81, "'#' must be"),
  row('a + sharing a level of a 3.1.1 filter is malformed [MQTT-4.7.1-3]', 3, 0x82, `00 01 ${s('a/b+')} 00`, 0x81, "'+' must be"),
  row('a + sharing a level of a 3.1.1 UNSUBSCRIBE filter is malformed [MQTT-4.7.1-3]', 4, 0xa2, `00 01 ${s('+a')}`, 0x81, "'+' must be"),
  row('an empty 3.1.1 topic filter is malformed [MQTT-4.7.3-1]', 4, 0x82, `00 01 00 00 00`, 0x81, 'topic filter is empty'),
  row('a 3.1.1 filter $share/g+/a is not a valid filter either way [MQTT-4.7.1-3]', 4, 0x82, `00 01 ${s('$share/g+/a')} 00`, 0x81, "'+' must be"),
];

const trailing: Row[] = [
  row('bytes after a 3.1.1 PUBACK are malformed', 4, 0x40, `00 01 00`, 0x81, 'bytes after the end of PUBACK'),
  row('bytes after the properties of a v5 PUBREC are malformed', 5, 0x50, `00 01 00 00 ff`, 0x81, 'bytes after the end of PUBREC'),
  row('a body on a PINGREQ is malformed', 4, 0xc0, `00`, 0x81, 'no body'),
  row('a body on a 3.1.1 DISCONNECT is malformed', 4, 0xe0, `00`, 0x81, 'no body before MQTT 5'),
  row('bytes after the properties of a v5 DISCONNECT are malformed', 5, 0xe0, `00 00 ff`, 0x81, 'bytes after the end of DISCONNECT'),
  row('bytes after a 3.1.1 CONNACK are malformed', 4, 0x20, `00 00 00`, 0x81, 'bytes after the end of CONNACK'),
  row('bytes after a 3.1.1 UNSUBACK are malformed', 4, 0xb0, `00 01 00`, 0x81, 'bytes after the end of UNSUBACK'),
  row('reserved CONNACK flag bits are malformed [MQTT-3.2.2-1]', 5, 0x20, `02 00`, 0x81, '[MQTT-3.2.2-1]'),
  row('an AUTH reason code outside 0x00, 0x18 and 0x19 is a protocol error [MQTT-3.15.2-1]', 5, 0xf0, `80 00`, 0x82, '[MQTT-3.15.2-1]'),
];

const tables: [string, Row[]][] = [
  ['fixed header', fixedHeader], ['UTF-8 strings', strings], ['PUBLISH', publish], ['properties', properties],
  ['CONNECT', connectRows], ['SUBSCRIBE and UNSUBSCRIBE', subscribeRows], ['trailing bytes and reserved values', trailing],
];

for (const [area, rows] of tables) {
  describe(`validation: ${area}`, () => {
    for (const r of rows) {
      test(`${r.rule} (level ${r.version}, 0x${hex(r.reasonCode)})`, () => {
        assertRejects(() => decodePacket(r.first, bytes(r.body), r.version), r.reasonCode, r.because);
      });
    }
  });
}

describe('validation: remaining length and maximum packet size', () => {
  const frames = (framer: PacketFramer, ...chunks: string[]): number[] => {
    const firsts: number[] = [];
    for (const c of chunks) framer.push(bytes(c), (first) => firsts.push(first));
    return firsts;
  };

  test('a remaining length of more than four bytes is malformed (section 1.5.5)', () => {
    assertRejects(() => frames(new PacketFramer(), 'c0 80 80 80 80 01'), 0x81, 'longer than four bytes');
  });

  test('a remaining length of more than four bytes is malformed when it arrives a byte at a time (section 1.5.5)', () => {
    assertRejects(() => frames(new PacketFramer(), 'c0', '80', '80', '80', '80', '01'), 0x81, 'longer than four bytes');
  });

  test('a remaining length not in its shortest form is malformed [MQTT-1.5.5-1]', () => {
    assertRejects(() => frames(new PacketFramer(), 'c0 80 00'), 0x81, 'shortest form');
    assertRejects(() => frames(new PacketFramer(), 'c0 80', '80 00'), 0x81, 'shortest form');
  });

  test('the maximum packet size is enforced from the fixed header before any of the body is buffered', () => {
    const framer = new PacketFramer(1000);
    // Announces 268,435,455 bytes and sends a little of the body with the header.
    assertRejects(() => frames(framer, '30 ff ff ff 7f 00 01 61'), 0x95, 'exceeds the maximum packet size of 1000');
    assert.equal(framer.buffered, 0);
  });

  test('the maximum packet size is enforced when the fixed header itself is split across chunks', () => {
    const framer = new PacketFramer(1000);
    assert.deepEqual(frames(framer, '30 e9'), []);
    assert.equal(framer.buffered, 2);
    assertRejects(() => frames(framer, '07 00'), 0x95, 'packet of 1004 bytes');
    assert.equal(framer.buffered, 0);
  });

  test('a packet of exactly the maximum packet size is accepted and one byte more is not', () => {
    // 3 header bytes (30 e5 07) + 997 body bytes = 1000.
    const body = `${s('t')} ${'00 '.repeat(994)}`;
    assert.deepEqual(frames(new PacketFramer(1000), `30 e5 07 ${body}`), [0x30]);
    assertRejects(() => frames(new PacketFramer(999), `30 e5 07 ${body}`), 0x95, 'packet of 1000 bytes');
  });
});

describe('validation: v5 topic filters are answered per filter', () => {
  test('a v5 SUBSCRIBE with a misplaced wildcard decodes, and the filter check answers 0x8F [MQTT-4.7.1-1]', () => {
    const packet: Packet = decodePacket(0x82, bytes(`00 01 00 ${s('a/#/b')} 00 ${s('ok/+')} 01`), 5);
    assert.equal(packet.type, PacketType.SUBSCRIBE);
    assert.deepEqual(packet.subscriptions.map((x) => x.topicFilter), ['a/#/b', 'ok/+']);
    assertRejects(() => assertTopicFilter('a/#/b'), 0x8f, "'#' must be");
    assert.doesNotThrow(() => assertTopicFilter('ok/+'));
  });

  test('a v5 UNSUBSCRIBE with an invalid shared filter decodes, and the filter check answers 0x8F [MQTT-4.8.2-2]', () => {
    const packet = decodePacket(0xa2, bytes(`00 01 00 ${s('$share/g+/a')}`), 5);
    assert.equal(packet.type === PacketType.UNSUBSCRIBE && packet.topicFilters[0], '$share/g+/a');
    assertRejects(() => assertTopicFilter('$share/g+/a'), 0x8f, 'share name contains a wildcard');
  });
});
