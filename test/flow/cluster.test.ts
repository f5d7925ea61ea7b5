import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { connect, disconnect, subscribe, uniq } from '../helpers/flows.js';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import { ClusterClient, awaitRoute } from '../cluster/cluster-client.js';
import { burst, pahoSubscriber, PYTHON } from './helpers.js';

/** A cluster node with small bounds and a short slow-consumer timeout, so that they bite quickly. */
function node(redisUrl: string, name: string): Promise<SpawnedMidge> {
  return spawnMidge({
    config: ['listener {port} 127.0.0.1', 'allow_anonymous true', 'max_queued_bytes 2097152', 'slow_consumer_timeout 1'].join('\n'),
    args: ['--cluster', redisUrl, '--cluster-node-id', name],
  });
}

/**
 * Issue 14 across two nodes: a subscriber on node B that keeps up gets every message
 * of a burst published on node A, beside a frozen subscriber on node B: the frozen one
 * holds the inbox of B only until it is declared slow.
 */
withRedis(() => {
  describe('flow control across two cluster nodes', () => {
    let redis: RedisServer;
    let a: SpawnedMidge;
    let b: SpawnedMidge;
    before(async () => {
      redis = await startRedis();
      [a, b] = await Promise.all([node(redis.url, 'flow-a'), node(redis.url, 'flow-b')]);
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await redis?.remove();
    });

    it('delivers all of a 10 MB QoS 0 burst published on one node to a steady paho subscriber on the other, beside a frozen one', async (t) => {
      if (!requireBinary(t, PYTHON)) return;
      const topic = uniq('xburst');
      const count = 10_000;
      const frozen = await connect(b.port);
      await subscribe(frozen, [[topic, 0]]);
      frozen.socket.pause();
      const steady = await pahoSubscriber(b.port, topic, 0, count, 60);
      t.after(() => steady.kill());
      // Subscriptions reach node A in order: once a later one is routed, the earlier are too.
      const probe = await ClusterClient.connect(b.port, { clientId: uniq('probe') });
      t.after(() => probe.destroy());
      await probe.subscribe([{ topicFilter: `${topic}/probe`, qos: 0 }]);
      await awaitRoute(a.port, probe, `${topic}/probe`);
      const pub = await connect(a.port);
      pub.socket.write(burst(topic, count, 1024, 0));
      const got = await steady.result;
      assert.deepEqual(got, { received: count, inOrder: true }, 'the steady subscriber on the other node got every message, in order');
      await disconnect(pub);
      await frozen.close();
    });
  });
});
