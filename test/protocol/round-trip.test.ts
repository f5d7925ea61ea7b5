import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PacketFramer, decodePacket, encodePacket, type Packet, type ProtocolVersion } from '../../src/protocol/index.js';
import { anyPacket } from './arbitraries.js';
import { canonical, decodeOne } from './codec-helpers.js';

/*
 * decode(encode(p)) gives back p for every valid packet of every version, up to
 * what the wire cannot carry (documented rule by rule on canonical()). The runs
 * are seeded by fast-check per process; a failure prints the seed and path that
 * replay it.
 */
const versions: readonly ProtocolVersion[] = [3, 4, 5];

describe('encode then decode', () => {
  for (const version of versions) {
    test(`every valid ${version === 3 ? 'MQTT 3.1' : version === 4 ? 'MQTT 3.1.1' : 'MQTT 5.0'} packet comes back as it was sent`, () => {
      fc.assert(
        fc.property(anyPacket(version), (packet) => {
          const bytes = encodePacket(packet, version);
          const decoded = decodeOne(bytes, version);
          assert.deepStrictEqual(decoded, canonical(packet, version));
          // Encoding what was decoded gives the same bytes: one spelling per packet.
          assert.equal(encodePacket(decoded, version).toString('hex'), bytes.toString('hex'));
        }),
        { numRuns: 1500 },
      );
    });
  }
});

/** Cuts `data` at the given positions (taken modulo its length, in any order). */
function split(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    pieces.push(data.subarray(from, p));
    from = p;
  }
  return pieces;
}

describe('framing a stream cut anywhere', () => {
  for (const version of versions) {
    test(`MQTT level ${version} packets fed through the framer in random pieces come out whole and in order`, () => {
      fc.assert(
        fc.property(
          fc.array(anyPacket(version), { minLength: 1, maxLength: 8 }),
          fc.array(fc.nat(), { maxLength: 12 }),
          (packets, cuts) => {
            const stream = Buffer.concat(packets.map((p) => encodePacket(p, version)));
            const framer = new PacketFramer();
            const out: Packet[] = [];
            for (const piece of split(stream, cuts)) {
              // Copies, so a frame that keeps a view of an earlier piece would show up as corrupt.
              framer.push(Buffer.from(piece), (first, body) => out.push(decodePacket(first, body, version)));
            }
            assert.equal(framer.buffered, 0);
            assert.deepStrictEqual(out, packets.map((p) => canonical(p, version)));
          },
        ),
        { numRuns: 400 },
      );
    });
  }

  test('a stream cut after every byte still gives every packet', () => {
    fc.assert(
      fc.property(fc.array(anyPacket(5), { minLength: 1, maxLength: 4 }), (packets) => {
        const stream = Buffer.concat(packets.map((p) => encodePacket(p, 5)));
        const framer = new PacketFramer();
        const out: Packet[] = [];
        for (let i = 0; i < stream.length; i++) {
          framer.push(stream.subarray(i, i + 1), (first, body) => out.push(decodePacket(first, body, 5)));
        }
        assert.deepStrictEqual(out, packets.map((p) => canonical(p, 5)));
      }),
      { numRuns: 100 },
    );
  });
});
