/**
 * `formatPacketTrace` against every byte fixture of the codec suite: the dump holds
 * exactly the fixture's bytes (a password masked), the fixed header is read from the
 * bytes, every field and property of the packet is named, and reason codes are named
 * as the packet's protocol version means them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PacketType, formatPacketTrace, hexDump, packetTypeNames, propertyByKey, reasonCodeName,
  type Packet, type Properties, type ProtocolVersion,
} from '../../src/protocol/index.js';
import { dumpAscii, dumpBytes, splitTraces } from '../helpers/trace-dump.js';
import { bytesOf, fixtures } from './fixtures/index.js';

/** The 3.1.1 CONNACK return codes as section 3.2.2.3 of the specification words them. */
const V3_RETURN_CODES = ['Connection Accepted', 'unacceptable protocol version', 'identifier rejected', 'Server unavailable', 'bad user name or password', 'not authorized'];

/** Text every trace of `packet` must contain: names and values of its fields and properties. */
function expectedFragments(packet: Packet): string[] {
  const out: string[] = [];
  const q = (s: string): string => JSON.stringify(s);
  const props = (p: Properties | undefined): void => {
    for (const key of Object.keys(p ?? {}) as Array<keyof Properties>) out.push(`0x${propertyByKey.get(key)!.id.toString(16).padStart(2, '0')} `);
    for (const [k, v] of p?.userProperties ?? []) out.push(`${q(k)} = ${q(v)}`);
    for (const value of [p?.contentType, p?.responseTopic, p?.reasonString, p?.assignedClientIdentifier]) if (value !== undefined) out.push(q(value));
  };
  if ('packetId' in packet && packet.packetId !== undefined) out.push(`packet id: ${packet.packetId}`);
  if ('properties' in packet) props(packet.properties);
  switch (packet.type) {
    case PacketType.CONNECT:
      out.push(`client id: ${q(packet.clientId)}`, `keep alive: ${packet.keepAlive} s`, `level ${packet.protocolVersion}`);
      if (packet.username !== undefined) out.push(`username: ${q(packet.username)}`);
      if (packet.will) out.push(`will topic: ${q(packet.will.topic)}`, `will payload: ${packet.will.payload.length} byte`);
      props(packet.will?.properties);
      break;
    case PacketType.PUBLISH: out.push(`topic: ${q(packet.topic)}`, `payload: ${packet.payload.length} byte`); break;
    case PacketType.SUBSCRIBE: for (const s of packet.subscriptions) out.push(`filter: ${q(s.topicFilter)}, qos ${s.qos}`); break;
    case PacketType.UNSUBSCRIBE: for (const f of packet.topicFilters) out.push(`filter: ${q(f)}`); break;
    default: break;
  }
  return out;
}

/** Remaining length read from the bytes: what follows the fixed header's length field. */
function remainingLengthOf(bytes: Buffer): number {
  let headerSize = 2;
  while (bytes[headerSize - 1]! & 0x80) headerSize++;
  return bytes.length - headerSize;
}

describe('formatPacketTrace on every codec fixture', () => {
  for (const f of fixtures) {
    const bytes = bytesOf(f.hex);
    const trace = formatPacketTrace(f.packet, bytes, 'received', { version: f.version });
    const [packet] = splitTraces(trace);

    test(`the dump of ${f.name} holds exactly its bytes, with any password masked`, () => {
      const password = f.packet.type === PacketType.CONNECT ? f.packet.password : undefined;
      const maskedFrom = bytes.length - (password?.length ?? 0);
      const expected = [...bytes].map((b, i) => (i >= maskedFrom ? 'masked' : b));
      assert.deepEqual(dumpBytes(packet!.lines), expected);
      const ascii = [...bytes].map((b, i) => (i >= maskedFrom ? '*' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      assert.equal(dumpAscii(packet!.lines), ascii);
    });

    test(`the trace of ${f.name} names its type and size, and reads the fixed header from the bytes`, () => {
      assert.equal(packet!.header, `<< RECEIVED ${packetTypeNames[f.packet.type]} (${bytes.length} bytes)`);
      const fixed = packet!.lines[0]!;
      assert.match(fixed, new RegExp(`^ +fixed header: 0x${bytes[0]!.toString(16).padStart(2, '0')} ${packetTypeNames[f.packet.type]}, `));
      assert.ok(fixed.includes(`remaining length ${remainingLengthOf(bytes)}`), fixed);
      if (f.packet.type === PacketType.PUBLISH) {
        assert.ok(fixed.includes(`dup ${f.packet.dup ? 1 : 0}, qos ${f.packet.qos}, retain ${f.packet.retain ? 1 : 0}`), fixed);
      }
    });

    test(`the trace of ${f.name} shows every field and property of the packet`, () => {
      for (const fragment of expectedFragments(f.packet)) assert.ok(trace.includes(fragment), `'${fragment}' missing from:\n${trace}`);
    });
  }
});

describe('reason codes are named as the protocol version means them', () => {
  const byVersion = (versions: ProtocolVersion[], type: Packet['type']) => fixtures.filter((f) => versions.includes(f.version) && f.packet.type === type);

  test('a 3.1 or 3.1.1 CONNACK shows a return code with its 3.1.1 name, never a v5 reason code', () => {
    const connacks = byVersion([3, 4], PacketType.CONNACK);
    assert.ok(connacks.length >= 3);
    for (const f of connacks) {
      const code = f.packet.type === PacketType.CONNACK ? f.packet.reasonCode : -1;
      const trace = formatPacketTrace(f.packet, bytesOf(f.hex), 'sent', { version: f.version });
      assert.ok(trace.includes(`return code: 0x0${code} ${V3_RETURN_CODES[code]}`), trace);
      assert.ok(!trace.includes('reason code'), trace);
    }
  });

  test('a v5 CONNACK shows its reason code with the v5 name', () => {
    for (const f of byVersion([5], PacketType.CONNACK)) {
      const code = f.packet.type === PacketType.CONNACK ? f.packet.reasonCode : -1;
      assert.ok(formatPacketTrace(f.packet, bytesOf(f.hex), 'sent', { version: 5 }).includes(`reason code: ${reasonCodeName(code)}`));
    }
  });

  test('acknowledgements before v5 have no reason code field, so none is shown', () => {
    const acks = fixtures.filter((f) => f.version !== 5 && ([PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP, PacketType.UNSUBACK, PacketType.DISCONNECT] as number[]).includes(f.packet.type));
    assert.ok(acks.length >= 10);
    for (const f of acks) assert.ok(!formatPacketTrace(f.packet, bytesOf(f.hex), 'sent', { version: f.version }).includes('reason code'), f.name);
  });

  test('a v5 acknowledgement in the short form says its reason code was left out, and a spelled-out one does not', () => {
    const acks = byVersion([5], PacketType.PUBACK);
    const short = acks.filter((f) => f.packet.type === PacketType.PUBACK && f.packet.reasonCode === undefined);
    const long = acks.filter((f) => f.packet.type === PacketType.PUBACK && f.packet.reasonCode !== undefined);
    assert.ok(short.length > 0 && long.length > 0);
    for (const f of short) assert.match(formatPacketTrace(f.packet, bytesOf(f.hex), 'sent', { version: 5 }), /reason code: 0x00 Success \(left out/);
    for (const f of long) assert.doesNotMatch(formatPacketTrace(f.packet, bytesOf(f.hex), 'sent', { version: 5 }), /left out/);
  });

  test('a refused subscription is "Failure" before v5 and has its v5 name in v5', () => {
    const suback = (codes: number[]): Packet => ({ type: PacketType.SUBACK, packetId: 1, reasonCodes: codes });
    const bytes = Buffer.from([0x90, 0x03, 0x00, 0x01, 0x80]);
    assert.ok(formatPacketTrace(suback([0x80]), bytes, 'sent', { version: 4 }).includes('return code: 0x80 Failure'));
    assert.ok(formatPacketTrace(suback([0x87]), bytes, 'sent', { version: 5 }).includes(`reason code: ${reasonCodeName(0x87)}`));
    assert.ok(formatPacketTrace(suback([0x02]), bytes, 'sent', { version: 4 }).includes('return code: 0x02 Granted QoS 2'));
  });

  test('without a version, a CONNECT is read at its own level and other packets as v5', () => {
    const v4Connect = fixtures.find((f) => f.version === 4 && f.packet.type === PacketType.CONNECT)!;
    assert.ok(formatPacketTrace(v4Connect.packet, bytesOf(v4Connect.hex), 'sent').includes('(MQTT 3.1.1)'));
    const puback: Packet = { type: PacketType.PUBACK, packetId: 7 };
    assert.ok(formatPacketTrace(puback, Buffer.from([0x40, 0x02, 0x00, 0x07]), 'sent').includes('reason code'));
  });
});

describe('the rendering', () => {
  test('a PUBLISH reads as the documented example: header, fixed header, fields, then the dump', () => {
    const packet: Packet = { type: PacketType.PUBLISH, topic: 'a/b', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false };
    const bytes = Buffer.from('300a0003612f6268656c6c6f', 'hex');
    assert.equal(formatPacketTrace(packet, bytes, 'sent', { version: 4 }), [
      '>> SENT PUBLISH (12 bytes)',
      '   fixed header: 0x30 PUBLISH, dup 0, qos 0, retain 0; remaining length 10',
      '   topic: "a/b"',
      '   payload: 5 bytes "hello"',
      '   0000  30 0a 00 03 61 2f 62 68 65 6c 6c 6f              0...a/bhello',
    ].join('\n'));
  });

  test('a payload that is not text is shown in hex, and a long one is cut at the preview size and counted', () => {
    const binary: Packet = { type: PacketType.PUBLISH, topic: 't', payload: Buffer.from([0x00, 0xff, 0x10]), qos: 0, retain: false, dup: false };
    assert.ok(formatPacketTrace(binary, Buffer.alloc(0), 'sent', { version: 4 }).includes('payload: 3 bytes 0x00ff10'));
    const long: Packet = { ...binary, payload: Buffer.alloc(100, 'a') };
    const text = formatPacketTrace(long, Buffer.alloc(0), 'sent', { version: 4, maxPayloadPreview: 10 });
    assert.ok(text.includes(`payload: 100 bytes "${'a'.repeat(10)}" ... (90 more)`), text);
  });

  test('the dump stops at maxDumpBytes and counts the bytes it left out', () => {
    const payload = Buffer.alloc(100, 0x41);
    const packet: Packet = { type: PacketType.PUBLISH, topic: 't', payload, qos: 0, retain: false, dup: false };
    const bytes = Buffer.concat([Buffer.from([0x30, 103, 0x00, 0x01, 0x74]), payload]);
    const lines = formatPacketTrace(packet, bytes, 'received', { version: 4, maxDumpBytes: 32 }).split('\n');
    assert.equal(dumpBytes(lines).length, 32);
    assert.equal(lines.at(-1), `   ....  (${bytes.length - 32} more bytes not shown)`);
  });

  test('showPassword shows the password bytes that are masked by default', () => {
    const f = fixtures.find((x) => x.packet.type === PacketType.CONNECT && x.packet.password !== undefined)!;
    const bytes = bytesOf(f.hex);
    const shown = dumpBytes(formatPacketTrace(f.packet, bytes, 'received', { version: f.version, showPassword: true }).split('\n'));
    assert.deepEqual(shown, [...bytes]);
  });
});

describe('hexDump', () => {
  const bytes = Buffer.from(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0x41 + i : i)));

  test('writes 16 bytes a line, offsets in hex, and an ASCII column with dots for what is not printable', () => {
    const lines = hexDump(bytes);
    assert.deepEqual(lines.map((l) => l.slice(0, 4)), ['0000', '0010', '0020']);
    assert.deepEqual(dumpBytes(lines), [...bytes]);
    const ascii = [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    assert.equal(dumpAscii(lines), ascii);
  });

  test('with maxBytes it shows that many bytes and one line counting the rest', () => {
    const lines = hexDump(bytes, 20);
    assert.equal(dumpBytes(lines).length, 20);
    assert.equal(lines.at(-1), '....  (20 more bytes not shown)');
  });

  test('hidden bytes print as ** and * and nothing of them shows', () => {
    const lines = hexDump(bytes, Infinity, { start: 3, end: 18 });
    assert.deepEqual(dumpBytes(lines), [...bytes].map((b, i) => (i >= 3 && i < 18 ? 'masked' : b)));
    assert.equal(dumpAscii(lines).slice(3, 18), '*'.repeat(15));
  });
});
