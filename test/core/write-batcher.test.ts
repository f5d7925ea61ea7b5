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
