import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  MqttProtocolError, PacketFramer, decodePacket, encodePacket, peekConnectLevel, propertyDefinitions, type ProtocolVersion,
} from '../../src/protocol/index.js';
import { anyPacket } from './arbitraries.js';

/*
 * Whatever arrives, the framer and decoder either hand back packets or throw an
 * MqttProtocolError: never a TypeError, RangeError or anything else that would
 * take the process down instead of closing one connection. Inputs are bounded
 * (at most a few hundred bytes, a 4 KiB packet limit), so no run can hang.
 */
const versions: readonly ProtocolVersion[] = [3, 4, 5];

/** What happened to one input: how many packets decoded and whether it was refused. */
interface Outcome {
  packets: number;
  refused: boolean;
}

/** Feeds `chunks` to a framer and decodes each frame; anything but an MqttProtocolError fails the test. */
function feed(chunks: Uint8Array[], version: ProtocolVersion): Outcome {
  const framer = new PacketFramer(4096);
  const outcome: Outcome = { packets: 0, refused: false };
  try {
    for (const chunk of chunks) {
      framer.push(Buffer.from(chunk), (first, body) => {
        if (first >> 4 === 1) peekConnectLevel(body);
        decodePacket(first, body, version);
        outcome.packets++;
      });
    }
  } catch (err) {
    if (!(err instanceof MqttProtocolError)) throw err;
    assert.ok(err.reasonCode >= 0x80, `reason code 0x${err.reasonCode.toString(16)} is not an error`);
    outcome.refused = true;
  }
  return outcome;
}

/** Decodes `body` directly, bypassing the framer, so lengths inside need not agree with it. */
function decodeDirect(first: number, body: Uint8Array, version: ProtocolVersion): Outcome {
  try {
    decodePacket(first, Buffer.from(body), version);
    return { packets: 1, refused: false };
  } catch (err) {
    if (!(err instanceof MqttProtocolError)) throw err;
    return { packets: 0, refused: true };
  }
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  // Byte 1 is the first remaining-length byte: changing it changes the announced length.
  fc.record({ kind: fc.constant('set' as const), at: fc.oneof(fc.constant(1), fc.nat()), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
);

function mutate(input: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(input);
  const at = m.at % Math.max(1, out.length);
  switch (m.kind) {
    case 'flip': out[at]! ^= 1 << m.bit; return out;
    case 'truncate': return out.subarray(0, at);
    case 'set': out[at] = m.value; return out;
    case 'insert': return Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    case 'delete': return Buffer.concat([out.subarray(0, at), out.subarray(at + m.count)]);
  }
}

/** The first byte and the body of an encoded packet. */
function unframe(bytes: Buffer): [number, Buffer] {
  let at = 1;
  while (bytes[at]! & 0x80) at++;
  return [bytes[0]!, bytes.subarray(at + 1)];
}

/** A packet with a correct fixed header around `body`, so mutations reach the decoder rather than the framer. */
function reframe(first: number, body: Buffer): Buffer {
  const length: number[] = [];
  let n = body.length;
  do {
    length.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return Buffer.concat([Buffer.from([first, ...length]), body]);
}

describe('fuzzing the framer and decoder', () => {
  for (const version of versions) {
    test(`random bytes at level ${version} only ever give packets or an MqttProtocolError`, { timeout: 20_000 }, () => {
      let refused = 0;
      fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), (chunks) => {
        if (feed(chunks, version).refused) refused++;
      }), { numRuns: 2000 });
      assert.ok(refused > 0, 'no random input was refused, so the property checked nothing');
    });

    test(`random bodies decoded directly at level ${version} only ever give a packet or an MqttProtocolError`, { timeout: 20_000 }, () => {
      fc.assert(fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 96 }), (first, body) => {
        decodeDirect(first, body, version);
      }), { numRuns: 3000 });
    });

    test(`mutated valid packets at level ${version} only ever give packets or an MqttProtocolError`, { timeout: 20_000 }, () => {
      const tally = { refused: 0, accepted: 0 };
      const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });
      fc.assert(fc.property(anyPacket(version), mutations, fc.boolean(), (packet, changes, keepFraming) => {
        const encoded = encodePacket(packet, version);
        let bytes: Buffer;
        if (keepFraming) {
          // Mutate the body only and fix the remaining length to match.
          const [first, body] = unframe(encoded);
          bytes = reframe(first, changes.reduce(mutate, body));
        } else {
          bytes = changes.reduce(mutate, encoded);
        }
        const framed = feed([bytes], version);
        const direct = bytes.length > 0 ? decodeDirect(bytes[0]!, unframe(bytes)[1], version) : framed;
        if (framed.refused || direct.refused) tally.refused++;
        else tally.accepted++;
      }), { numRuns: 3000 });
      // Both paths must be exercised for the property to mean anything.
      assert.ok(tally.refused > 100 && tally.accepted > 100, JSON.stringify(tally));
    });
  }

  test('random property blocks that end a v5 packet only ever give a packet or an MqttProtocolError', { timeout: 20_000 }, () => {
    // Known identifiers followed by 0 to 5 value bytes, so values are cut short at the
    // end of the packet (where a missing bounds check would read past the buffer).
    const ids = propertyDefinitions.map((d) => d.id);
    const property = fc.tuple(fc.constantFrom(...ids), fc.uint8Array({ maxLength: 5 })).map(([id, value]) => [id, ...value]);
    const heads: [number, number[]][] = [[0xe0, [0x00]], [0xf0, [0x18]], [0x20, [0x00, 0x00]], [0x40, [0x00, 0x01, 0x00]], [0xb0, [0x00, 0x01]]];
    let accepted = 0;
    fc.assert(fc.property(fc.constantFrom(...heads), fc.array(property, { maxLength: 4 }), ([first, head], props) => {
      const block = props.flat();
      if (block.length > 127) return;
      accepted += decodeDirect(first, Uint8Array.from([...head, block.length, ...block]), 5).packets;
    }), { numRuns: 5000 });
    assert.ok(accepted > 0, 'no property block decoded, so the property checked nothing');
  });
});
