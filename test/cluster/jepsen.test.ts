/**
 * The Jepsen-style queue check (see checker.ts) on three `midge broker --cluster`
 * processes: a short run here; `CLUSTER_CHECK=long` runs the longer one
 * whose figures docs/cluster.md reports (and prints them).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SpawnedMidge } from '../helpers/midge.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import { StreamClient, until } from '../durability/stream-client.js';
import { PacketType } from '../../src/protocol/index.js';
import { CheckedPublisher, CheckedSubscriber, PROBE, tally, type Cluster } from './checker.js';
import { spawnNode, stopAll } from './nodes.js';

const long = process.env.CLUSTER_CHECK === 'long';
/** Seconds of publishing, kill/restart cycles (each kills the next node), messages per second per publisher. */
const plan = long ? { seconds: 90, cycles: 3, rate: 200, subscribersPerNode: 3 } : { seconds: 8, cycles: 1, rate: 80, subscribersPerNode: 2 };
const NAMES = ['a', 'b', 'c'];
/** The broker's default: a killed node is declared dead after 3 s of silence. */
const DEAD_AFTER_MS = 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

withRedis(() => {
  describe('the cluster under node failure, Jepsen style', () => {
    let redis: RedisServer | undefined;
    const nodes: Array<SpawnedMidge | undefined> = [];
    after(async () => {
      await stopAll(nodes);
      await redis?.remove();
    });

    it('loses no acknowledged QoS 1 message while a node is killed with SIGKILL and restarted', { timeout: long ? 600_000 : 120_000 }, async () => {
      redis = await startRedis();
      nodes.push(...await Promise.all(NAMES.map((name) => spawnNode(redis!.url, name))));
      const ports = nodes.map((n) => n!.port);
      const cluster: Cluster = { ports: () => ports };
      const subscribers = Array.from({ length: NAMES.length * plan.subscribersPerNode }, (_, i) => new CheckedSubscriber(cluster, `check-sub-${i}`, i % NAMES.length, 'check/#'));
      for (const s of subscribers) await s.start();
      await probeEveryRoute(ports, subscribers);
      const publishers = NAMES.map((_, i) => new CheckedPublisher(cluster, `check-pub-${i}`, i, `check/p${i}`));

      const started = Date.now();
      const done = () => Date.now() - started >= plan.seconds * 1000;
      const chaos = (async () => {
        for (let k = 0; k < plan.cycles; k++) {
          const victim = k % NAMES.length;
          await sleep(started + ((k + 0.2) * plan.seconds * 1000) / plan.cycles - Date.now());
          await nodes[victim]!.kill9();
          await nodes[victim]!.stop();
          // Back after it was declared dead, or (every other kill) before: a new incarnation
          // joins while the old one still waits to be reaped.
          await sleep(k % 2 === 0 ? DEAD_AFTER_MS + 1000 : 1000);
          nodes[victim] = await spawnNode(redis!.url, NAMES[victim]!, ports[victim]);
        }
      })();
      await Promise.all([...publishers.map((p) => p.run(done, plan.rate, 20)), chaos]);

      // Every acknowledged message should arrive; wait (bounded) until it has, or nothing more comes.
      const expected = tally(publishers, subscribers).expected;
      await until(() => {
        const r = tally(publishers, subscribers);
        return r.delivered + r.duplicated >= expected || subscribers.every((s) => Date.now() - s.lastActivity > 8000);
      }, 90_000, () => 'deliveries kept coming').catch(() => {});
      for (const s of subscribers) await s.stop();
      const result = tally(publishers, subscribers);
      const report = { run: long ? 'long' : 'short', seconds: plan.seconds, nodeKills: plan.cycles, ...result };
      if (long || process.env.CLUSTER_CHECK_REPORT) console.log(JSON.stringify(report, null, 2));
      assert.ok(result.acknowledged > 0, 'nothing was acknowledged');
      if (result.lost > 0) for (const n of nodes) console.log(n?.output());
      assert.equal(result.lost, 0, `lost: ${result.lostSamples.join(', ')}`);
      assert.equal(result.repeatsWithoutDup, 0);
      assert.ok(result.reconnects > 0, 'the killed node had clients that moved');
    });
  });
});

/** Publishes QoS 0 probes from every node until every subscriber got one from each (subscriptions propagated). */
async function probeEveryRoute(ports: number[], subscribers: CheckedSubscriber[]): Promise<void> {
  for (const port of ports) {
    const { client } = await StreamClient.connect(port, { clientId: `check-probe-${port}` });
    for (const s of subscribers) s.probed = false;
    const deadline = Date.now() + 10_000;
    while (!subscribers.every((s) => s.probed)) {
      assert.ok(Date.now() < deadline, 'subscriptions did not reach every node');
      client.send({ type: PacketType.PUBLISH, topic: 'check/probe', payload: Buffer.from(PROBE), qos: 0, retain: false, dup: false });
      await sleep(50);
    }
    await client.destroy();
  }
}
