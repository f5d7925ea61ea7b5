/**
 * Store and forward: the remote broker restarted mid-stream, and the local midge killed
 * with SIGKILL mid-stream and started again on its data directory. Every message the
 * local broker acknowledged reaches the remote, and every message the remote accepted for
 * the bridge reaches the local subscriber (QoS 1 at least once, QoS 2 exactly once).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dataDir, killHard, persistentSubscriber, publishStream, Receiver } from '../durability/crash-scenario.js';
import { until } from '../durability/stream-client.js';
import { restartableMosquitto } from '../client/restartable-mosquitto.js';
import { requireBinary } from '../helpers/external.js';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { MOSQUITTO, startMosquitto } from '../helpers/mosquitto.js';
import { collector } from './helpers.js';

const TOPIC = 'durable/stream';

/** A spawned midge on `data` bridging `durable/#` to the remote (`out`) or from it (`in`) at `qos`. */
function spawnEdge(data: string, remotePort: number, qos: 1 | 2, direction: 'out' | 'in' = 'out'): Promise<SpawnedMidge> {
  return spawnMidge({
    args: ['--log-level', 'info'],
    config: [
      'listener {port} 127.0.0.1', 'allow_anonymous true', `persistence_location ${data}`, 'max_queued_messages 100000', 'sys_interval 0',
      'connection cloud', `address 127.0.0.1:${remotePort}`, 'remote_clientid edge-1', 'restart_timeout 1', `topic durable/# ${direction} ${qos}`, '',
    ].join('\n'),
  });
}

/** Resolves once the spawned edge's bridge is connected (its log says so). */
function connected(edge: SpawnedMidge): Promise<void> {
  return until(() => edge.output().includes('bridge connected'), 30_000, () => 'the bridge did not connect');
}

function assertAllDelivered(acked: Set<number>, receiver: Receiver, qos: 1 | 2): void {
  assert.ok(acked.size > 0, 'some messages were acknowledged before the interruption');
  assert.deepEqual([...acked].filter((n) => !receiver.seen.has(n)), [], 'every message the local broker acknowledged reached the remote');
  if (qos === 2) assert.deepEqual(receiver.duplicates, [], 'a QoS 2 message crossed the bridge exactly once');
}

describe('store and forward across a bridge to mosquitto', () => {
  for (const qos of [1, 2] as const) {
    it(`delivers every acknowledged QoS ${qos} message after the local broker is killed with SIGKILL mid-stream and started again`, async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      // mosquitto drops beyond 1000 queued messages per client by default: room for the whole stream.
      const cloud = await startMosquitto('max_queued_messages 100000');
      const data = dataDir();
      const receiver = new Receiver();
      let first: SpawnedMidge | undefined;
      let second: SpawnedMidge | undefined;
      try {
        receiver.attach(await persistentSubscriber(cloud.port, 'cloud-reader', 'durable/#', qos));
        first = await spawnEdge(data.path, cloud.port, qos);
        let killing = false;
        const acked = await publishStream(first.port, {
          topic: TOPIC, qos, total: 3000, window: 200,
          onAck: (n) => {
            if (!killing && n >= 1500) {
              killing = true;
              void first!.kill9();
            }
          },
        });
        await killHard(first);
        second = await spawnEdge(data.path, cloud.port, qos);
        await until(() => [...acked].every((n) => receiver.seen.has(n)), 30_000,
          () => `${[...acked].filter((n) => !receiver.seen.has(n)).length} of ${acked.size} acknowledged messages missing at the remote`);
        await receiver.settle(300);
        assertAllDelivered(acked, receiver, qos);
      } finally {
        if (first) await killHard(first);
        await second?.stop();
        data.remove();
        await cloud.stop();
      }
    });
  }

  it('brings in every message the remote accepted, QoS 2 exactly once, when the local broker is killed with SIGKILL mid-stream and started again', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    // The remote keeps what it could not hand over to the bridge yet: room for the whole stream.
    // No inflight window at the remote: mosquitto 2.0.11 leaves messages queued beyond its
    // window unsent once the window frees, until new traffic comes (seen with a burst).
    const cloud = await startMosquitto('max_queued_messages 100000\nmax_inflight_messages 0');
    const data = dataDir();
    const receiver = new Receiver();
    let first: SpawnedMidge | undefined;
    let second: SpawnedMidge | undefined;
    try {
      first = await spawnEdge(data.path, cloud.port, 2, 'in');
      await connected(first);
      receiver.attach(await persistentSubscriber(first.port, 'edge-reader', 'durable/#', 2));
      let killing: Promise<void> | undefined;
      const edge = first;
      const watcher = setInterval(() => {
        if (!killing && receiver.seen.size >= 300) killing = edge.kill9();
      }, 5);
      t.after(() => clearInterval(watcher));
      // Each publish completes with PUBCOMP (mosquitto routes a QoS 2 message on PUBREL, not
      // before), in batches, so that the stream is still coming when the local broker is killed.
      const publisher = await collector(cloud.port, []);
      for (let from = 1; from <= 2000; from += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => publisher.client.publish(TOPIC, String(from + i), { qos: 2 })));
      }
      await publisher.client.end();
      await until(() => killing !== undefined, 30_000, () => `${receiver.seen.size} messages came in before the kill`);
      clearInterval(watcher);
      await killHard(first);
      second = await spawnEdge(data.path, cloud.port, 2, 'in');
      receiver.attach(await persistentSubscriber(second.port, 'edge-reader', 'durable/#', 2));
      await until(() => receiver.seen.size === 2000, 30_000, () => `${2000 - receiver.seen.size} of 2000 messages missing at the local reader`);
      await receiver.settle(300);
      assert.deepEqual(receiver.duplicates, [], 'a QoS 2 message crossed the bridge and the local broker exactly once');
    } finally {
      if (first) await killHard(first);
      await second?.stop();
      data.remove();
      await cloud.stop();
    }
  });

  it('delivers every acknowledged message when the remote broker restarts mid-stream, the messages waiting in the local queue meanwhile', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    // mosquitto keeps 1000 messages for an offline client by default: room for the whole stream.
    const cloud = await restartableMosquitto(true, 'max_queued_messages 100000');
    const data = dataDir();
    const receiver = new Receiver();
    let edge: SpawnedMidge | undefined;
    try {
      await cloud.start();
      const reader = await persistentSubscriber(cloud.port, 'cloud-reader', 'durable/#', 1);
      await reader.disconnect();
      edge = await spawnEdge(data.path, cloud.port, 1);
      let restarting: Promise<void> | undefined;
      const acked = await publishStream(edge.port, {
        topic: TOPIC, qos: 1, total: 3000, window: 100,
        onAck: (n) => {
          if (!restarting && n >= 1000) {
            restarting = (async () => {
              await cloud.stop();
              await new Promise((r) => setTimeout(r, 500));
              await cloud.start();
            })();
          }
        },
      });
      await restarting;
      assert.equal(acked.size, 3000, 'the local broker acknowledged every message while the remote was away');
      receiver.attach(await persistentSubscriber(cloud.port, 'cloud-reader', 'durable/#', 1));
      await until(() => [...acked].every((n) => receiver.seen.has(n)), 30_000,
        () => `${[...acked].filter((n) => !receiver.seen.has(n)).length} of ${acked.size} acknowledged messages missing at the remote`);
      assertAllDelivered(acked, receiver, 1);
    } finally {
      await edge?.stop();
      data.remove();
      await cloud.dispose();
    }
  });
});
