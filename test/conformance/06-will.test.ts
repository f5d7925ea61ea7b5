import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketType, type PublishPacket, type QoS, type Will } from '../../src/protocol/index.js';
import { connect, disconnect, publish, receive, subscribe, uniq, waitUntil, brokerWithPublisher } from '../helpers/flows.js';
import type { InProcessMidge } from '../helpers/midge.js';
import type { RawClient } from '../helpers/raw-client.js';

function will(topic: string, payload: string, qos: QoS = 0, retain = false, properties?: Will['properties']): Will {
  return { topic, payload: Buffer.from(payload), qos, retain, properties };
}

/** A subscriber to `topic` at `qos`, plus a marker topic for "nothing arrived" checks. */
async function watcher(port: number, topic: string, qos: QoS = 2): Promise<RawClient> {
  const client = await connect(port);
  await subscribe(client, [[topic, qos], [`${topic}/marker`, 0]]);
  return client;
}

/** Checks the next delivery to `watch` is the marker, so no will came before it. */
async function expectNoWill(watch: RawClient, pub: RawClient, topic: string): Promise<void> {
  await publish(pub, `${topic}/marker`, 'marker');
  const [first] = await receive(watch, 1);
  assert.equal(first!.topic, `${topic}/marker`, 'a will was published');
}

async function expectWill(watch: RawClient, payload: string, timeoutMs?: number): Promise<PublishPacket> {
  const [got] = await receive(watch, 1, { timeoutMs });
  assert.equal(got!.payload.toString(), payload);
  return got!;
}

describe('06 wills (MQTT 3.1.1)', () => {
  let midge: InProcessMidge;
  let pub: RawClient;
  brokerWithPublisher(4, (m, p) => { midge = m; pub = p; });

  it('publishes the will, not retained, when the network connection is lost [MQTT-3.1.2-8] [MQTT-3.1.2-16]', async () => {
    const topic = uniq('lost');
    const watch = await watcher(midge.port, topic);
    const client = await connect(midge.port, { will: will(topic, 'gone') });
    await client.close();
    const got = await expectWill(watch, 'gone');
    assert.equal(got.retain, false);
    await disconnect(watch);
  });

  it('publishes the will when the keep alive expires, in 3.1.1 [MQTT-3.1.2-24] and in 5.0 after DISCONNECT 0x8D [MQTT-3.1.2-22], [MQTT-3.1.2-8]', async () => {
    await Promise.all([4, 5].map(async (version) => {
      const topic = uniq(`keepalive${version}`);
      const watch = await watcher(midge.port, topic);
      const silent = await connect(midge.port, { version: version as 4 | 5, keepAlive: 1, will: will(topic, 'timed out') });
      if (version === 5) assert.equal((await silent.expect(PacketType.DISCONNECT, 4000)).reasonCode, 0x8d);
      await silent.waitClosed(4000);
      await expectWill(watch, 'timed out');
      await disconnect(watch);
    }));
  });

  it('publishes the will when the server closes the connection for a protocol violation [MQTT-4.8.0-1] [MQTT-3.1.2-8]', async () => {
    const topic = uniq('violation');
    const watch = await watcher(midge.port, topic);
    const client = await connect(midge.port, { will: will(topic, 'malformed') });
    client.sendBytes([0x36, 0x05, 0x00, 0x01, 0x78, 0x00, 0x01]); // PUBLISH with QoS 3 [MQTT-3.3.1-4]
    await client.waitClosed();
    await expectWill(watch, 'malformed');
    await disconnect(watch);
  });

  it('publishes the will when the DISCONNECT itself is malformed, as it is no DISCONNECT [MQTT-3.14.1-1] [MQTT-3.1.2-8]', async () => {
    const topic = uniq('bad-disconnect');
    const watch = await watcher(midge.port, topic);
    const client = await connect(midge.port, { will: will(topic, 'not a real goodbye') });
    client.sendBytes([0xe1, 0x00]); // DISCONNECT with reserved flags 0001
    await client.waitClosed();
    await expectWill(watch, 'not a real goodbye');
    await disconnect(watch);
  });

  it('discards the will without publishing it on DISCONNECT [MQTT-3.1.2-10] [MQTT-3.14.4-3]', async () => {
    const topic = uniq('graceful');
    const watch = await watcher(midge.port, topic);
    const client = await connect(midge.port, { will: will(topic, 'must not appear') });
    await disconnect(client);
    await expectNoWill(watch, pub, topic);
    await disconnect(watch);
  });

  it('publishes nothing when a connection without a will is lost [MQTT-3.1.2-12]', async () => {
    const clientId = uniq('no-will');
    const watch = await connect(midge.port);
    await subscribe(watch, [['#', 0]]);
    const client = await connect(midge.port, { clientId });
    await client.close();
    await waitUntil(() => midge.server.broker.sessions.get(clientId) === undefined, 'the session ended');
    const marker = uniq('no-will/marker');
    await publish(pub, marker, 'marker');
    const [first] = await receive(watch, 1);
    assert.equal(first!.topic, marker, `${first!.topic} was published`);
    await disconnect(watch);
  });

  it('publishes a will with Will Retain 1 as a retained message [MQTT-3.1.2-17]', async () => {
    const topic = uniq('retained');
    const client = await connect(midge.port, { will: will(topic, 'retained will', 1, true) });
    await client.close();
    await waitUntil(() => midge.server.broker.retained.get(topic) !== undefined, 'the will is retained');
    const later = await connect(midge.port);
    await subscribe(later, [[topic, 1]]);
    const got = await expectWill(later, 'retained will');
    assert.deepEqual([got.retain, got.qos], [true, 1]);
    await disconnect(later);
  });

  it('publishes a will with Will Retain 0 as a message that is not retained [MQTT-3.1.2-16]', async () => {
    const topic = uniq('not-retained');
    const watch = await watcher(midge.port, topic);
    const client = await connect(midge.port, { will: will(topic, 'fleeting', 1, false) });
    await client.close();
    await expectWill(watch, 'fleeting');
    assert.equal(midge.server.broker.retained.get(topic), undefined);
    await disconnect(watch);
  });

  it('delivers the will at its QoS, capped by the granted QoS of each subscription (section 3.1.2.6) [MQTT-3.8.4-6]', async () => {
    const topic = uniq('qos');
    const at2 = await watcher(midge.port, topic, 2);
    const at1 = await watcher(midge.port, topic, 1);
    const client = await connect(midge.port, { will: will(topic, 'qos 2 will', 2) });
    await client.close();
    assert.equal((await expectWill(at2, 'qos 2 will')).qos, 2);
    assert.equal((await expectWill(at1, 'qos 2 will')).qos, 1);
    await disconnect(at2);
    await disconnect(at1);
  });

  it('publishes the will of a connection closed because another took over its client id [MQTT-3.1.4-2] [MQTT-3.1.2-8]', async () => {
    const topic = uniq('takeover');
    const clientId = uniq('same-id');
    const watch = await watcher(midge.port, topic);
    const old = await connect(midge.port, { clientId, will: will(topic, 'replaced') });
    const next = await connect(midge.port, { clientId });
    await old.waitClosed();
    await expectWill(watch, 'replaced');
    await disconnect(next);
    await disconnect(watch);
  });
});

describe('06 wills (MQTT 5)', () => {
  let midge: InProcessMidge;
  let pub: RawClient;
  brokerWithPublisher(5, (m, p) => { midge = m; pub = p; });

  it('discards the will on DISCONNECT with reason code 0x00 [MQTT-3.1.2-10] [MQTT-3.14.4-3]', async () => {
    const topic = uniq('normal');
    const watch = await watcher(midge.port, topic);
    const client = await connect(midge.port, { version: 5, will: will(topic, 'must not appear') });
    client.send({ type: PacketType.DISCONNECT, reasonCode: 0x00 });
    await client.waitClosed();
    await expectNoWill(watch, pub, topic);
    await disconnect(watch);
  });

  it('publishes the will on DISCONNECT with reason code 0x04 Disconnect with Will Message (section 3.14.2.1)', async () => {
    const topic = uniq('with-will');
    const watch = await watcher(midge.port, topic);
    const client = await connect(midge.port, { version: 5, will: will(topic, 'asked for') });
    client.send({ type: PacketType.DISCONNECT, reasonCode: 0x04 });
    await client.waitClosed();
    await expectWill(watch, 'asked for');
    await disconnect(watch);
  });

  it('sends DISCONNECT with the reason code of a protocol error, then publishes the will [MQTT-4.13.1-1] [MQTT-3.1.2-8]', async () => {
    const topic = uniq('error5');
    const watch = await watcher(midge.port, topic);
    const client = await connect(midge.port, { version: 5, will: will(topic, 'after the error') });
    client.sendBytes([0x36, 0x06, 0x00, 0x01, 0x78, 0x00, 0x01, 0x00]); // PUBLISH with QoS 3
    assert.equal((await client.expect(PacketType.DISCONNECT)).reasonCode, 0x81);
    await client.waitClosed();
    await expectWill(watch, 'after the error');
    await disconnect(watch);
  });

  it('publishes a delayed will only when the client has not returned within the Will Delay Interval [MQTT-3.1.3-9] [MQTT-3.1.2-8]', async () => {
    const base = uniq('delay');
    const watch = await watcher(midge.port, base);
    await subscribe(watch, [[`${base}/#`, 1]]);
    const options = (name: string) => ({
      version: 5 as const, clientId: `${base}-${name}`, clean: false, properties: { sessionExpiryInterval: 30 },
      will: will(`${base}/${name}`, name, 1, false, { willDelayInterval: 1 }),
    });
    const returns = await connect(midge.port, options('returns'));
    const stays = await connect(midge.port, options('stays-away'));
    await Promise.all([returns.close(), stays.close()]);
    const back = await connect(midge.port, { ...options('returns'), will: undefined });
    await expectNoWill(watch, pub, base); // none at once: both wait for the delay
    const got = await expectWill(watch, 'stays-away', 3000);
    assert.equal(got.topic, `${base}/stays-away`);
    await expectNoWill(watch, pub, base);
    await disconnect(back);
    await disconnect(watch);
  });

  it('publishes a v5 will with Will Retain 0 as a message that is not retained, keeping its User Properties in order [MQTT-3.1.2-14] [MQTT-3.1.3-10]', async () => {
    const topic = uniq('props5');
    const watch = await connect(midge.port, { version: 5 });
    await subscribe(watch, [[topic, 2]]);
    const userProperties: [string, string][] = [['b', '2'], ['a', '1'], ['b', '3']];
    const client = await connect(midge.port, { version: 5, will: will(topic, 'with properties', 1, false, { userProperties }) });
    await client.close();
    const got = await expectWill(watch, 'with properties');
    assert.equal(got.retain, false);
    assert.deepEqual(got.properties?.userProperties, userProperties);
    assert.equal(midge.server.broker.retained.get(topic), undefined);
    await disconnect(watch);
  });

  it('publishes a v5 will with Will Retain 1 as a retained message [MQTT-3.1.2-15]', async () => {
    const topic = uniq('retained5');
    const client = await connect(midge.port, { version: 5, will: will(topic, 'retained v5 will', 1, true) });
    await client.close();
    await waitUntil(() => midge.server.broker.retained.get(topic) !== undefined, 'the will is retained');
    const later = await connect(midge.port, { version: 5 });
    await subscribe(later, [[topic, 1]]);
    const got = await expectWill(later, 'retained v5 will');
    assert.deepEqual([got.retain, got.qos], [true, 1]);
    await disconnect(later);
  });
});
