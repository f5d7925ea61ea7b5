import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketFramer, PacketType, decodePacket, encodePacket, type Packet, type PublishPacket } from '../../src/protocol/index.js';

/** A frame as the framer hands it out, with the body copied so later pushes cannot change it. */
interface Frame {
  first: number;
  body: string;
}

function collect(framer: PacketFramer, chunks: Buffer[]): Frame[] {
  const out: Frame[] = [];
  for (const chunk of chunks) framer.push(chunk, (first, body) => out.push({ first, body: body.toString('hex') }));
  return out;
}

const publish = (topic: string, payload: Buffer): Packet =>
  ({ type: PacketType.PUBLISH, topic, payload, qos: 0, retain: false, dup: false });

/** Three packets: a PINGREQ (empty body), a small PUBLISH and one whose remaining length takes two bytes. */
const packets = [
  encodePacket({ type: PacketType.PINGREQ }, 4),
  encodePacket(publish('a/b', Buffer.from('hello')), 4),
  encodePacket(publish('big', Buffer.alloc(300, 0xab)), 4),
];
const stream = Buffer.concat(packets);
const expected: Frame[] = packets.map((p) => ({ first: p[0]!, body: p.subarray(p[1]! & 0x80 ? 3 : 2).toString('hex') }));

describe('PacketFramer', () => {
  test('cuts many frames out of one chunk, in order', () => {
    assert.deepEqual(collect(new PacketFramer(), [stream]), expected);
  });

  test('reassembles frames fed one byte at a time', () => {
    const framer = new PacketFramer();
    const bytes = [...stream].map((b) => Buffer.from([b]));
    assert.deepEqual(collect(framer, bytes), expected);
    assert.equal(framer.buffered, 0);
  });

  test('reassembles a fixed header split between its two remaining-length bytes', () => {
    const big = packets[2]!;
    const framer = new PacketFramer();
    assert.deepEqual(collect(framer, [big.subarray(0, 2)]), []);
    assert.equal(framer.buffered, 2);
    assert.deepEqual(collect(framer, [big.subarray(2)]), [expected[2]]);
  });

  test('reassembles a body split over several chunks and goes on with the frames after it', () => {
    const big = packets[2]!;
    const chunks = [Buffer.concat([packets[0]!, big.subarray(0, 50)]), big.subarray(50, 200), Buffer.concat([big.subarray(200), packets[1]!])];
    const framer = new PacketFramer();
    assert.deepEqual(collect(framer, chunks), [expected[0], expected[2], expected[1]]);
    assert.equal(framer.buffered, 0);
  });

  test('counts the bytes it holds for an incomplete frame', () => {
    const framer = new PacketFramer();
    collect(framer, [packets[2]!.subarray(0, 100)]);
    assert.equal(framer.buffered, 97);
    collect(framer, [packets[2]!.subarray(100, 150)]);
    assert.equal(framer.buffered, 147);
  });

  test('hands out zero-length bodies, alone or between other frames', () => {
    const pings = Buffer.from('c000d000e000', 'hex');
    assert.deepEqual(collect(new PacketFramer(), [pings]), [
      { first: 0xc0, body: '' }, { first: 0xd0, body: '' }, { first: 0xe0, body: '' },
    ]);
    assert.deepEqual(collect(new PacketFramer(), [Buffer.from('c0', 'hex'), Buffer.from('00', 'hex')]), [{ first: 0xc0, body: '' }]);
  });

  test('emits a frame that ends exactly at a chunk boundary without waiting for the next chunk', () => {
    const framer = new PacketFramer();
    assert.deepEqual(collect(framer, [packets[1]!]), [expected[1]]);
    assert.equal(framer.buffered, 0);
    const split = packets[2]!;
    assert.deepEqual(collect(framer, [split.subarray(0, 10), split.subarray(10)]), [expected[2]]);
    assert.equal(framer.buffered, 0);
  });

  test('ignores empty chunks wherever they come', () => {
    const empty = Buffer.alloc(0);
    const big = packets[2]!;
    const chunks = [empty, big.subarray(0, 1), empty, big.subarray(1, 2), empty, big.subarray(2, 40), empty, big.subarray(40), empty];
    assert.deepEqual(collect(new PacketFramer(), chunks), [expected[2]]);
  });

  test('reassembles frames whose remaining length takes three and four bytes', () => {
    for (const size of [20_000, 2_100_000]) {
      const packet = encodePacket(publish('t', Buffer.alloc(size, 0x5a)), 4);
      const headerLength = 1 + (size + 3 < 2_097_152 ? 3 : 4);
      assert.equal(packet[headerLength - 1]! & 0x80, 0);
      const frames: Buffer[] = [];
      const framer = new PacketFramer();
      for (let i = 0; i < packet.length; i += 65_536) framer.push(packet.subarray(i, i + 65_536), (_f, body) => frames.push(body));
      assert.equal(frames.length, 1);
      assert.equal(frames[0]!.length, size + 3);
      assert.ok(frames[0]!.equals(packet.subarray(headerLength)));
    }
  });

  test('hands out a body that arrived whole as a view of the chunk, without copying it', () => {
    const chunk = Buffer.from(stream);
    const views: Buffer[] = [];
    new PacketFramer().push(chunk, (_first, body) => views.push(body));
    assert.equal(views[1]!.buffer, chunk.buffer);
    assert.equal(views[1]!.byteOffset, chunk.byteOffset + packets[0]!.length + 2);
  });

  test('joins a body split across chunks into a buffer of its own', () => {
    const big = packets[2]!;
    const first = Buffer.from(big.subarray(0, 100));
    const bodies: Buffer[] = [];
    const framer = new PacketFramer();
    framer.push(first, (_f, body) => bodies.push(body));
    framer.push(Buffer.from(big.subarray(100)), (_f, body) => bodies.push(body));
    first.fill(0);
    assert.equal(bodies[0]!.toString('hex'), expected[2]!.body);
  });
});

describe('the payload of a decoded PUBLISH', () => {
  const big = encodePacket(publish('t/big', Buffer.alloc(16_384, 0x5a)), 4);
  const small = encodePacket(publish('t/small', Buffer.from('tiny')), 4);

  function payloads(chunks: Buffer[]): Buffer[] {
    const out: Buffer[] = [];
    const framer = new PacketFramer();
    for (const chunk of chunks) framer.push(chunk, (first, body) => out.push((decodePacket(first, body, 4) as PublishPacket).payload));
    return out;
  }

  test('is copied out of a socket chunk that holds other packets too, so a kept message never pins the chunk', () => {
    const chunk = Buffer.concat([big, small, big]);
    const [first, tiny, last] = payloads([chunk]);
    for (const p of [first!, tiny!, last!]) assert.notEqual(p.buffer, chunk.buffer);
    assert.equal(first!.length, 16_384);
    assert.equal(tiny!.toString(), 'tiny');
  });

  test('stays a view, not a copy, of a small packet that arrived alone (a device read), which holds little else', () => {
    const alone = Buffer.alloc(small.length); // memory of its own, as a socket read of one packet is
    small.copy(alone);
    const [tiny] = payloads([alone]);
    assert.equal(tiny!.toString(), 'tiny');
    assert.equal(tiny!.buffer, alone.buffer);
  });

  test('stays a view, not a copy, of a large packet that arrived alone or was joined from several chunks', () => {
    const alone = Buffer.concat([big]);
    assert.equal(payloads([alone])[0]!.buffer, alone.buffer);
    const [joined] = payloads([big.subarray(0, 1000), big.subarray(1000)]);
    assert.equal(joined!.length, 16_384);
    assert.ok(joined!.every((b) => b === 0x5a));
    assert.notEqual(joined!.buffer, big.buffer, 'the framer joined the pieces into memory of its own');
    assert.equal(joined!.byteOffset, 2 + 't/big'.length, 'and the payload is a view of it');
  });
});
