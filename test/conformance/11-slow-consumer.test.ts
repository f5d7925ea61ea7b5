import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { MqttConnection } from '../../src/broker/mqtt-connection.js';
import type { Session } from '../../src/broker/session.js';
import { connect, disconnect, nextPacketId, receive, subscribe, uniq } from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { frozenSubscriber } from '../flow/helpers.js';

/**
 * A subscriber that never reads its socket must not hold up the others (Aedes'
 * known deadlock with a frozen consumer), and what the broker keeps for it must
 * stay within its limits. While it is merely behind, publishers wait for it; once it
 * has drained nothing for `slow_consumer_timeout` it is a slow consumer: nobody
 * waits for it any more, bytes buffered for its socket stay under the high-water
 * mark, QoS 1/2 messages stay within the inflight window and the queue, and the rest
 * is dropped and counted.
 */
/** The most bytes one read of a TCP socket hands to the broker (libuv's read size). */
const SOCKET_READ = 64 * 1024;
const LIMITS = {
  socketHighWaterMark: 128 * 1024, maxInflightMessages: 20, maxQueuedMessages: 100, maxQueuedBytes: 1024 * 1024, slowConsumerTimeout: 0.5,
};

describe('11 a slow consumer', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge({ broker: { limits: LIMITS } });
  });
  after(() => midge.stop());

  const drops = (reason: string): number => midge.server.broker.stats.droppedByReason.get(reason) ?? 0;
  const sessionOf = (clientId: string): Session => midge.server.broker.sessions.get(clientId)!;

  it('does not stop another QoS 0 subscriber from receiving every message of a 12 MB burst in order; drops and counts what the frozen one cannot take [MQTT-4.6.0-6]', async () => {
    const topic = uniq('firehose0');
    const frozen = await frozenSubscriber(midge.port, topic, 0);
    const fast = await connect(midge.port);
    await subscribe(fast, [[topic, 0]]);
    const pub = await connect(midge.port);
    const before = drops('queue-full');
    const slowBefore = midge.server.broker.flow.stats().slowConsumerEvents;
    const payload = Buffer.alloc(32 * 1024, 0x61);
    const total = 384; // 12 MB in one go: more than the frozen client's bounds and socket buffers hold
    for (let i = 0; i < total; i++) {
      payload.writeUInt32BE(i, 0);
      pub.send({ type: PacketType.PUBLISH, topic, payload, qos: 0, retain: false, dup: false });
    }
    const got = await receive(fast, total, { timeoutMs: 10_000 });
    assert.deepEqual(got.map((p) => p.payload.readUInt32BE(0)), Array.from({ length: total }, (_, i) => i), 'every message, in order');
    assert.ok(drops('queue-full') > before, 'messages the frozen subscriber could not take were dropped and counted');
    assert.ok(midge.server.broker.flow.stats().slowConsumerEvents > slowBefore, 'the frozen subscriber was declared slow');
    const session = sessionOf(frozen.clientId);
    assert.equal(session.flow.slow, true);
    assert.ok((session.flow.dropped?.['queue-full'] ?? 0) > 0, 'its drops are counted against it');
    const link = session.link;
    assert.ok(link instanceof MqttConnection && link.state === 'open', 'the frozen subscriber is still connected');
    assert.ok(link.stream.writableLength <= LIMITS.socketHighWaterMark + payload.length,
      `${link.stream.writableLength} bytes buffered for the frozen subscriber`);
    // Until it was declared slow, the publisher was paused rather than its messages dropped: the
    // frames of the socket read being handled at that moment (64 KiB, one of them begun in the
    // read before) were still queued, so the queue may pass its bound by that much, no more.
    assert.ok(session.queuedPayloadBytes <= LIMITS.maxQueuedBytes + SOCKET_READ + payload.length,
      `${session.queuedPayloadBytes} payload bytes queued for it`);
    await disconnect(pub);
    await disconnect(fast);
    await frozen.client.close();
  });

  it('does not stop another QoS 1 subscriber from receiving everything in order; once slow, the frozen one keeps its window and queue and the rest is dropped [MQTT-4.5.0-1] [MQTT-4.6.0-6]', async () => {
    const topic = uniq('firehose1');
    const frozen = await frozenSubscriber(midge.port, topic, 1);
    const fast = await connect(midge.port);
    await subscribe(fast, [[topic, 1]]);
    const pub = await connect(midge.port);
    const before = drops('queue-full');
    const total = 300;
    const perBatch = 50;
    for (let b = 0; b < total / perBatch; b++) {
      for (let i = b * perBatch; i < (b + 1) * perBatch; i++) {
        pub.send({ type: PacketType.PUBLISH, topic, payload: Buffer.from(String(i)), qos: 1, retain: false, dup: false, packetId: nextPacketId(pub) });
      }
      const got = await receive(fast, perBatch);
      assert.deepEqual(got.map((p) => Number(p.payload.toString())), Array.from({ length: perBatch }, (_, i) => b * perBatch + i));
    }
    for (let i = 0; i < total; i++) await pub.waitForPacket(PacketType.PUBACK);
    const session = sessionOf(frozen.clientId);
    assert.equal(session.flow.slow, true, 'the frozen subscriber was declared slow');
    assert.equal(session.inflight.size, LIMITS.maxInflightMessages, 'the inflight window is full and no larger');
    // A publisher is paused between reads of its socket: what it had sent in one read goes past the bound once.
    assert.ok(session.queuedCount >= LIMITS.maxQueuedMessages && session.queuedCount <= LIMITS.maxQueuedMessages + perBatch,
      `${session.queuedCount} queued`);
    const dropped = drops('queue-full') - before;
    assert.ok(dropped > 0, 'once slow, what its queue cannot hold is dropped');
    assert.equal(dropped + session.queuedCount + session.inflight.size, total, 'every message is in flight, queued or counted as dropped');
    await disconnect(pub);
    await disconnect(fast);
    await frozen.client.close();
  });

  it('pauses a publisher while a subscriber that reads falls behind, and resumes it when the subscriber catches up', async () => {
    const topic = uniq('behind');
    const sub = await connect(midge.port);
    await subscribe(sub, [[topic, 0]]);
    sub.socket.pause();
    const pub = await connect(midge.port);
    const stats = () => midge.server.broker.flow.stats();
    const pausesBefore = stats().publisherPauses;
    const payload = Buffer.alloc(16 * 1024, 0x62);
    const total = 256; // 4 MB
    for (let i = 0; i < total; i++) {
      payload.writeUInt32BE(i, 0);
      pub.send({ type: PacketType.PUBLISH, topic, payload, qos: 0, retain: false, dup: false });
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(stats().publisherPauses > pausesBefore, 'the publisher was paused');
    sub.socket.resume();
    const got = await receive(sub, total, { timeoutMs: 10_000 });
    assert.deepEqual(got.map((p) => p.payload.readUInt32BE(0)), Array.from({ length: total }, (_, i) => i), 'every message, in order');
    assert.equal(stats().publishersPaused, 0, 'nobody is paused once it caught up');
    assert.ok(stats().publisherPausedMs > 0, 'paused time is counted');
    await disconnect(pub);
    await disconnect(sub);
  });
});
