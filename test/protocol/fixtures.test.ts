import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PacketType, encodePacket, encodePublish, packetTypeNames, propertyDefinitions, publishPacketIdOffset,
  type Packet, type PacketTypeCode, type Properties, type PropertyPlace, type ProtocolVersion,
} from '../../src/protocol/index.js';
import { decodeOne } from './codec-helpers.js';
import { bytesOf, fixtures } from './fixtures/index.js';

describe('byte fixtures', () => {
  for (const f of fixtures) {
    test(`${f.name} decodes from its bytes`, () => {
      assert.deepStrictEqual(decodeOne(bytesOf(f.hex), f.version), f.packet);
    });
    test(`${f.name} encodes to ${f.encodesTo ? 'its shortest form' : 'its bytes'}`, () => {
      const expected = bytesOf(f.encodesTo ?? f.hex);
      assert.equal(encodePacket(f.packet, f.version).toString('hex'), expected.toString('hex'));
    });
  }
});

describe('fixture coverage', () => {
  const versionsOf = (type: PacketTypeCode): Set<ProtocolVersion> =>
    new Set(fixtures.filter((f) => f.packet.type === type).map((f) => f.version));

  test('every packet type has a fixture in every version that has it', () => {
    for (const type of Object.values(PacketType)) {
      const expected: ProtocolVersion[] = type === PacketType.AUTH ? [5] : [3, 4, 5];
      assert.deepStrictEqual([...versionsOf(type)].sort(), expected, packetTypeNames[type]);
    }
  });

  test('every v5 property appears in every place it is allowed', () => {
    const seen = new Set<string>();
    for (const f of fixtures) {
      if (f.version !== 5) continue;
      for (const [place, props] of placesOf(f.packet)) {
        for (const key of Object.keys(props)) seen.add(`${key}@${place}`);
      }
    }
    const missing = propertyDefinitions.flatMap((d) => d.places.map((p) => `${d.key}@${p}`)).filter((k) => !seen.has(k));
    assert.deepStrictEqual(missing, []);
    assert.equal(propertyDefinitions.length, 27);
  });

  test('some fixtures spell a packet the long way and check that we write the short form', () => {
    assert.ok(fixtures.filter((f) => f.encodesTo).length >= 4);
  });
});

/** The property blocks of a packet with the place each one sits in. */
function placesOf(packet: Packet): [PropertyPlace, Properties][] {
  const out: [PropertyPlace, Properties][] = [];
  if ('properties' in packet && packet.properties) out.push([packetTypeNames[packet.type] as PropertyPlace, packet.properties]);
  if (packet.type === PacketType.CONNECT && packet.will?.properties) out.push(['WILL', packet.will.properties]);
  return out;
}

describe('PUBLISH fan-out encoding', () => {
  test('the packet id offset points at the packet id so one encoding can be patched per subscriber', () => {
    for (const version of [3, 4, 5] as const) {
      const bytes = encodePublish({
        type: PacketType.PUBLISH, topic: 'fan/\u00e9', payload: Buffer.alloc(300, 7), qos: 1, retain: false, dup: false,
        packetId: 0x0102, properties: version === 5 ? { userProperties: [['k', 'v']] } : undefined,
      }, version);
      const offset = publishPacketIdOffset(bytes);
      assert.equal(bytes.readUInt16BE(offset), 0x0102);
      bytes.writeUInt16BE(0xbeef, offset);
      const decoded = decodeOne(bytes, version);
      assert.equal(decoded.type === PacketType.PUBLISH && decoded.packetId, 0xbeef);
    }
  });
});
