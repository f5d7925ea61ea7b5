/**
 * midge bridging to Debian's mosquitto: both directions, topic prefixes, QoS 0/1/2,
 * retained messages, notifications, MQTT 3.1.1 and 5.0.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO, startMosquitto, type RunningBroker } from '../helpers/mosquitto.js';
import { bridgeConnected, collector, eventually, startConfigured, type Collector, type ConfiguredMidge } from './helpers.js';

const open: Array<{ client: { end(o?: { timeoutMs?: number }): Promise<void> } }> = [];
after(async () => {
  await Promise.all(open.map((c) => c.client.end({ timeoutMs: 200 })));
});

async function watch(port: number, filters: string | string[], options: Parameters<typeof collector>[2] = {}): Promise<Collector> {
  const c = await collector(port, filters, options);
  open.push(c);
  return c;
}

function edgeConfig(remotePort: number, lines: string): string {
  return [
    'listener 0 127.0.0.1', 'allow_anonymous true', 'persistence false', 'sys_interval 0',
    'connection cloud', `address 127.0.0.1:${remotePort}`, 'remote_clientid edge-1', 'restart_timeout 1', lines, '',
  ].join('\n');
}

for (const version of ['mqttv311', 'mqttv50'] as const) {
  describe(`midge bridging to mosquitto over ${version}`, () => {
    let cloud: RunningBroker | undefined;
    let edge: ConfiguredMidge;

    before(async () => {
      if (!(await import('node:fs')).existsSync(MOSQUITTO) && process.env.CI !== 'true') return;
      cloud = await startMosquitto();
      edge = await startConfigured(edgeConfig(cloud.port, [
        `bridge_protocol_version ${version}`,
        'topic sensors/# out 1',
        'topic commands/# in 2',
        'topic # both 2 edge/ site1/',
        'topic "" out 1 status/edge status/site1',
        'topic exact/# out 2',
      ].join('\n')));
      await bridgeConnected(edge.server);
    });
    after(async () => {
      await edge?.stop();
      await cloud?.stop();
    });

    test('forwards local messages on out topics to the remote at each QoS, in order', async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      const remote = await watch(cloud!.port, 'sensors/#');
      const local = await watch(edge.port, []);
      for (let i = 0; i < 30; i++) await local.client.publish('sensors/temp', `m${i}`, { qos: (i % 3) as 0 | 1 | 2 });
      await remote.waitFor(30);
      assert.deepEqual(remote.payloads(), Array.from({ length: 30 }, (_, i) => `m${i}`));
      assert.ok(remote.messages.filter((m) => m.payload.toString() !== 'm0').every((m) => m.qos <= 1), 'QoS capped by the topic line (1)');
    });

    test('brings remote messages on in topics into the local broker', async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      const local = await watch(edge.port, 'commands/#');
      const remote = await watch(cloud!.port, []);
      await eventually(() => edge.server.bridges.status()[0]!.state === 'connected', 'connected');
      // The remote subscription is made right after CONNACK; give it the time of one round trip.
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 20; i++) await remote.client.publish('commands/valve', `c${i}`, { qos: 2 });
      await local.waitFor(20);
      assert.deepEqual(local.payloads(), Array.from({ length: 20 }, (_, i) => `c${i}`));
    });

    test('maps topics through the local and remote prefixes both ways, and never loops a message back', async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      const remote = await watch(cloud!.port, 'site1/#');
      const local = await watch(edge.port, 'edge/#');
      await local.client.publish('edge/line/speed', 'out-1', { qos: 1 });
      await remote.waitFor(1);
      assert.equal(remote.messages[0]!.topic, 'site1/line/speed');
      await remote.client.publish('site1/line/target', 'in-1', { qos: 1 });
      await local.waitFor(2);
      assert.deepEqual(local.messages.map((m) => `${m.topic}=${m.payload}`), ['edge/line/speed=out-1', 'edge/line/target=in-1']);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(remote.messages.map((m) => `${m.topic}=${m.payload}`), ['site1/line/speed=out-1', 'site1/line/target=in-1'],
        'what came in over the bridge did not go back out, and what went out did not come back in');
      assert.equal(local.messages.length, 2);
    });

    test('bridges one topic to another with an empty pattern ("") and both prefixes', async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      const remote = await watch(cloud!.port, 'status/#');
      const local = await watch(edge.port, []);
      await local.client.publish('status/edge', 'up', { qos: 1 });
      await remote.waitFor(1);
      assert.equal(remote.messages[0]!.topic, 'status/site1');
    });

    test('keeps the retained flag: a retained local message is retained on the remote', async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      const local = await watch(edge.port, []);
      await local.client.publish('exact/config', 'v7', { qos: 2, retain: true });
      const late = await watch(cloud!.port, []);
      await eventually(() => edge.server.bridges.status()[0]!.inflight === 0, 'delivered to the remote');
      await late.client.subscribe('exact/config', { qos: 2 });
      await late.waitFor(1);
      assert.equal(late.messages[0]!.retain, true);
      assert.equal(late.payloads()[0], 'v7');
    });

    test('publishes the connection state, 1 while connected, on the local and the remote broker', async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      const topic = '$SYS/broker/connection/edge-1/state';
      const local = await watch(edge.port, topic);
      const remote = await watch(cloud!.port, topic);
      await local.waitFor(1);
      await remote.waitFor(1);
      assert.deepEqual([local.payloads().at(-1), remote.payloads().at(-1)], ['1', '1']);
      assert.ok(local.messages[0]!.retain && remote.messages[0]!.retain);
    });
  });
}
