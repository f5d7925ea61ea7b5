/**
 * Redis goes away under two in-process nodes and comes back: the nodes turn
 * unready, refuse what they could not route (v5: PUBACK 0x80 with a reason;
 * 3.1.1: the connection closes) and CONNECTs (0x88), then resume, with the
 * subscriptions made meanwhile routed. Short heartbeats make the outage outlast
 * the nodes' liveness keys, so coming back also revives them.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PacketType, type PacketOf } from '../../src/protocol/index.js';
import { Redis } from 'ioredis';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import { StreamClient, until } from '../durability/stream-client.js';
import { ClusterClient, awaitRoute } from './cluster-client.js';
import { ready, startNode, type Node } from './in-process.js';

withRedis(() => {
  describe('a Redis outage', () => {
    let redis: RedisServer | undefined;
    const nodes: Node[] = [];
    const clients: Array<{ destroy(): Promise<void> }> = [];
    after(async () => {
      await Promise.all(clients.map((c) => c.destroy()));
      await redis?.restart().catch(() => {});
      await Promise.all(nodes.map((n) => n.server.close()));
      await redis?.remove();
    });

    it('turns the nodes unready, refuses what cannot be routed, and resumes with every route when Redis is back', async () => {
      redis = await startRedis({ appendonly: true });
      const [a, b] = [await startNode(redis.url, 'a'), await startNode(redis.url, 'b')];
      nodes.push(a, b);
      const kept = await ClusterClient.connect(b.port, { clientId: 'outage-kept', clean: false, version: 5, properties: { sessionExpiryInterval: 600 } });
      const late = await ClusterClient.connect(b.port, { clientId: 'outage-late', version: 5 });
      const v5 = await ClusterClient.connect(a.port, { clientId: 'outage-pub5', version: 5 });
      const v3 = await ClusterClient.connect(a.port, { clientId: 'outage-pub3' });
      clients.push(kept, late, v5, v3);
      await kept.subscribe([{ topicFilter: 'outage/#', qos: 1 }]);
      await awaitRoute(a.port, kept, 'outage/probe');
      assert.equal((await ready(a)).status, 200);

      await redis.stop();
      await until(() => !a.server.broker.readiness.ready && !b.server.broker.readiness.ready, 10_000, () => 'the nodes to notice');
      assert.deepEqual(await ready(a), { status: 503, reasons: ['redis'] });
      const refused = await v5.publish('outage/x', 'refused', 1) as PacketOf<typeof PacketType.PUBACK>;
      assert.equal(refused.reasonCode, 0x80);
      assert.match(refused.properties?.reasonString ?? '', /cluster/);
      v3.stream.send({ type: PacketType.PUBLISH, topic: 'outage/x', payload: Buffer.from('closed'), qos: 1, retain: false, dup: false, packetId: 7 });
      await v3.waitClosed();
      assert.deepEqual(v3.messages, []);
      const { connack: v5Refused } = await StreamClient.connect(a.port, { clientId: 'outage-new', version: 5 });
      assert.equal(v5Refused.reasonCode, 0x88);
      const { connack: v3Refused } = await StreamClient.connect(a.port, { clientId: 'outage-new3' });
      assert.equal(v3Refused.reasonCode, 3);
      // Subscribed while Redis is away: routed once it is back.
      await late.subscribe([{ topicFilter: 'late/#', qos: 1 }]);

      await redis.restart();
      await until(() => a.server.broker.readiness.ready && b.server.broker.readiness.ready, 15_000, () => 'the nodes to resume');
      assert.equal((await ready(a)).status, 200);
      await awaitRoute(a.port, late, 'late/probe');
      const again = await ClusterClient.connect(a.port, { clientId: 'outage-pub5', version: 5 });
      clients.push(again);
      assert.equal((await again.publish('outage/x', 'after', 1) as PacketOf<typeof PacketType.PUBACK>).reasonCode ?? 0, 0);
      await again.publish('late/x', 'late', 1);
      await kept.waitForCount('outage/x', 1);
      await late.waitForCount('late/x', 1);
      assert.deepEqual(kept.payloads('outage/x'), ['after']);
      assert.deepEqual(late.payloads('late/x'), ['late']);
    });
  });

  describe('a node declared dead while it runs', () => {
    let redis: RedisServer | undefined;
    const nodes: Node[] = [];
    const clients: Array<{ destroy(): Promise<void> }> = [];
    after(async () => {
      await Promise.all(clients.map((c) => c.destroy()));
      await Promise.all(nodes.map((n) => n.server.close()));
      await redis?.remove();
    });

    it('drops its clients and joins again, and its sessions resume where they were adopted', async () => {
      redis = await startRedis();
      const [a, b] = [await startNode(redis.url, 'a'), await startNode(redis.url, 'b')];
      nodes.push(a, b);
      const props = { sessionExpiryInterval: 600 };
      const sub = await ClusterClient.connect(a.port, { clientId: 'zombie-sub', version: 5, clean: false, properties: props });
      clients.push(sub);
      await sub.subscribe([{ topicFilter: 'sealed/#', qos: 1 }]);
      await awaitRoute(b.port, sub, 'sealed/probe');
      const first = a.cluster.incarnation;
      // What the survivors do to a node silent too long (cut off from Redis): seal it.
      const raw = new Redis(redis.url);
      await raw.set(`midge:cluster:sealed:${first}`, 'test');
      raw.disconnect();
      await sub.waitClosed();
      assert.equal(sub.disconnectPacket?.reasonCode, 0x80);
      await until(() => a.cluster.incarnation !== first, 10_000, () => 'node A to join again');
      const publisher = await ClusterClient.connect(b.port, { clientId: 'zombie-pub' });
      clients.push(publisher);
      const puback = await publisher.publish('sealed/x', 'kept for the session', 1) as PacketOf<typeof PacketType.PUBACK>;
      assert.equal(puback.reasonCode ?? 0, 0);
      const back = await ClusterClient.connect(a.port, { clientId: 'zombie-sub', version: 5, clean: false, properties: props });
      clients.push(back);
      assert.equal(back.connack.sessionPresent, true);
      await back.waitForCount('sealed/x', 1);
      assert.deepEqual(back.payloads('sealed/x'), ['kept for the session']);
    });
  });
});
