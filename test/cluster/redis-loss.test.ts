/**
 * Redis restarts without its data (no append-only file) under two in-process
 * nodes while a QoS 1 stream flows from node A to subscribers on node B. The
 * nodes notice (the generation key is gone), refuse instead of acknowledging
 * (PUBACK 0x80 with a reason, /readyz 503 `redis-rebuilding`), write their
 * sessions and retained messages back from memory, and resume: no message
 * acknowledged to the publisher is lost, for a connected subscriber, for an
 * offline one whose queue lived in Redis and in node B's memory (it then
 * resumes on node A, so its queue must have been written back), and retained
 * messages are in Redis again. A node that was cut off from Redis until the others
 * had rebuilt it cannot know what it missed: it drops its sessions and closes
 * their connections (0x80, with a reason) rather than serve them as if nothing
 * happened; they reconnect to a new session.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ReasonCode } from '../../src/protocol/index.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { until } from '../durability/stream-client.js';
import type { ClusterClient} from './cluster-client.js';
import { awaitRoute } from './cluster-client.js';
import { Stream, assertNoneLost } from './stream.js';
import { connectTo, ready, startNode, type Node } from './in-process.js';

withRedis(() => {
  describe('Redis restarted without its data', () => {
    let redis: RedisServer | undefined;
    let proxy: TcpProxy | undefined;
    const nodes: Node[] = [];
    const clients: ClusterClient[] = [];
    after(async () => {
      await Promise.all(clients.map((c) => c.destroy()));
      proxy?.restore();
      await Promise.all(nodes.map((n) => n.server.close()));
      await proxy?.close();
      await redis?.remove();
    });
    const connect = (node: Node, clientId: string, clean = true) => connectTo(clients, node, clientId, clean);

    it('loses no acknowledged message: the nodes refuse while they write their state back, then resume', async () => {
      redis = await startRedis({ appendonly: false });
      const [a, b] = [await startNode(redis.url, 'a'), await startNode(redis.url, 'b')];
      nodes.push(a, b);
      const kept = await connect(b, 'loss-kept', false);
      const away = await connect(b, 'loss-away', false);
      await kept.subscribe([{ topicFilter: 'loss/#', qos: 1 }]);
      await away.subscribe([{ topicFilter: 'loss/#', qos: 1 }]);
      await awaitRoute(a.port, kept, 'loss/probe');
      await away.disconnect();
      const publisher = await connect(a, 'loss-pub');
      await publisher.publish('keep/r', 'retained before', 1, true);
      const stream = new Stream(publisher, 'loss/x');
      await stream.publish(30);
      // Everything so far has reached node B (delivered, or queued for the offline session).
      await kept.waitForCount('loss/x', 30);
      await until(() => (b.server.broker.sessions.get('loss-away')?.queuedCount ?? 0) >= 30, 10_000, () => 'the offline queue on node B');

      stream.start();
      await redis.kill9();
      await redis.restart();
      const reasons = new Set<string>();
      const watch = setInterval(() => a.server.broker.readiness.reasons.forEach((r) => reasons.add(r)), 5);
      const restartedAt = stream.acknowledged.length;
      try {
        await until(() => stream.acknowledged.length >= restartedAt + 30 && a.server.broker.readiness.ready && b.server.broker.readiness.ready,
          20_000, () => `30 acknowledgements after the restart (A: ${a.server.broker.readiness.reasons.join(',')}, B: ${b.server.broker.readiness.reasons.join(',')})`);
      } finally {
        clearInterval(watch);
        await stream.stop();
      }

      await assertNoneLost(stream, kept, 'loss/x', 'the connected subscriber');
      // The offline session's queue was in Redis and in B's memory; it resumes on A, from Redis.
      const back = await connect(a, 'loss-away', false);
      assert.equal(back.connack.sessionPresent, true);
      await assertNoneLost(stream, back, 'loss/x', 'the offline session');
      // Refused, with a reason, and unready while the nodes wrote their state back.
      assert.ok(stream.refused > 0, 'no publish was refused');
      assert.match(stream.refusal, /cluster/);
      assert.ok(reasons.has('redis-rebuilding'), `readiness reasons seen: ${[...reasons].join(',')}`);
      assert.equal((await ready(a)).status, 200);
      const raw = new Redis(redis.url);
      try {
        assert.equal(await raw.hexists('midge:store:retained', 'keep/r'), 1);
      } finally {
        raw.disconnect();
      }
    });

    it('disconnects the sessions of a node cut off until the others had rebuilt the state: they start again', async () => {
      await redis?.remove();
      await Promise.all(nodes.splice(0).map((n) => n.server.close()));
      redis = await startRedis({ appendonly: false });
      proxy = await startTcpProxy(redis.port);
      const [a, b] = [await startNode(redis.url, 'late-a'), await startNode(`redis://127.0.0.1:${proxy.port}`, 'late-b')];
      nodes.push(a, b);
      const stale = await connect(b, 'late-sub', false);
      await stale.subscribe([{ topicFilter: 'late/#', qos: 1 }]);
      await awaitRoute(a.port, stale, 'late/probe');

      proxy.cut();
      await until(() => !b.server.broker.readiness.ready, 10_000, () => 'node B to notice it is cut off');
      await redis.kill9();
      await until(() => !a.server.broker.readiness.ready, 10_000, () => 'node A to notice');
      await redis.restart();
      // Node A rebuilds alone; ready means its settling window is over.
      await until(() => a.server.broker.readiness.ready, 20_000, () => `node A to rebuild (${a.server.broker.readiness.reasons.join(',')})`);
      proxy.restore();

      await stale.waitClosed(15_000);
      assert.equal(stale.disconnectPacket?.reasonCode, ReasonCode.UnspecifiedError);
      assert.match(stale.disconnectPacket?.properties?.reasonString ?? '', /lost its state/);
      await until(() => b.server.broker.readiness.ready, 15_000, () => `node B to join again (${b.server.broker.readiness.reasons.join(',')})`);
      const again = await connect(b, 'late-sub', false);
      assert.equal(again.connack.sessionPresent, false);
      await again.subscribe([{ topicFilter: 'late/#', qos: 1 }]);
      await awaitRoute(a.port, again, 'late/probe-again');
    });

    it('loses no acknowledged message when a node\'s inbox loses its consumer group: nothing is added to it until the group is back', async () => {
      await redis?.remove();
      await Promise.all(nodes.splice(0).map((n) => n.server.close()));
      redis = await startRedis({ appendonly: false });
      const [a, b] = [await startNode(redis.url, 'group-a'), await startNode(redis.url, 'group-b')];
      nodes.push(a, b);
      const kept = await connect(b, 'group-sub', false);
      await kept.subscribe([{ topicFilter: 'group/#', qos: 1 }]);
      await awaitRoute(a.port, kept, 'group/probe');
      const stream = new Stream(await connect(a, 'group-pub'), 'group/x');
      await stream.publish(10);

      stream.start();
      const raw = new Redis(redis.url);
      try {
        const inbox = `midge:cluster:inbox:${b.cluster.incarnation}`;
        await raw.xgroup('DESTROY', inbox, 'g');
        // Node B's heartbeat creates the group again, from the first entry still in the stream.
        const groups = async () => (await raw.xinfo('GROUPS', inbox) as unknown[]).length;
        const deadline = Date.now() + 10_000;
        while ((await groups()) === 0) {
          assert.ok(Date.now() < deadline, 'the consumer group was not created again');
          await new Promise((r) => setTimeout(r, 20));
        }
        const recreated = stream.acknowledged.length;
        await until(() => stream.acknowledged.length >= recreated + 20, 10_000, () => '20 acknowledgements after the group is back');
      } finally {
        raw.disconnect();
        await stream.stop();
      }
      await assertNoneLost(stream, kept, 'group/x', 'the subscriber');
    });
  });
});
