import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { MqttConnection } from '../../src/broker/mqtt-connection.js';
import type { Session } from '../../src/broker/session.js';
import { connect, disconnect, nextPacketId, receive, subscribe, uniq } from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import type { RawClient } from '../helpers/raw-client.js';

/**
 * A subscriber that never reads its socket must not hold up the others (Aedes'
 * known deadlock with a frozen consumer), and what the broker keeps for it must
 * stay within its limits: bytes buffered for its socket under the high-water
 * mark, QoS 1/2 messages within the inflight window and the queue, the rest
 * dropped and counted.
 */
const LIMITS = { socketHighWaterMark: 128 * 1024, maxInflightMessages: 20, maxQueuedMessages: 100 };

describe('11 a slow consumer', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge({ broker: { limits: LIMITS } });
  });
  after(() => midge.stop());

  const drops = (reason: string): number => midge.server.broker.stats.droppedByReason.get(reason) ?? 0;
  const sessionOf = (clientId: string): Session => midge.server.broker.sessions.get(clientId)!;

  /** A connected subscriber to `topic` that stops reading its socket. */
  async function frozenSubscriber(topic: string, qos: 0 | 1): Promise<{ client: RawClient; clientId: string }> {
    const clientId = uniq('frozen');
    const client = await connect(midge.port, { clientId });
    await subscribe(client, [[topic, qos]]);
    client.socket.pause();
    return { client, clientId };
  }

  it('does not stop another QoS 0 subscriber from receiving everything in order, and drops what it cannot take [MQTT-4.6.0-6]', async () => {
    const topic = uniq('firehose0');
    const frozen = await frozenSubscriber(topic, 0);
    const fast = await connect(midge.port);
    await subscribe(fast, [[topic, 0]]);
    const pub = await connect(midge.port);
    const before = drops('congested-qos0');
    const payload = Buffer.alloc(32 * 1024, 0x61);
    const batches = 96; // 24 MB: more than loopback socket buffers hold for the frozen client
    const perBatch = 4; // 128 KB a batch, paced by the fast subscriber so it never congests
    for (let b = 0; b < batches; b++) {
      for (let i = 0; i < perBatch; i++) {
        payload.writeUInt32BE(b * perBatch + i, 0);
        pub.send({ type: PacketType.PUBLISH, topic, payload, qos: 0, retain: false, dup: false });
      }
      const got = await receive(fast, perBatch);
      assert.deepEqual(got.map((p) => p.payload.readUInt32BE(0)), Array.from({ length: perBatch }, (_, i) => b * perBatch + i));
    }
    assert.ok(drops('congested-qos0') > before, 'messages the frozen subscriber could not take were dropped and counted');
    const link = sessionOf(frozen.clientId).link;
    assert.ok(link instanceof MqttConnection && link.state === 'open', 'the frozen subscriber is still connected');
    assert.ok(link.stream.writableLength <= LIMITS.socketHighWaterMark + perBatch * payload.length,
      `${link.stream.writableLength} bytes buffered for the frozen subscriber`);
    await disconnect(pub);
    await disconnect(fast);
    await frozen.client.close();
  });

  it('does not stop another QoS 1 subscriber from receiving everything in order, and keeps only its window and queue [MQTT-4.5.0-1] [MQTT-4.6.0-6]', async () => {
    const topic = uniq('firehose1');
    const frozen = await frozenSubscriber(topic, 1);
    const fast = await connect(midge.port);
    await subscribe(fast, [[topic, 1]]);
    const pub = await connect(midge.port);
    const before = drops('queue-full');
    const total = 300;
    const perBatch = 50; // paced by the fast subscriber: a burst beyond its own window and queue would be dropped for it too
    for (let b = 0; b < total / perBatch; b++) {
      for (let i = b * perBatch; i < (b + 1) * perBatch; i++) {
        pub.send({ type: PacketType.PUBLISH, topic, payload: Buffer.from(String(i)), qos: 1, retain: false, dup: false, packetId: nextPacketId(pub) });
      }
      const got = await receive(fast, perBatch);
      assert.deepEqual(got.map((p) => Number(p.payload.toString())), Array.from({ length: perBatch }, (_, i) => b * perBatch + i));
    }
    for (let i = 0; i < total; i++) await pub.waitForPacket(PacketType.PUBACK);
    const session = sessionOf(frozen.clientId);
    assert.equal(session.inflight.size, LIMITS.maxInflightMessages, 'the inflight window is full and no larger');
    assert.equal(session.queuedCount, LIMITS.maxQueuedMessages, 'the queue is full and no larger');
    assert.equal(drops('queue-full') - before, total - LIMITS.maxInflightMessages - LIMITS.maxQueuedMessages);
    await disconnect(pub);
    await disconnect(fast);
    await frozen.client.close();
  });
});
