/**
 * A QoS 2 PUBLISH from an MQTT 3.1.1 client that a node cut off from its cluster cannot
 * route: 3.1.1 has no PUBREC that says no, so the node closes the connection without
 * acknowledging. It never took ownership of the message [MQTT-4.3.3-2], so its packet id
 * must not stay recorded as received: the client resends it on reconnect with DUP set
 * [MQTT-4.4.0-1], and that resend is the first the broker takes, to be delivered, not
 * answered as a repeat of a message nobody got.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { PacketType, type Packet, type PacketOf } from '../../src/protocol/index.js';
import { requireBinary } from '../helpers/external.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import { until } from '../durability/stream-client.js';
import { ClusterClient, awaitRoute } from './cluster-client.js';
import { startNode, type Node } from './in-process.js';

const PYTHON = '/usr/bin/python3';
const PAHO_SCRIPT = new URL('./paho/qos2_resend.py', import.meta.url).pathname;

const isType = <T extends Packet['type']>(type: T) => (p: Packet): p is PacketOf<T> => p.type === type;

withRedis(() => {
  describe('an MQTT 3.1.1 QoS 2 publish a cluster node could not route', () => {
    let redis: RedisServer;
    let a: Node;
    let b: Node;
    let subscriber: ClusterClient;
    const nodes: Node[] = [];
    const clients: ClusterClient[] = [];
    before(async () => {
      redis = await startRedis({ appendonly: true });
      nodes.push(a = await startNode(redis.url, 'q2-a'), b = await startNode(redis.url, 'q2-b'));
      subscriber = await ClusterClient.connect(b.port, { clientId: 'q2-sub', clean: false, version: 5, properties: { sessionExpiryInterval: 600 } });
      clients.push(subscriber);
      await subscriber.subscribe([{ topicFilter: 'q2/#', qos: 2 }]);
      await awaitRoute(a.port, subscriber, 'q2/probe');
    });
    after(async () => {
      await Promise.all(clients.map((c) => c.destroy()));
      await redis?.restart().catch(() => {});
      await Promise.all(nodes.map((n) => n.server.close()));
      await redis?.remove();
    });

    /** Redis goes away, `during` runs once node A knows, then Redis comes back. */
    async function outage(during: () => Promise<void>): Promise<void> {
      await redis.stop();
      await until(() => !a.server.broker.readiness.ready, 10_000, () => 'node q2-a to notice the outage');
      await during();
      await redis.restart();
    }

    const resumed = () => until(() => a.server.broker.readiness.ready && b.server.broker.readiness.ready, 15_000, () => 'the nodes to resume');

    it('is delivered once when the client resends it with DUP after reconnecting [MQTT-4.3.3-2] [MQTT-4.4.0-1]', async () => {
      const first = await ClusterClient.connect(a.port, { clientId: 'q2-pub3', clean: false });
      clients.push(first);
      const publish = (dup: boolean) => ({
        type: PacketType.PUBLISH, topic: 'q2/raw', payload: Buffer.from('exactly once'), qos: 2, retain: false, dup, packetId: 7,
      } as const);

      await outage(async () => {
        first.stream.send(publish(false));
        // No PUBREC while the node waits for its store, which lives in Redis too.
        await new Promise((resolve) => setTimeout(resolve, 300));
      });
      // Once it can answer, the node closes the connection instead of acknowledging.
      await first.waitClosed(15_000);
      await resumed();
      await awaitRoute(a.port, subscriber, 'q2/probe-raw');
      const again = await ClusterClient.connect(a.port, { clientId: 'q2-pub3', clean: false });
      clients.push(again);
      assert.equal(again.connack.sessionPresent, true, 'the persistent session is resumed');
      const pubrec = await again.stream.waitFor(isType(PacketType.PUBREC), 10_000, 'PUBREC 7', () => again.stream.send(publish(true)));
      assert.equal(pubrec.packetId, 7);
      await again.stream.waitFor(isType(PacketType.PUBCOMP), 10_000, 'PUBCOMP 7', () => again.stream.send({ type: PacketType.PUBREL, packetId: 7 }));
      await subscriber.waitForCount('q2/raw', 1);
      assert.deepEqual(subscriber.payloads('q2/raw'), ['exactly once']);
    });

    it('is delivered once to paho-mqtt, which reconnects with its persistent session and resends on its own [MQTT-4.3.3-2] [MQTT-4.4.0-1]', async (t) => {
      if (!requireBinary(t, PYTHON)) return;
      const paho = spawn(PYTHON, [PAHO_SCRIPT, String(a.port), 'q2-paho', 'q2/paho', 'exactly once, paho'], { stdio: ['pipe', 'pipe', 'inherit'] });
      const killer = setTimeout(() => paho.kill('SIGKILL'), 60_000);
      try {
        const lines = createInterface({ input: paho.stdout })[Symbol.asyncIterator]();
        assert.equal((await lines.next()).value, 'connected');
        await outage(async () => {
          paho.stdin.write('publish\n');
          await new Promise((resolve) => setTimeout(resolve, 300));
        });
        await resumed();
        const result = JSON.parse(String((await lines.next()).value)) as { completed: boolean; connacks: number };
        assert.equal(result.completed, true, 'the QoS 2 flow completed');
        assert.ok(result.connacks >= 2, 'paho reconnected');
        await subscriber.waitForCount('q2/paho', 1);
        assert.deepEqual(subscriber.payloads('q2/paho'), ['exactly once, paho']);
      } finally {
        clearTimeout(killer);
        paho.kill();
      }
    });
  });
});
