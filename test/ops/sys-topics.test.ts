import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type { MqttClient } from 'mqtt';
import { dampedLoad } from '../../src/broker/index.js';
import { MemoryStore } from '../../src/persistence/index.js';
import { startServer, type MidgeServer, type ServerOptions } from '../../src/server/index.js';
import { waitUntil } from '../helpers/flows.js';
import { collect, connectMqttJs, endMqttJs, type Received } from '../helpers/mqttjs.js';

/** The figures mosquitto publishes under `$SYS/broker/` (and midge's confidential and failed-connection counters). */
const FIGURES = [
  'version', 'uptime', 'clients/connected', 'clients/disconnected', 'clients/total', 'clients/maximum', 'clients/expired',
  'messages/received', 'messages/sent', 'messages/stored', 'publish/messages/received', 'publish/messages/sent',
  'publish/messages/dropped', 'publish/bytes/received', 'publish/bytes/sent', 'bytes/received', 'bytes/sent',
  'subscriptions/count', 'retained messages/count', 'heap/current', 'heap/maximum', 'confidential/withheld',
  'publish/messages/dropped/queue-full', 'publish/messages/dropped/memory-limit', 'publish/messages/dropped/offline-qos0',
  'publish/messages/dropped/expired', 'publish/messages/dropped/too-large', 'publish/messages/dropped/payload-too-large',
  'flow/publishers/paused', 'flow/publishers/pauses', 'flow/publishers/paused seconds', 'flow/slow consumers/current',
  'flow/slow consumers/total', 'flow/slow consumers/disconnected', 'flow/queued bytes', 'connections/failed',
];
const LOADS = ['messages/received', 'messages/sent', 'publish/dropped', 'publish/received', 'publish/sent',
  'bytes/received', 'bytes/sent', 'sockets', 'connections'].flatMap((n) => ['1min', '5min', '15min'].map((w) => `load/${n}/${w}`));

async function start(t: TestContext, options: Partial<ServerOptions> = {}): Promise<{ server: MidgeServer; port: number }> {
  const server = await startServer({ listeners: [{ port: 0, host: '127.0.0.1', protocol: 'mqtt' }], ...options });
  t.after(() => server.close());
  return { server, port: server.listeners[0]!.port };
}

async function client(t: TestContext, port: number): Promise<MqttClient> {
  const c = await connectMqttJs(port);
  t.after(() => endMqttJs(c, true));
  return c;
}

/** The latest value seen for each `$SYS/broker/` figure. */
function latest(messages: readonly Received[]): Map<string, string> {
  return new Map(messages.map((m) => [m.topic.slice('$SYS/broker/'.length), m.payload.toString()]));
}

describe('$SYS topics', () => {
  it('publishes mosquitto\'s figures as retained messages that a new subscriber gets at once', async (t) => {
    const { port } = await start(t, { sysInterval: 60, version: '9.8.7' });
    const sub = await client(t, port);
    const inbox = collect(sub);
    await sub.subscribeAsync('$SYS/#');
    const expected = FIGURES.length + LOADS.length;
    await inbox.waitFor(expected);
    const figures = latest(inbox.messages);
    assert.deepEqual([...figures.keys()].sort(), [...FIGURES, ...LOADS].sort());
    assert.ok(inbox.messages.every((m) => m.packet.retain), 'every figure is retained');
    assert.equal(figures.get('version'), 'midge version 9.8.7');
    assert.match(figures.get('uptime')!, /^\d+ seconds$/);
    for (const load of LOADS) assert.match(figures.get(load)!, /^\d+\.\d{2}$/, load);
    for (const name of FIGURES.filter((f) => f !== 'version' && f !== 'uptime')) assert.match(figures.get(name)!, /^\d+$/, name);
  });

  it('updates the figures every sys_interval seconds as traffic moves them', async (t) => {
    const { port } = await start(t, { sysInterval: 1 });
    const sub = await client(t, port);
    const inbox = collect(sub);
    await sub.subscribeAsync(['$SYS/broker/publish/messages/received', '$SYS/broker/clients/connected', '$SYS/broker/load/publish/received/1min']);
    await inbox.waitFor(3);
    assert.equal(latest(inbox.messages).get('publish/messages/received'), '0');
    const pub = await client(t, port);
    for (let i = 0; i < 5; i++) await pub.publishAsync('traffic/x', `m${i}`, { qos: 1 });
    await waitUntil(() => latest(inbox.messages).get('publish/messages/received') === '5', 'the next update counts the 5 messages', 5000);
    await waitUntil(() => Number(latest(inbox.messages).get('load/publish/received/1min')) > 0, 'the 1-minute load rises', 5000);
    assert.equal(latest(inbox.messages).get('clients/connected'), '2');
    const update = inbox.messages.findLast((m) => m.topic.endsWith('/publish/messages/received'))!;
    assert.equal(update.packet.retain, false, 'a live update reaches existing subscribers without the retain flag');
  });

  it('publishes no $SYS tree when sys_interval is 0', async (t) => {
    const { server } = await start(t, { sysInterval: 0 });
    assert.deepEqual(server.broker.retained.match('$SYS/#'), []);
  });

  it('keeps $SYS figures out of the store, where they would only be stale after a restart', async (t) => {
    const store = new MemoryStore();
    const written: string[] = [];
    const setRetained = store.setRetained.bind(store);
    store.setRetained = (topic, message) => {
      written.push(topic);
      setRetained(topic, message);
    };
    const { server, port } = await start(t, { sysInterval: 1, broker: { store } });
    assert.ok(server.broker.retained.get('$SYS/broker/version'), 'the figures are retained in memory');
    const pub = await client(t, port);
    await pub.publishAsync('keep/me', 'yes', { qos: 1, retain: true });
    assert.deepEqual(written, ['keep/me']);
  });

  it('does not let a client overwrite a $SYS figure', async (t) => {
    const { server, port } = await start(t, { sysInterval: 60 });
    const pub = await client(t, port);
    await pub.publishAsync('$SYS/broker/version', 'forged', { qos: 1, retain: true });
    assert.match(server.broker.retained.get('$SYS/broker/version')!.payload.toString(), /^midge version /);
  });

  it('computes loads as mosquitto does: a steady rate converges to its per-minute figure, silence decays to 0', () => {
    let load = 0;
    for (let i = 0; i < 200; i++) load = dampedLoad(load, 10, 10, 60);
    assert.ok(Math.abs(load - 60) < 0.01, `10 per 10 s is 60 per minute, got ${load}`);
    const slow = dampedLoad(0, 10, 10, 900);
    const fast = dampedLoad(0, 10, 10, 60);
    assert.ok(slow < fast, 'the 15-minute figure moves slower than the 1-minute one');
    for (let i = 0; i < 200; i++) load = dampedLoad(load, 0, 10, 60);
    assert.ok(load < 0.01);
  });
});
