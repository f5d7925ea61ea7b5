/**
 * What an operator sees of a bridge: log lines on connect, refusal (with the remote's
 * reason code) and reconnect; the connection state on $SYS locally and, through the
 * will, on the remote; the admin API and /metrics; the queue bound while the remote is
 * away, with drops counted.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { spawnMidge } from '../helpers/midge.js';
import { freePort } from '../helpers/ports.js';
import { bridgeConnected, eventually, startConfigured, Started } from './helpers.js';

const TOKEN = 'bridge-test-token-0123456789';
const started = new Started();
after(() => started.close());



function bridgeTo(port: number, extra: string[] = []): string[] {
  return ['connection cloud', `address 127.0.0.1:${port}`, 'remote_clientid edge-9', 'restart_timeout 1', 'topic up/# out 1', ...extra];
}

async function api(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: await res.text() };
}

describe('a bridge an operator can see', () => {
  test('logs connect, loss and reconnect, and says 0 or 1 on its $SYS state topic as the connection comes and goes', async () => {
    const cloudPort = await freePort();
    const cloud1 = await startConfigured(`listener ${cloudPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    const edge = await started.midge(bridgeTo(cloudPort));
    const state = await started.watch(edge.port, '$SYS/broker/connection/edge-9/state');
    await bridgeConnected(edge.server);
    await state.waitFor(1);
    assert.equal(state.payloads().at(-1), '1');
    const connected = edge.records.find((r) => r.message === 'bridge connected');
    assert.deepEqual([connected?.fields.bridge, connected?.fields.address], ['cloud', `mqtt://127.0.0.1:${cloudPort}`]);
    await cloud1.stop();
    await eventually(() => state.payloads().at(-1) === '0', 'the state says 0 once the remote is gone');
    assert.ok(edge.records.some((r) => r.message === 'bridge disconnected' && r.fields.bridge === 'cloud'));
    await eventually(() => edge.records.some((r) => r.message === 'bridge reconnecting'), 'a reconnect is scheduled and logged');
    const cloud2 = await startConfigured(`listener ${cloudPort} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    started.add(() => cloud2.stop());
    await eventually(() => state.payloads().at(-1) === '1', 'the state says 1 again after the reconnect');
    assert.equal(edge.records.filter((r) => r.message === 'bridge connected').length, 2);
  });

  test('logs a refusal with the remote reason code, and counts it', async () => {
    const locked = await startConfigured(`listener 0 127.0.0.1\nallow_anonymous false\npersistence false\n`);
    started.add(() => locked.stop());
    const edge = await started.midge(bridgeTo(locked.port, ['bridge_protocol_version mqttv50', 'remote_username nobody', 'remote_password wrong']));
    await eventually(() => edge.server.bridges.status()[0]!.connectFailures >= 1, 'a refused attempt');
    const refused = edge.records.find((r) => r.message === 'bridge connection refused');
    assert.ok(refused, 'the refusal is logged');
    const code = refused.fields.reasonCode as number;
    assert.ok(code === 0x86 || code === 0x87, `the remote's v5 reason code is logged (${code})`);
    assert.match(String(refused.fields.reason), /Bad User Name or Password|Not authorized/);
    assert.equal(edge.server.bridges.status()[0]!.lastError, refused.fields.reason);
  });

  test("the remote publishes the bridge's will, state 0, when the edge broker dies", async () => {
    const cloud = await started.midge([]);
    const state = await started.watch(cloud.port, '$SYS/broker/connection/edge-9/state');
    const edge = await spawnMidge({ config: ['listener {port} 127.0.0.1', 'allow_anonymous true', 'persistence false', ...bridgeTo(cloud.port), ''].join('\n') });
    try {
      await state.waitFor(1);
      assert.equal(state.payloads().at(-1), '1');
      await edge.kill9();
      await eventually(() => state.payloads().at(-1) === '0', 'the will said 0');
      const late = await started.watch(cloud.port, '$SYS/broker/connection/edge-9/state');
      await late.waitFor(1);
      assert.deepEqual([late.payloads()[0], late.messages[0]!.retain], ['0', true], 'the state is retained');
    } finally {
      await edge.stop();
    }
  });

  test('queues QoS 1 messages while the remote is away, up to max_queued_messages, and counts what it drops', async () => {
    const edge = await started.midge(['max_queued_messages 5', ...bridgeTo(await freePort())]);
    const local = await started.watch(edge.port, []);
    for (let i = 0; i < 8; i++) await local.client.publish('up/reading', `r${i}`, { qos: 1 });
    const status = edge.server.bridges.status()[0]!;
    assert.notEqual(status.state, 'connected');
    assert.equal(status.queued, 5);
    assert.equal(edge.server.broker.stats.droppedByReason.get('queue-full'), 3);
  });

  test('is listed by the admin API and in /metrics with its counters', async () => {
    const cloud = await started.midge([]);
    const edge = await started.midge([`admin_token ${TOKEN}`, 'listener 0 127.0.0.1', 'protocol http', ...bridgeTo(cloud.port)]);
    await bridgeConnected(edge.server);
    const local = await started.watch(edge.port, []);
    for (let i = 0; i < 3; i++) await local.client.publish('up/x', `m${i}`, { qos: 1 });
    await eventually(() => edge.server.bridges.status()[0]!.messagesSent === 3, 'three sent');
    const adminPort = edge.server.admin!.port;
    const list = await api(adminPort, '/api/v1/bridges');
    assert.equal(list.status, 200);
    const items = (JSON.parse(list.body) as { items: Array<Record<string, unknown>> }).items;
    assert.equal(items.length, 1);
    assert.deepEqual(
      [items[0]!.name, items[0]!.state, items[0]!.address, items[0]!.remoteClientId, items[0]!.localClientId, items[0]!.messagesSent, items[0]!.connects],
      ['cloud', 'connected', `mqtt://127.0.0.1:${cloud.port}`, 'edge-9', 'local.edge-9', 3, 1],
    );
    assert.equal((await api(adminPort, '/api/v1/bridges/cloud')).status, 200);
    assert.equal((await api(adminPort, '/api/v1/bridges/nope')).status, 404);
    const metrics = (await api(adminPort, '/metrics')).body;
    assert.match(metrics, /midge_bridge_connected\{bridge="cloud"\} 1/);
    assert.match(metrics, /midge_bridge_messages_sent_total\{bridge="cloud"\} 3/);
    assert.match(metrics, /midge_bridge_connects_total\{bridge="cloud"\} 1/);
  });
});
