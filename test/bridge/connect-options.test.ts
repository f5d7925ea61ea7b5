/**
 * The options of a `connection` block that shape the bridge's connection, read as
 * mosquitto.conf(5) says: what goes in the CONNECT (seen on the wire by a scripted
 * remote), and what the remote session and the local queue keep, against Debian's
 * mosquitto and a second midge.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { startFakeServer } from '../client/fake-server.js';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO, startMosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { bridgeConnected, collector, eventually, startConfigured, Started } from './helpers.js';

const started = new Started();
after(() => started.close());

function block(port: number, lines: string[]): string[] {
  return ['connection cloud', `address 127.0.0.1:${port}`, 'restart_timeout 1', ...lines];
}

async function mosquitto(extra = '') {
  const cloud = await startMosquitto(extra);
  started.add(() => cloud.stop());
  return cloud;
}

/** A temp dir removed at the end: the edge's store across its restarts. */
function storeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'midge-bridge-store-'));
  started.add(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An edge midge with a store in `dir`, started (again) on it. */
async function edgeOn(dir: string, lines: string[]) {
  const edge = await startConfigured(['listener 0 127.0.0.1', 'allow_anonymous true', 'sys_interval 0', `persistence_location ${dir}`, ...lines, ''].join('\n'), dir);
  let stopped = false;
  started.add(async () => {
    if (!stopped) await edge.stop();
  });
  return {
    ...edge,
    async stop() {
      stopped = true;
      await edge.stop();
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the connection a bridge makes, as its block says', () => {
  test('sends remote_clientid, cleansession, keepalive_interval, remote_username and remote_password, the bridge bit of try_private and the state will on notification_topic', async () => {
    const fake = await startFakeServer();
    started.add(() => fake.close());
    await started.midge(block(fake.port, [
      'remote_clientid edge-x', 'cleansession true', 'keepalive_interval 30', 'remote_username u', 'remote_password p w',
      'notification_topic bridges/edge/state', 'topic a/# out 1',
    ]));
    const { connect } = await fake.accept(10_000);
    assert.deepEqual(
      [connect.protocolName, connect.protocolVersion, connect.bridge, connect.clientId, connect.clean, connect.keepAlive, connect.username, connect.password?.toString()],
      ['MQTT', 4, true, 'edge-x', true, 30, 'u', 'p w'],
    );
    assert.deepEqual(connect.will && { ...connect.will, payload: connect.will.payload.toString() },
      { topic: 'bridges/edge/state', payload: '0', qos: 1, retain: true }, 'the remote says 0 for the bridge if the connection is lost');
  });

  test('over MQTT 5 asks for a session that outlives the connection (cleansession false), sends no bridge bit, and with notifications_local_only no will', async () => {
    const fake = await startFakeServer();
    started.add(() => fake.close());
    await started.midge(block(fake.port, ['bridge_protocol_version mqttv50', 'notifications_local_only true', 'topic a/# out 1']));
    const { connect } = await fake.accept(10_000);
    assert.deepEqual([connect.protocolVersion, connect.bridge ?? false, connect.clean, connect.will], [5, false, false, undefined]);
    assert.equal(connect.properties?.sessionExpiryInterval, 0xffffffff);
  });

  test('try_private: a remote that refuses the bridge bit gets an ordinary CONNECT next, as mosquitto sends; try_private false never sends it', async () => {
    const fake = await startFakeServer({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: 1 });
    started.add(() => fake.close());
    const edge = await started.midge(block(fake.port, ['topic a/# out 1']));
    const first = await fake.accept(10_000);
    const second = await fake.accept(10_000);
    assert.deepEqual([first.connect.bridge, second.connect.bridge ?? false, second.connect.protocolVersion], [true, false, 4]);
    assert.ok(edge.records.some((r) => r.message.includes('refused the bridge protocol bit (try_private)')));
    const plain = await startFakeServer();
    started.add(() => plain.close());
    await started.midge(block(plain.port, ['try_private false', 'topic a/# out 1']));
    assert.equal((await plain.accept(10_000)).connect.bridge ?? false, false);
  });

  test('bridge_bind_address: the socket is bound to the address given', async () => {
    const fake = await startFakeServer();
    started.add(() => fake.close());
    await started.midge(block(fake.port, ['bridge_bind_address 127.0.0.1', 'topic a/# out 1']));
    await fake.accept(10_000);
    // An IPv6 source cannot reach an IPv4 remote: the bind is really applied.
    const edge = await started.midge(block(fake.port, ['bridge_bind_address ::1', 'topic a/# out 1']));
    await eventually(() => edge.records.some((r) => r.message === 'bridge could not connect'), 'the attempt from ::1 fails');
  });

  test('carries messages both ways with mosquitto over mqttv31', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const cloud = await mosquitto();
    const edge = await started.midge(block(cloud.port, ['bridge_protocol_version mqttv31', 'topic up/# out 1', 'topic down/# in 1']));
    await bridgeConnected(edge.server);
    const remote = await started.watch(cloud.port, 'up/#');
    const local = await started.watch(edge.port, 'down/#');
    await local.client.publish('up/1', 'out via 3.1', { qos: 1 });
    await remote.waitFor(1);
    await remote.client.publish('down/1', 'in via 3.1', { qos: 1 });
    await local.waitFor(1);
    assert.deepEqual([remote.payloads(), local.payloads()], [['out via 3.1'], ['in via 3.1']]);
  });

  test('notification_topic with notifications_local_only: the state is said here on that topic, and nothing on the remote', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const cloud = await mosquitto();
    const remote = await started.watch(cloud.port, ['bridges/#', '$SYS/broker/connection/#']);
    const edge = await started.midge(block(cloud.port, ['notification_topic bridges/edge/state', 'notifications_local_only true', 'topic up/# out 1']));
    const local = await started.watch(edge.port, 'bridges/edge/state');
    await bridgeConnected(edge.server);
    // Retained: "0" from the start may come first, then "1".
    await eventually(() => local.payloads().at(-1) === '1', 'the local state says 1');
    await local.client.publish('up/1', 'flushes the link', { qos: 1 });
    await pause(300);
    assert.deepEqual(remote.payloads(), [], 'the remote heard no state');
  });

  for (const cleansession of [false, true]) {
    test(`cleansession ${cleansession}: what mosquitto queued for the bridge while it was down ${cleansession ? 'is gone' : 'comes in once it is back'}`, async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      const cloud = await mosquitto();
      const dir = storeDir();
      const lines = block(cloud.port, [`cleansession ${cleansession}`, 'remote_clientid edge-cs', 'topic in/# in 1', 'topic up/# out 1']);
      const first = await edgeOn(dir, lines);
      await bridgeConnected(first.server);
      // A persistent reader on the edge: what the bridge brings in waits for it across the edge's restart.
      const reader = await collector(first.port, 'in/#', { qos: 1, clientId: 'reader', clean: false });
      await reader.client.end();
      await first.stop();
      const publisher = await started.watch(cloud.port, []);
      await publisher.client.publish('in/x', 'while away', { qos: 1 });
      const second = await edgeOn(dir, lines);
      await bridgeConnected(second.server);
      // A marker sent after the reconnection: once it is in, anything queued before it is too.
      await publisher.client.publish('in/x', 'marker', { qos: 1 });
      const back = await started.watch(second.port, [], { clientId: 'reader', clean: false });
      await back.waitFor(1);
      await eventually(() => back.payloads().includes('marker'), 'the marker arrives');
      assert.deepEqual(back.payloads(), cleansession ? ['marker'] : ['while away', 'marker']);
    });
  }

  for (const attempt of [true, false]) {
    test(`bridge_attempt_unsubscribe ${attempt}: a line turned from in to out ${attempt ? 'stops' : 'does not stop'} the remote sending its messages`, async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      const cloud = await mosquitto();
      const before = await started.midge(block(cloud.port, ['remote_clientid edge-un', 'topic x/# in 1']));
      await bridgeConnected(before.server);
      await before.stop();
      const edge = await started.midge(block(cloud.port, ['remote_clientid edge-un', `bridge_attempt_unsubscribe ${attempt}`, 'topic x/# out 1', 'topic marker in 1']));
      await bridgeConnected(edge.server);
      const local = await started.watch(edge.port, ['x/#', 'marker']);
      const publisher = await started.watch(cloud.port, []);
      await publisher.client.publish('x/1', 'stale', { qos: 1 });
      await publisher.client.publish('marker', 'after', { qos: 1 });
      await local.waitFor(1, 'marker');
      assert.deepEqual(local.payloads('x/1'), attempt ? [] : ['stale']);
    });
  }

  for (const clean of [false, true]) {
    test(`local_cleansession ${clean}: the queue for an absent remote ${clean ? 'does not survive' : 'survives'} a restart of the local broker`, async () => {
      const cloudPort = await freePort();
      const dir = storeDir();
      const lines = block(cloudPort, [`local_cleansession ${clean}`, 'topic up/# out 1']);
      const first = await edgeOn(dir, lines);
      const writer = await collector(first.port, []);
      for (let i = 0; i < 3; i++) await writer.client.publish('up/1', `m${i}`, { qos: 1 });
      await writer.client.end();
      assert.equal(first.server.bridges.status()[0]!.queued, 3);
      await first.stop();
      const cloud = await started.midge([], cloudPort);
      const remote = await started.watch(cloud.port, 'up/#');
      const second = await edgeOn(dir, lines);
      await bridgeConnected(second.server);
      await (clean ? pause(500) : remote.waitFor(3));
      assert.deepEqual(remote.payloads(), clean ? [] : ['m0', 'm1', 'm2']);
    });
  }
});
