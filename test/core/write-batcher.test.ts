/**
 * The write batching of a connection (src/broker/write-batcher.ts): the packets of
 * one turn go to the stream in one go, small ones joined into one buffer, larger
 * flushes corked into one writev; a stream that frames each write (WebSocket)
 * gets whole packets, one per write.
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { OutgoingBuffer } from '../../src/broker/write-batcher.js';

/** A stream that records its writes: each write, or each gathered write (writev) as its list of buffers. */
function recordingStream(gathers: boolean): { stream: Duplex; writes: Buffer[][] } {
  const writes: Buffer[][] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      writes.push([chunk]);
      callback();
    },
    writev: gathers
      ? (chunks, callback) => {
        writes.push(chunks.map((c) => c.chunk as Buffer));
        callback();
      }
      : undefined,
  });
  return { stream, writes };
}

describe('the write batching of a connection', () => {
  it('joins the small packets of one turn into one write', () => {
    const { stream, writes } = recordingStream(true);
    let written = 0;
    const out = new OutgoingBuffer(stream, (bytes) => { written += bytes; });
    out.push(Buffer.from('ab'));
    out.push(Buffer.from('cd'));
    out.flush();
    assert.deepEqual(writes.map((w) => w.map((b) => b.toString())), [['abcd']]);
    assert.equal(written, 4);
  });

  it('writes a turn of more than 64 KB as its packets in one gathered write, each whole', () => {
    const { stream, writes } = recordingStream(true);
    const out = new OutgoingBuffer(stream, () => {});
    const packets = [Buffer.alloc(40_000, 0x61), Buffer.from('small'), Buffer.alloc(40_000, 0x62)];
    for (const p of packets) out.push(p);
    out.flush();
    assert.equal(writes.length, 1, 'one write for the turn');
    assert.deepEqual(writes[0], packets);
  });

  it('gives a stream that frames each write (WebSocket) whole packets, one per write', () => {
    const { stream, writes } = recordingStream(false);
    const out = new OutgoingBuffer(stream, () => {});
    const packets = [Buffer.alloc(40_000, 0x61), Buffer.alloc(40_000, 0x62)];
    for (const p of packets) out.push(p);
    out.flush();
    assert.deepEqual(writes.flat(), packets);
    assert.ok(writes.every((w) => w.length === 1), 'one packet per write');
  });
});

describe('the write batching of a fan-out', () => {
  /** Pushes each list of packets to its own stream within one turn and waits for the turn's flush. */
  async function oneTurn(perStream: Buffer[][]): Promise<Buffer[][][]> {
    const recorded = perStream.map(() => recordingStream(true));
    perStream.forEach((packets, i) => {
      const out = new OutgoingBuffer(recorded[i]!.stream, () => {});
      for (const p of packets) out.push(p);
    });
    await new Promise((resolve) => setImmediate(resolve));
    return recorded.map((r) => r.writes);
  }

  it('hands every subscriber given the same packets in one turn one shared joined buffer', async () => {
    const shared = [Buffer.from('one'), Buffer.from('two'), Buffer.from('three')];
    const writes = await oneTurn([shared, [...shared], [...shared]]);
    for (const w of writes) assert.deepEqual(w.map((x) => x.map((b) => b.toString())), [['onetwothree']]);
    assert.equal(writes[1]![0]![0], writes[0]![0]![0], 'the second subscriber got the first one\'s buffer');
    assert.equal(writes[2]![0]![0], writes[0]![0]![0], 'the third subscriber got the first one\'s buffer');
  });

  it('gives each subscriber its own packets when they differ in content, order or number', async () => {
    const [a, b, c] = [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')];
    const lists = [[a, b], [b, a], [a, b, c], [a, Buffer.from('b')], [a, b]];
    const writes = await oneTurn(lists);
    assert.deepEqual(writes.map((w) => w.map((x) => x.map((buf) => buf.toString()))), [[['ab']], [['ba']], [['abc']], [['ab']], [['ab']]]);
  });

  it('joins anew in the next turn rather than reusing a buffer of an earlier one', async () => {
    const packets = [Buffer.from('x'), Buffer.from('y')];
    const [first] = await oneTurn([packets]);
    const [second] = await oneTurn([packets]);
    assert.notEqual(second![0]![0], first![0]![0]);
    assert.equal(second![0]![0]!.toString(), 'xy');
  });
});
