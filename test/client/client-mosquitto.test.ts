/**
 * MqttClient against Debian's mosquitto over mqtt:// and ws://: the QoS flows in
 * all three protocol versions, v5 properties through a real broker, binary
 * payloads over WebSocket, refused connections.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { ConnectionRefusedError, MqttClient, connect, type ClientOptions, type MqttMessage } from '../../src/client/index.js';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO, startMosquitto, type RunningBroker } from '../helpers/mosquitto.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { withTimeout } from './fake-server.js';

const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

let shared: Promise<{ broker: RunningBroker; wsPort: number }> | undefined;
const clients: MqttClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.end({ timeoutMs: 200 })));
  if (shared) await (await shared).broker.stop();
});

/** One mosquitto for the file, with a WebSocket listener as well. */
async function broker(t: TestContext): Promise<{ broker: RunningBroker; wsPort: number } | undefined> {
  if (!requireBinary(t, MOSQUITTO)) return undefined;
  shared ??= (async () => {
    const wsPort = await freePort();
    const b = await startMosquitto(`listener ${wsPort} 127.0.0.1\nprotocol websockets\n`);
    await waitForPort(wsPort);
    return { broker: b, wsPort };
  })();
  return shared;
}

async function open(url: string, options: ClientOptions): Promise<MqttClient> {
  const client = await connect(url, { reconnect: false, ...options });
  clients.push(client);
  return client;
}

async function take(messages: AsyncIterableIterator<MqttMessage>, n: number): Promise<MqttMessage[]> {
  const got: MqttMessage[] = [];
  while (got.length < n) {
    const next = await withTimeout(messages.next(), 5000, `message ${got.length + 1} of ${n} did not arrive`);
    if (next.done) break;
    got.push(next.value);
  }
  return got;
}

describe('MqttClient with mosquitto', () => {
  for (const protocolVersion of [3, 4, 5] as const) {
    test(`messages flow at QoS 0, 1 and 2 over protocol level ${protocolVersion}, each publish completing its flow`, async (t) => {
      const env = await broker(t);
      if (!env) return;
      const url = `mqtt://127.0.0.1:${env.broker.port}`;
      const topic = `flow/${protocolVersion}`;
      const sub = await open(url, { protocolVersion });
      const messages = sub.messages();
      assert.deepEqual(await sub.subscribe(`${topic}/#`, { qos: 2 }), [2]);
      const pub = await open(url, { protocolVersion });
      const results = [];
      for (const qos of [0, 1, 2] as const) results.push(await pub.publish(`${topic}/${qos}`, `at qos ${qos}`, { qos }));
      assert.deepEqual(results.map((r) => r.packetId !== undefined), [false, true, true]);
      const got = await take(messages, 3);
      assert.deepEqual(got.map((m) => [m.topic, m.payload.toString(), m.qos]), [
        [`${topic}/0`, 'at qos 0', 0], [`${topic}/1`, 'at qos 1', 1], [`${topic}/2`, 'at qos 2', 2],
      ]);
    });
  }

  test('v5 properties survive the broker: user properties in order with duplicates, correlation data, response topic, content type [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20]', async (t) => {
    const env = await broker(t);
    if (!env) return;
    const url = `mqtt://127.0.0.1:${env.broker.port}`;
    const sub = await open(url, { protocolVersion: 5 });
    const messages = sub.messages();
    await sub.subscribe('props/#', { qos: 1 });
    const pub = await open(url, { protocolVersion: 5 });
    const properties = {
      userProperties: [['b', '2'], ['a', '1'], ['b', 'again']] as [string, string][],
      correlationData: Buffer.from([0, 1, 2, 0xfe, 0xff]),
      responseTopic: 'props/reply',
      contentType: 'application/json',
      payloadFormatIndicator: 1,
      messageExpiryInterval: 120,
    };
    await pub.publish('props/x', '{"ok":true}', { qos: 1, properties });
    const [message] = await take(messages, 1);
    const got = message?.properties;
    assert.deepEqual(got?.userProperties, properties.userProperties);
    assert.deepEqual(got?.correlationData, properties.correlationData);
    assert.equal(got?.responseTopic, 'props/reply');
    assert.equal(got?.contentType, 'application/json');
    assert.equal(got?.payloadFormatIndicator, 1);
    assert.ok(got?.messageExpiryInterval !== undefined && got.messageExpiryInterval <= 120);
  });

  test('ws:// carries every byte value intact in both directions [MQTT-6.0.0-1] [MQTT-6.0.0-3]', async (t) => {
    const env = await broker(t);
    if (!env) return;
    const ws = await open(`ws://127.0.0.1:${env.wsPort}`, { protocolVersion: 4 });
    const tcp = await open(`mqtt://127.0.0.1:${env.broker.port}`, { protocolVersion: 4 });
    const overWs = ws.messages();
    const overTcp = tcp.messages();
    await ws.subscribe('bytes/to-ws', { qos: 1 });
    await tcp.subscribe('bytes/to-tcp', { qos: 1 });
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await tcp.publish('bytes/to-ws', every, { qos: 1 });
    await ws.publish('bytes/to-tcp', Buffer.concat([every, every.reverse()]), { qos: 2 });
    assert.deepEqual((await take(overWs, 1))[0]?.payload, Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    assert.equal((await take(overTcp, 1))[0]?.payload.length, 512);
  });

  test('an empty v5 client identifier is replaced by the Assigned Client Identifier [MQTT-3.2.2-16]', async (t) => {
    const env = await broker(t);
    if (!env) return;
    const client = await open(`mqtt://127.0.0.1:${env.broker.port}`, { protocolVersion: 5, clientId: '' });
    assert.ok(client.clientId.length > 0);
  });

  test('the message event and every iterator see each message, and a retained message arrives with its flag', async (t) => {
    const env = await broker(t);
    if (!env) return;
    const url = `mqtt://127.0.0.1:${env.broker.port}`;
    const pub = await open(url, { protocolVersion: 4 });
    await pub.publish('retained/one', 'kept', { qos: 1, retain: true });
    const sub = await open(url, { protocolVersion: 4 });
    const seen: string[] = [];
    sub.on('message', (m) => seen.push(m.topic));
    const [all, filtered] = [sub.messages(), sub.messages('retained/+')];
    await sub.subscribe('retained/#');
    const [fromAll] = await take(all, 1);
    const [fromFiltered] = await take(filtered, 1);
    assert.equal(fromAll?.retain, true);
    assert.equal(fromFiltered?.payload.toString(), 'kept');
    assert.deepEqual(seen, ['retained/one']);
    await pub.publish('retained/one', '', { qos: 1, retain: true });
  });

  test('a refused connection rejects connect() with the CONNACK code and reason', async (t) => {
    if (!requireBinary(t, MOSQUITTO) || !requireBinary(t, MOSQUITTO_PASSWD)) return;
    const dir = mkdtempSync(join(tmpdir(), 'midge-pw-'));
    const passwords = join(dir, 'passwords');
    execFileSync(MOSQUITTO_PASSWD, ['-b', '-c', passwords, 'alice', 'secret']);
    // Started as root, mosquitto reads the file after dropping to its own user unless told to stay root.
    const locked = await startMosquitto(`user root\npassword_file ${passwords}\nallow_anonymous false\n`);
    try {
      const url = `mqtt://127.0.0.1:${locked.port}`;
      for (const [protocolVersion, code] of [[4, 5], [5, 0x87]] as const) {
        const error = await new MqttClient(url, { protocolVersion, username: 'alice', password: 'wrong', reconnect: false }).connect().then(
          () => assert.fail('connected with a wrong password'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof ConnectionRefusedError);
        assert.equal(error.returnCode, code);
      }
      const ok = await open(`mqtt://alice:secret@127.0.0.1:${locked.port}`, { protocolVersion: 5 });
      assert.equal(ok.connected, true);
    } finally {
      await locked.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
