/**
 * Two in-process nodes on a Sentinel-managed Redis (a primary, a replica, three
 * sentinels; `redis+sentinel://` and `cluster_wait_replicas 1`), a QoS 1 stream
 * from node A to subscribers on node B. The replica's link is cut (what Redis
 * takes meanwhile is on the primary alone: without `cluster_wait_replicas` this
 * test loses the messages acknowledged then), the primary is killed with
 * SIGKILL, the sentinels promote the replica, the nodes follow it; the old
 * primary comes back as the new one's replica. No message acknowledged to the
 * publisher is lost: not for the connected subscriber, not for an offline
 * session whose queue lives in Redis (it resumes on the other node). Then a
 * `midge broker` process joins through the same `redis+sentinel://` URL with
 * `--cluster-wait-replicas 1`, and mosquitto_pub's QoS 1 messages on one node
 * reach mosquitto_sub on it.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { requireBinary } from '../helpers/external.js';
import { CLI, spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
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
    let spawned: SpawnedMidge | undefined;
    after(async () => {
      await Promise.all(clients.map((c) => c.destroy()));
      await spawned?.stop();
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

    it('carries mosquitto_pub\'s QoS 1 messages to mosquitto_sub through a midge process started with redis+sentinel:// and --cluster-wait-replicas 1', async (t) => {
      for (const binary of [CLI, PUB, SUB, STDBUF]) if (!requireBinary(t, binary)) return;
      assert.ok(group && nodes[0], 'the failover test set up the group and node A');
      spawned = await spawnMidge({ args: ['--cluster', group.url, '--cluster-node-id', 'cli', '--cluster-wait-replicas', '1'] });
      const sub = spawn(STDBUF, ['-oL', SUB, '-h', '127.0.0.1', '-p', String(spawned.port), '-V', 'mqttv311', '-q', '1', '-t', 'cli/#', '-v', '-W', '30', '-c', '-i', 'cli-sub'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      sub.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      const lines = (topic: string) => out.split('\n').filter((l) => l.startsWith(`${topic} `)).map((l) => l.slice(topic.length + 1));
      const pub = (topic: string, message: string, qos: string, port = nodes[0]!.port) => run(PUB, ['-h', '127.0.0.1', '-p', String(port), '-q', qos, '-t', topic, '-m', message], { timeout: 10_000 });
      try {
        // The subscription reaches node A a Redis round trip after its SUBACK: probe until it routes.
        await waitFor(async () => {
          await pub('cli/probe', 'probe', '0');
          return lines('cli/probe').length > 0;
        }, 15_000, 'a route from node A to mosquitto_sub on the midge process');
        const sent = ['one', 'two', 'three'];
        // mosquitto_pub exits 0 once its PUBACK came, which waited for a replica.
        for (const m of sent) await pub('cli/x', m, '1');
        await waitFor(async () => lines('cli/x').length >= sent.length, 10_000, 'the three messages');
        assert.deepEqual(lines('cli/x'), sent);
        // The process waits for a replica too: with the only one stopped, its PUBACK never comes
        // (MQTT 3.1.1 cannot refuse a PUBLISH: the connection is closed instead).
        assert.equal(await group.primaryPort(), group.replica.port);
        group.primary.pause();
        try {
          await assert.rejects(pub('cli/x', 'not on a replica', '1', spawned.port));
        } finally {
          group.primary.resume();
        }
      } finally {
        sub.kill();
      }
    });
  });
});

const run = promisify(execFile);
const PUB = '/usr/bin/mosquitto_pub';
const SUB = '/usr/bin/mosquitto_sub';
/** Line-buffers mosquitto_sub's output, so the test sees each message as it arrives. */
const STDBUF = '/usr/bin/stdbuf';

/** Polls an asynchronous condition every 200 ms until it holds, or fails after `timeoutMs`. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
