/**
 * Two in-process nodes on a Sentinel-managed Redis (a primary, a replica, three
 * sentinels; `redis+sentinel://` and `cluster_wait_replicas 1`), a QoS 1 stream
 * from node A to subscribers on node B. The replica's link is cut (what Redis
 * takes meanwhile is on the primary alone: without `cluster_wait_replicas` this
 * test loses the messages acknowledged then), the primary is killed with
 * SIGKILL, the sentinels promote the replica, the nodes follow it; the old
 * primary comes back as the new one's replica. No message acknowledged to the
 * publisher is lost: not for the connected subscriber, not for an offline
 * session whose queue lives in Redis (it resumes on the other node).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { until } from '../durability/stream-client.js';
import { withRedis } from '../helpers/redis.js';
import { startSentinelGroup, type SentinelGroup } from '../helpers/redis-sentinel.js';
import type { ClusterClient} from './cluster-client.js';
import { awaitRoute } from './cluster-client.js';
import { connectTo, startNode, type Node } from './in-process.js';
import { Stream, assertNoneLost } from './stream.js';

withRedis(() => {
  describe('a Sentinel failover', () => {
    let group: SentinelGroup | undefined;
    const nodes: Node[] = [];
    const clients: ClusterClient[] = [];
    after(async () => {
      await Promise.all(clients.map((c) => c.destroy()));
      await Promise.all(nodes.map((n) => n.server.close()));
      await group?.remove();
    });
    const connect = (node: Node, clientId: string, clean = true) => connectTo(clients, node, clientId, clean);

    it('loses no acknowledged QoS 1 message when the primary is killed mid-stream (cluster_wait_replicas 1)', async () => {
      group = await startSentinelGroup();
      await group.settled();
      const [a, b] = [await startNode(group.url, 'a', { waitReplicas: 1 }), await startNode(group.url, 'b', { waitReplicas: 1 })];
      nodes.push(a, b);
      const kept = await connect(b, 'fo-kept', false);
      const away = await connect(b, 'fo-away', false);
      await kept.subscribe([{ topicFilter: 'fo/#', qos: 1 }]);
      await away.subscribe([{ topicFilter: 'fo/#', qos: 1 }]);
      await awaitRoute(a.port, kept, 'fo/probe');
      await away.disconnect();
      const stream = new Stream(await connect(a, 'fo-pub'), 'fo/x');
      await stream.publish(20);

      stream.start();
      await until(() => stream.acknowledged.length >= 40, 10_000, () => 'the stream to flow');
      // The replica stops receiving the primary's writes (stopped, so that it cannot connect
      // again): from here a write acknowledged without a replica's is lost with the primary.
      group.replica.pause();
      const primary = new Redis(group.primary.port, '127.0.0.1');
      await primary.client('KILL', 'TYPE', 'replica');
      primary.disconnect();
      await new Promise((r) => setTimeout(r, 300));
      await group.primary.kill9();
      group.replica.resume();
      await until(() => !a.server.broker.readiness.ready, 10_000, () => 'node A to notice');
      const failedOver = group;
      await waitFor(() => failedOver.primaryPort().then((port) => port === failedOver.replica.port, () => false), 20_000, 'the sentinels to promote the replica');
      // The old primary returns, empty, as the new primary's replica (the sentinels would
      // make it one too, after some seconds): acknowledging resumes once it is in sync.
      await group.primary.restart();
      const old = new Redis(group.primary.port, '127.0.0.1');
      await old.replicaof('127.0.0.1', group.replica.port);
      old.disconnect();
      const failoverDone = stream.acknowledged.length;
      await until(() => stream.acknowledged.length >= failoverDone + 30 && a.server.broker.readiness.ready && b.server.broker.readiness.ready,
        30_000, () => `30 acknowledgements after the failover (A: ${a.server.broker.readiness.reasons.join(',')}, B: ${b.server.broker.readiness.reasons.join(',')})`);
      await stream.stop();

      await assertNoneLost(stream, kept, 'fo/x', 'the connected subscriber');
      const back = await connect(a, 'fo-away', false);
      assert.equal(back.connack.sessionPresent, true);
      await assertNoneLost(stream, back, 'fo/x', 'the offline session');
      assert.ok(stream.refused > 0, 'nothing was refused while there was no primary');
    });
  });
});

/** Polls an asynchronous condition every 200 ms until it holds, or fails after `timeoutMs`. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
