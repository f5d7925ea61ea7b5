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
import { startMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';

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

  it('flushes every connection that queued in a turn at its end, and again in every later turn', async () => {
    const streams = [recordingStream(true), recordingStream(true), recordingStream(true)];
    const outs = streams.map(({ stream }) => new OutgoingBuffer(stream, () => {}));
    for (let turn = 0; turn < 3; turn++) {
      outs.forEach((out, i) => {
        out.push(Buffer.from(`${turn}${i}a`));
        out.push(Buffer.from(`${turn}${i}b`));
      });
      assert.ok(streams.every(({ writes }) => writes.length === turn), 'nothing written before the turn ends');
      await new Promise((resolve) => setImmediate(resolve));
      streams.forEach(({ writes }, i) => assert.equal(writes[turn]?.[0]?.toString(), `${turn}${i}a${turn}${i}b`));
    }
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

describe('a QoS 0 fan-out through the broker, whose subscribers share joined writes', () => {
  it('gives every MQTT.js subscriber, 3.1.1 and 5, each of 3,000 messages intact and in order', async (t) => {
    const broker = await startMidge();
    t.after(() => broker.stop());
    const count = 3000;
    const subscribers = await Promise.all(([4, 4, 5, 5, 4] as const).map((protocolVersion, i) =>
      connectMqttJs(broker.port, { protocolVersion, clientId: `fan-${i}` })));
    t.after(() => Promise.all(subscribers.map((c) => endMqttJs(c, true))));
    const inboxes = subscribers.map(collect);
    await Promise.all(subscribers.map((c) => c.subscribeAsync('fan/#', { qos: 0 })));
    // The last one also hears a topic of its own between the shared ones: its packets differ.
    await subscribers[4]!.subscribeAsync('own/x', { qos: 0 });
    const publisher = await connectMqttJs(broker.port, { clientId: 'fan-pub' });
    t.after(() => endMqttJs(publisher, true));
    // Written in one go, so that a turn of the broker carries many messages to every subscriber.
    for (let i = 0; i < count; i++) {
      void publisher.publishAsync('fan/x', `message ${i} `.padEnd(64, '.'), { qos: 0 });
      if (i % 100 === 0) void publisher.publishAsync('own/x', `own ${i}`, { qos: 0 });
    }
    const expected = Array.from({ length: count }, (_, i) => `message ${i} `.padEnd(64, '.'));
    for (const [n, inbox] of inboxes.entries()) {
      const got = (await inbox.waitFor(n === 4 ? count + count / 100 : count, 10_000))
        .filter((m) => m.topic === 'fan/x').map((m) => m.payload.toString());
      assert.deepEqual(got, expected, `subscriber ${n}`);
    }
  });
});
