/**
 * Bridges in a cluster: each bridge runs on exactly one node (the holder of its lease in
 * Redis), messages published on any node reach the remote through it, and when the
 * holder is killed another node takes the bridge over with its queue.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { persistentSubscriber, Receiver } from '../durability/crash-scenario.js';
import { StreamClient, until } from '../durability/stream-client.js';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { freePort } from '../helpers/ports.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import { PacketType } from '../../src/protocol/index.js';
import { collector, startConfigured, type ConfiguredMidge } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

function spawnClusterNode(redis: RedisServer, name: string, cloudPort: number): Promise<SpawnedMidge> {
  return spawnMidge({
    args: ['--log-level', 'info'],
    config: [
      'listener {port} 127.0.0.1', 'allow_anonymous true', 'sys_interval 0', `cluster_redis_url ${redis.url}`, `cluster_node_id ${name}`,
      'max_queued_messages 100000', 'connection cloud', `address 127.0.0.1:${cloudPort}`, 'restart_timeout 1', 'topic up/# out 1', '',
    ].join('\n'),
  });
}

async function startCloud(port: number): Promise<ConfiguredMidge> {
  return startConfigured(`listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nsys_interval 0\n`);
}

/** Publishes QoS 1 messages `from`..`to` (payload: the number) and waits for each PUBACK. */
async function publishNumbers(port: number, from: number, to: number): Promise<void> {
  const { client } = await StreamClient.connect(port, { clientId: `pub-${from}`, clean: true });
  for (let n = from; n <= to; n++) {
    await client.waitFor((p): p is { type: 4; packetId: number } => p.type === PacketType.PUBACK && p.packetId === n, 5000, `PUBACK ${n}`, () => {
      client.send({ type: PacketType.PUBLISH, topic: `up/${n}`, payload: Buffer.from(String(n)), qos: 1, retain: false, dup: false, packetId: n });
    });
  }
  await client.disconnect();
}

const holds = (node: SpawnedMidge) => node.output().includes('bridge lease taken');

withRedis(() => {
  describe('bridges in a cluster', () => {
    it('runs a bridge on one node only, and moves it with its queue when that node is killed', async () => {
      const redis = await startRedis();
      cleanups.push(() => redis.remove());
      const cloudPort = await freePort();
      let cloud = await startCloud(cloudPort);
      cleanups.push(() => cloud.stop());
      const a = await spawnClusterNode(redis, 'node-a', cloudPort);
      cleanups.push(() => a.stop());
      const b = await spawnClusterNode(redis, 'node-b', cloudPort);
      cleanups.push(() => b.stop());
      await until(() => holds(a) || holds(b), 15_000, () => 'no node took the bridge');
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(holds(a) !== holds(b), 'exactly one node runs the bridge');
      const [holder, other] = holds(a) ? [a, b] : [b, a];

      // A message published on either node goes out once, through the holder.
      const reader = await collector(cloudPort, 'up/#', { qos: 1 });
      await publishNumbers(other.port, 1, 5);
      await publishNumbers(holder.port, 6, 10);
      await reader.waitFor(10);
      assert.deepEqual(reader.payloads().map(Number).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      await reader.client.end();

      // The remote goes away; messages queue in the bridge's session; the holder is killed.
      const durable = new Receiver();
      await (await persistentSubscriber(cloudPort, 'cloud-reader', 'up/#', 1)).disconnect();
      await cloud.stop();
      await publishNumbers(holder.port, 11, 40);
      await holder.kill9();
      cloud = await startCloud(cloudPort);
      durable.attach(await persistentSubscriber(cloudPort, 'cloud-reader', 'up/#', 1));
      await until(() => holds(other), 30_000, () => 'the other node did not take the bridge over');
      await until(() => Array.from({ length: 30 }, (_, i) => i + 11).every((n) => durable.seen.has(n)), 30_000,
        () => `${30 - [...durable.seen].filter((n) => n >= 11).length} of the 30 queued messages missing at the remote`);
    });
  });
});
