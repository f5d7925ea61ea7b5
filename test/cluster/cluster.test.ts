/**
 * Three `midge broker --cluster` processes on one redis-server: routing, takeover,
 * sessions, retained messages and shared subscriptions across nodes, and the will
 * of a node killed with SIGKILL. Tests run in order on the same three nodes; the
 * last one kills node A.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import type { SpawnedMidge } from '../helpers/midge.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import { until } from '../durability/stream-client.js';
import { ClusterClient, awaitRoute } from './cluster-client.js';
import { spawnNode, stopAll } from './nodes.js';

withRedis(() => {
  describe('a cluster of three nodes', () => {
    let redis: RedisServer;
    let a: SpawnedMidge;
    let b: SpawnedMidge;
    let c: SpawnedMidge;
    const clients: ClusterClient[] = [];
    const connect = async (node: SpawnedMidge, options: Parameters<typeof ClusterClient.connect>[1]) => {
      const client = await ClusterClient.connect(node.port, options);
      clients.push(client);
      return client;
    };

    before(async () => {
      redis = await startRedis();
      [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => spawnNode(redis.url, name)));
    });
    after(async () => {
      await Promise.all(clients.map((cl) => cl.destroy()));
      await stopAll([a, b, c]);
      await redis.remove();
    });

    it('delivers a message published on one node exactly once to every subscriber on every node', async () => {
      const onA = await connect(a, { clientId: 'route-a' });
      const onB = await connect(b, { clientId: 'route-b', version: 5 });
      const onC = await connect(c, { clientId: 'route-c' });
      await onA.subscribe([{ topicFilter: 'route/#', qos: 1 }]);
      // Overlapping subscriptions of one client still get one copy [MQTT-3.3.4-2].
      await onB.subscribe([{ topicFilter: 'route/#', qos: 1 }, { topicFilter: 'route/+/x', qos: 0 }]);
      await onC.subscribe([{ topicFilter: 'route/+/x', qos: 1 }, { topicFilter: 'route/probe', qos: 0 }]);
      await onB.subscribe([{ topicFilter: 'route/probe', qos: 0 }]);
      await awaitRoute(a.port, onB, 'route/probe');
      await awaitRoute(a.port, onC, 'route/probe');
      const publisher = await connect(a, { clientId: 'route-pub' });
      const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
      for (const m of sent) {
        const puback = await publisher.publish('route/n/x', m, 1);
        assert.equal(puback?.type, PacketType.PUBACK);
      }
      for (const sub of [onA, onB, onC]) await sub.waitForCount('route/n/', sent.length);
      // Nothing more arrives: no copy through the cluster of what was delivered locally, no duplicates.
      await new Promise((r) => setTimeout(r, 300));
      for (const sub of [onA, onB, onC]) assert.deepEqual(sub.payloads('route/n/'), sent);
      assert.equal(onB.messages.find((m) => m.topic === 'route/n/x')?.qos, 1);
    });

    it('takes a client over from one node to another: the old connection gets DISCONNECT 0x8E and its in-flight messages move', async () => {
      const props = { sessionExpiryInterval: 300 };
      const first = await connect(a, { clientId: 'mover', version: 5, clean: true, properties: props });
      first.autoAck = false;
      await first.subscribe([{ topicFilter: 'moved/#', qos: 1 }]);
      await awaitRoute(c.port, first, 'moved/probe');
      const publisher = await connect(c, { clientId: 'moved-pub' });
      for (const m of ['in flight 1', 'in flight 2']) await publisher.publish('moved/1', m, 1);
      await first.waitForCount('moved/1', 2);
      const second = await connect(b, { clientId: 'mover', version: 5, clean: false, properties: props });
      assert.equal(second.connack.reasonCode, 0);
      assert.equal(second.connack.sessionPresent, true);
      await first.waitClosed();
      assert.equal(first.disconnectPacket?.reasonCode, 0x8e);
      // Never acknowledged on node A: sent again on node B, with DUP [MQTT-4.4.0-1].
      await second.waitForCount('moved/1', 2);
      assert.deepEqual(second.messages.filter((m) => m.topic === 'moved/1').map((m) => [m.payload, m.dup]), [['in flight 1', true], ['in flight 2', true]]);
      await awaitRoute(c.port, second, 'moved/probe2');
      await publisher.publish('moved/1', 'after the move', 1);
      await second.waitForCount('moved/1', 3);
      assert.deepEqual(second.payloads('moved/1'), ['in flight 1', 'in flight 2', 'after the move']);
      assert.deepEqual(first.payloads('moved/1'), ['in flight 1', 'in flight 2']);
    });

    it('resumes on another node a persistent session created on one, with its queued QoS 1 messages', async () => {
      const sub = await connect(a, { clientId: 'resumer', clean: false });
      await sub.subscribe([{ topicFilter: 'queued/#', qos: 1 }]);
      await awaitRoute(b.port, sub, 'queued/probe');
      await sub.disconnect();
      const publisher = await connect(b, { clientId: 'queued-pub' });
      const sent = ['q1', 'q2', 'q3', 'q4', 'q5'];
      for (const m of sent) await publisher.publish('queued/x', m, 1);
      const resumed = await connect(c, { clientId: 'resumer', clean: false });
      assert.equal(resumed.connack.sessionPresent, true);
      await resumed.waitForCount('queued/x', sent.length);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(resumed.payloads('queued/x'), sent);
      assert.ok(resumed.messages.filter((m) => m.topic === 'queued/x').every((m) => m.qos === 1));
    });

    it('shows a retained message set on one node to a subscriber on another', async () => {
      const publisher = await connect(b, { clientId: 'retain-pub' });
      await publisher.publish('retained/state', 'kept', 1, true);
      // Node C's copy of the retained messages follows within milliseconds: a new subscriber sees it.
      const deadline = Date.now() + 10_000;
      let seen: ClusterClient | undefined;
      while (!seen) {
        assert.ok(Date.now() < deadline, 'the retained message never reached node C');
        const sub = await connect(c, { clientId: `retain-sub-${clients.length}` });
        await sub.subscribe([{ topicFilter: 'retained/#', qos: 1 }]);
        // Sent right after the SUBACK when node C has it; a busy machine gets a second to deliver it.
        await until(() => sub.payloads('retained/state').length > 0, 1000, () => '').catch(() => {});
        if (sub.payloads('retained/state').length > 0) seen = sub;
        await sub.destroy();
      }
      const got = seen.messages.find((m) => m.topic === 'retained/state')!;
      assert.equal(got.payload, 'kept');
      assert.equal(got.retain, true);
    });

    it('gives each message of a shared subscription to one member, members on every node', async () => {
      const members = await Promise.all([a, b, c].map((node, i) => connect(node, { clientId: `member-${i}` })));
      for (const [i, m] of members.entries()) {
        await m.subscribe([{ topicFilter: '$share/workers/jobs/#', qos: 1 }]);
        // The probe subscription is written after the shared one, in the same record: once it routes, both do.
        await m.subscribe([{ topicFilter: `jobs-probe/${i}`, qos: 0 }]);
        await awaitRoute(a.port, m, `jobs-probe/${i}`);
      }
      const publisher = await connect(a, { clientId: 'jobs-pub' });
      const sent = Array.from({ length: 30 }, (_, i) => `job${i}`);
      for (const job of sent) await publisher.publish('jobs/run', job, 1);
      await until(() => members.reduce((n, m) => n + m.payloads('jobs/run').length, 0) >= sent.length, 10_000, () => 'every job delivered');
      await new Promise((r) => setTimeout(r, 300));
      const got = members.flatMap((m) => m.payloads('jobs/run'));
      assert.deepEqual([...got].sort(), [...sent].sort());
      for (const [i, m] of members.entries()) assert.ok(m.payloads('jobs/run').length > 0, `member ${i} got no job: the group is not spread over the nodes`);
    });

    it('publishes exactly once the will of a client whose node is killed, and its persistent session resumes elsewhere', async () => {
      const watchers = await Promise.all([b, c].map((node, i) => connect(node, { clientId: `watcher-${i}` })));
      for (const w of watchers) await w.subscribe([{ topicFilter: 'wills/#', qos: 1 }]);
      // Both survivors route to both watchers, whichever of them publishes the will.
      await awaitRoute(b.port, watchers[1]!, 'wills/probe');
      await awaitRoute(c.port, watchers[0]!, 'wills/probe');
      await connect(a, { clientId: 'doomed', will: { topic: 'wills/doomed', payload: Buffer.from('gone'), qos: 1, retain: false } });
      const orphan = await connect(a, { clientId: 'orphan', clean: false });
      await orphan.subscribe([{ topicFilter: 'orphaned/#', qos: 1 }]);
      await awaitRoute(b.port, orphan, 'orphaned/probe');
      await orphan.disconnect();
      await (await connect(b, { clientId: 'orphan-pub' })).publish('orphaned/x', 'waiting', 1);
      await a.kill9();
      for (const w of watchers) await w.waitForCount('wills/doomed', 1, 15_000);
      await new Promise((r) => setTimeout(r, 1500));
      for (const w of watchers) assert.deepEqual(w.payloads('wills/doomed'), ['gone']);
      const resumed = await connect(c, { clientId: 'orphan', clean: false });
      assert.equal(resumed.connack.sessionPresent, true);
      await resumed.waitForCount('orphaned/x', 1);
      assert.deepEqual(resumed.payloads('orphaned/x'), ['waiting']);
    });
  });
});
