/**
 * Issue 18: an MQTT-SN client of a cluster node is held to the cluster's promise as MQTT
 * clients are (src/broker/ports/cluster.ts): while Redis is unreachable a QoS 1 PUBLISH
 * is refused (PUBACK "rejected: congestion", try again later), never acknowledged as
 * accepted and then lost for the subscribers of other nodes.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createCluster, startServer, type MidgeServer } from '../../src/server/index.js';
import { SnMsgType, SnReturnCode } from '../../src/sn/protocol/index.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import { until } from '../durability/stream-client.js';
import { RawSnClient } from '../sn/gateway/helpers.js';
import { ClusterClient, awaitRoute } from './cluster-client.js';

async function startNode(redisUrl: string, nodeId: string, withGateway: boolean): Promise<MidgeServer> {
  const { cluster, store } = createCluster({ redisUrl, nodeId, heartbeatMs: 200, deadAfterMs: 1000 });
  return startServer({
    listeners: [{ port: 0, host: '127.0.0.1', protocol: 'mqtt' }],
    snListeners: withGateway ? [{ port: 0, host: '127.0.0.1', tRetry: 0.3, nRetry: 2 }] : [],
    broker: { store, cluster },
    sysInterval: 0,
  });
}

const portOf = (server: MidgeServer, protocol: string): number => server.listeners.find((l) => l.protocol === protocol)!.port;

withRedis(() => {
  describe('an MQTT-SN client of a cluster node during a Redis outage', () => {
    let redis: RedisServer | undefined;
    const servers: MidgeServer[] = [];
    const closers: Array<() => Promise<void>> = [];
    after(async () => {
      await Promise.all(closers.map((close) => close()));
      await redis?.restart().catch(() => {});
      await Promise.all(servers.map((s) => s.close()));
      await redis?.remove();
    });

    it('refuses a QoS 1 PUBLISH it cannot route instead of acknowledging it, and accepts again once Redis is back', async () => {
      redis = await startRedis({ appendonly: true });
      const a = await startNode(redis.url, 'sn-a', true);
      const b = await startNode(redis.url, 'sn-b', false);
      servers.push(a, b);
      const subscriber = await ClusterClient.connect(portOf(b, 'mqtt'), { clientId: 'sn-outage-sub', clean: false, version: 5, properties: { sessionExpiryInterval: 600 } });
      closers.push(() => subscriber.destroy());
      await subscriber.subscribe([{ topicFilter: 'plant/#', qos: 1 }]);
      await awaitRoute(portOf(a, 'mqtt'), subscriber, 'plant/probe');

      const sensor = await RawSnClient.open(portOf(a, 'mqttsn'));
      closers.push(() => sensor.close());
      await sensor.connect('sn-outage-sensor');
      sensor.send({ type: SnMsgType.REGISTER, topicId: 0, msgId: 1, topicName: 'plant/temperature' });
      const { topicId } = await sensor.expect(SnMsgType.REGACK);
      const publish = (msgId: number, payload: string) => sensor.send({
        type: SnMsgType.PUBLISH, dup: false, qos: 1, retain: false, topic: { topicIdType: 'normal', topicId }, msgId, data: Buffer.from(payload),
      });

      await redis.stop();
      await until(() => !a.broker.readiness.ready, 10_000, () => 'node sn-a to notice the outage');
      publish(2, 'during the outage');
      // The refusal keeps its place behind what was being routed when Redis went: it may wait for that to fail.
      const refused = await sensor.expect(SnMsgType.PUBACK, 10_000);
      assert.equal(refused.msgId, 2);
      assert.equal(refused.returnCode, SnReturnCode.REJECTED_CONGESTION, 'a message the cluster cannot route is not acknowledged as accepted');

      await redis.restart();
      await until(() => a.broker.readiness.ready && b.broker.readiness.ready, 15_000, () => 'the nodes to resume');
      await awaitRoute(portOf(a, 'mqtt'), subscriber, 'plant/probe-after');
      publish(3, 'after the outage');
      const accepted = await sensor.expect(SnMsgType.PUBACK, 10_000);
      assert.deepEqual([accepted.msgId, accepted.returnCode], [3, SnReturnCode.ACCEPTED]);
      await subscriber.waitForCount('plant/temperature', 1);
      assert.deepEqual(subscriber.payloads('plant/temperature'), ['after the outage']);
    });
  });
});
