/**
 * midge as the remote of bridges: mosquitto bridging into midge with its own bridge
 * configuration (try_private, its notifications), and two midge brokers bridged both
 * ways without loops.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO, startMosquitto, type RunningBroker } from '../helpers/mosquitto.js';
import { bridgeConnected, type Collector, eventually, Started } from './helpers.js';

const started = new Started();
after(() => started.close());



describe('midge as the remote end of a bridge', () => {
  for (const version of ['mqttv311', 'mqttv50'] as const) {
    test(`takes mosquitto's own bridge (${version}) both ways, without echoing what it bridged, and its state notification`, async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      const cloud = await started.midge([]);
      const edge: RunningBroker = await startMosquitto([
        'connection to-midge', `address 127.0.0.1:${cloud.port}`, 'remote_clientid mosq-edge', `bridge_protocol_version ${version}`,
        'topic # both 1 factory/ plant7/', 'restart_timeout 1', 'cleansession true',
      ].join('\n'));
      started.add(() => edge.stop());
      const state = await started.watch(cloud.port, '$SYS/broker/connection/mosq-edge/state');
      await eventually(() => cloud.server.broker.sessions.get('mosq-edge')?.link !== undefined, 'mosquitto connected to midge');
      const atCloud = await started.watch(cloud.port, 'plant7/#');
      const atEdge = await started.watch(edge.port, 'factory/#');
      // mosquitto subscribes right after its CONNACK: wait for its subscription to be in place.
      await eventually(() => cloud.server.broker.sessions.get('mosq-edge')!.subscriptions.size > 0, 'mosquitto subscribed on midge');
      await atEdge.client.publish('factory/press/1', 'from the edge', { qos: 1 });
      await atCloud.waitFor(1);
      await atCloud.client.publish('plant7/press/1/setpoint', 'from the cloud', { qos: 1 });
      await atEdge.waitFor(2);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(atCloud.messages.map((m) => `${m.topic}=${m.payload}`), ['plant7/press/1=from the edge', 'plant7/press/1/setpoint=from the cloud']);
      assert.deepEqual(atEdge.messages.map((m) => `${m.topic}=${m.payload}`), ['factory/press/1=from the edge', 'factory/press/1/setpoint=from the cloud'],
        'nothing came back over the bridge it went out on');
      await state.waitFor(1);
      assert.equal(state.payloads().at(-1), '1', "mosquitto's state notification reached midge");
    });
  }

  test('bridges two midge brokers both ways over the same topics without loops', async (t) => {
    void t;
    const cloud = await started.midge([]);
    const edge = await started.midge([
      'connection cloud', `address 127.0.0.1:${cloud.port}`, 'remote_clientid edge-7', 'restart_timeout 1',
      'topic shared/# both 2', 'topic up/# out 1', 'topic down/# in 1',
    ]);
    await bridgeConnected(edge.server);
    await eventually(() => (cloud.server.broker.sessions.get('edge-7')?.subscriptions.size ?? 0) >= 2, 'the edge subscribed on the cloud');
    const atCloud = await started.watch(cloud.port, '#');
    const atEdge = await started.watch(edge.port, '#');
    await atEdge.client.publish('shared/a', 'edge-1', { qos: 2 });
    await atCloud.client.publish('shared/b', 'cloud-1', { qos: 2 });
    await atEdge.client.publish('up/x', 'edge-2', { qos: 1 });
    await atCloud.client.publish('down/y', 'cloud-2', { qos: 1 });
    await atCloud.client.publish('up/z', 'cloud-stays', { qos: 1 });
    await atEdge.waitFor(4);
    await atCloud.waitFor(4);
    await new Promise((r) => setTimeout(r, 300));
    const seen = (c: Collector) => c.messages.filter((m) => !m.topic.startsWith('$')).map((m) => `${m.topic}=${m.payload}`).sort();
    assert.deepEqual(seen(atEdge), ['down/y=cloud-2', 'shared/a=edge-1', 'shared/b=cloud-1', 'up/x=edge-2']);
    assert.deepEqual(seen(atCloud), ['down/y=cloud-2', 'shared/a=edge-1', 'shared/b=cloud-1', 'up/x=edge-2', 'up/z=cloud-stays'],
      'each message once on each side: no loop, and nothing crosses against its direction');
    const status = edge.server.bridges.status()[0]!;
    assert.deepEqual([status.messagesSent, status.messagesReceived], [2, 2]);
  });
});
