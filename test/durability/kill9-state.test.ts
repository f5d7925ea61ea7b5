/**
 * Retained messages, subscriptions and wills (delayed ones too) survive the
 * broker process being killed with SIGKILL and started again on its data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType, type Packet, type PacketOf } from '../../src/protocol/index.js';
import type { SpawnedMidge } from '../helpers/midge.js';
import { dataDir, killHard, spawnDurable } from './crash-scenario.js';
import { StreamClient } from './stream-client.js';

const isPublish = (p: Packet): p is PacketOf<3> => p.type === PacketType.PUBLISH;

/** Publishes at QoS 1 and waits for the PUBACK: once it comes, everything written before is on disk. */
async function publishAcked(client: StreamClient, topic: string, payload: string, retain: boolean, packetId: number): Promise<void> {
  await client.waitFor((p): p is Packet => p.type === PacketType.PUBACK && p.packetId === packetId, 5000, `PUBACK ${packetId}`, () => {
    client.send({ type: PacketType.PUBLISH, topic, payload: Buffer.from(payload), qos: 1, retain, dup: false, packetId });
  });
}

async function subscribe(client: StreamClient, filter: string, qos: 0 | 1 | 2, subscriptionId?: number): Promise<void> {
  await client.waitFor((p): p is Packet => p.type === PacketType.SUBACK, 5000, 'SUBACK', () => {
    client.send({
      type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: filter, qos }],
      properties: subscriptionId === undefined ? undefined : { subscriptionIdentifiers: [subscriptionId] },
    });
  });
}

/** Collects the PUBLISH packets a client gets, acknowledging QoS 1. */
function collect(client: StreamClient): PacketOf<3>[] {
  const got: PacketOf<3>[] = [];
  client.onPacket((p) => {
    if (!isPublish(p)) return;
    got.push(p);
    if (p.qos === 1) client.send({ type: PacketType.PUBACK, packetId: p.packetId! });
  });
  return got;
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('kill -9 and restart', () => {
  const data = dataDir();
  let midge: SpawnedMidge;
  const clients: StreamClient[] = [];

  before(async () => {
    midge = await spawnDurable(data.path);
    const pub = await StreamClient.connect(midge.port, { clientId: 'state-pub', version: 5 });
    clients.push(pub.client);
    // QoS 0 retained: no PUBACK of its own, so a QoS 1 publish after it marks the moment both are on disk.
    pub.client.send({
      type: PacketType.PUBLISH, topic: 'state/r0', payload: Buffer.from('zero'), qos: 0, retain: true, dup: false,
      properties: { contentType: 'text/plain', userProperties: [['k', 'v']] },
    });
    await publishAcked(pub.client, 'state/r1', 'one', true, 1);
    await publishAcked(pub.client, 'state/cleared', 'soon gone', true, 2);
    await publishAcked(pub.client, 'state/cleared', '', true, 3);
    // A persistent v5 subscription with an identifier, and a 3.1.1 one.
    const v5 = await StreamClient.connect(midge.port, { clientId: 'state-sub5', version: 5, clean: false, properties: { sessionExpiryInterval: 3600 } });
    await subscribe(v5.client, 'live/+', 1, 42);
    await v5.client.disconnect();
    const v4 = await StreamClient.connect(midge.port, { clientId: 'state-sub4', clean: false });
    await subscribe(v4.client, 'live/#', 1);
    await v4.client.disconnect();
    // Wills of connected persistent sessions: one without delay, one delayed by 2 s (retained so a later subscriber sees them).
    for (const [clientId, delay] of [['state-will-now', 0], ['state-will-later', 2]] as const) {
      const w = await StreamClient.connect(midge.port, {
        clientId, version: 5, clean: false, properties: { sessionExpiryInterval: 3600 },
        will: { topic: `wills/${clientId}`, payload: Buffer.from(`${clientId} lost`), qos: 1, retain: true, properties: { willDelayInterval: delay } },
      });
      clients.push(w.client);
    }
    // One more acknowledged publish: everything above is on disk before the kill.
    await publishAcked(pub.client, 'state/marker', 'm', false, 4);
    await killHard(midge);
    for (const c of clients.splice(0)) await c.destroy();
    midge = await spawnDurable(data.path);
  });

  after(async () => {
    for (const c of clients) await c.destroy();
    await midge.stop();
    data.remove();
  });

  it('restores retained messages with their properties, and not the ones cleared', async () => {
    const { client } = await StreamClient.connect(midge.port, { clientId: 'state-check-r', version: 5 });
    clients.push(client);
    const got = collect(client);
    await subscribe(client, 'state/#', 1);
    await until('two retained messages', () => got.length >= 2);
    const byTopic = new Map(got.map((p) => [p.topic, p]));
    assert.deepEqual([...byTopic.keys()].sort(), ['state/r0', 'state/r1']);
    assert.equal(byTopic.get('state/r0')!.payload.toString(), 'zero');
    assert.equal(byTopic.get('state/r0')!.retain, true);
    assert.equal(byTopic.get('state/r0')!.properties?.contentType, 'text/plain');
    assert.deepEqual(byTopic.get('state/r0')!.properties?.userProperties, [['k', 'v']]);
    assert.equal(byTopic.get('state/r1')!.payload.toString(), 'one');
  });

  it('restores subscriptions of persistent sessions, subscription identifiers included', async () => {
    const pub = await StreamClient.connect(midge.port, { clientId: 'state-pub2' });
    clients.push(pub.client);
    await publishAcked(pub.client, 'live/x', 'after restart', false, 1);
    const v5 = await StreamClient.connect(midge.port, { clientId: 'state-sub5', version: 5, clean: false, properties: { sessionExpiryInterval: 3600 } });
    const v4 = await StreamClient.connect(midge.port, { clientId: 'state-sub4', clean: false });
    clients.push(v5.client, v4.client);
    assert.equal(v5.connack.sessionPresent, true);
    assert.equal(v4.connack.sessionPresent, true);
    const got5 = collect(v5.client);
    const got4 = collect(v4.client);
    await until('the message at both subscribers', () => got5.length >= 1 && got4.length >= 1);
    assert.equal(got5[0]!.payload.toString(), 'after restart');
    assert.deepEqual(got5[0]!.properties?.subscriptionIdentifiers, [42]);
    assert.equal(got4[0]!.topic, 'live/x');
  });

  it('publishes the wills of persistent sessions that were connected when the broker was killed, the delayed one included', async () => {
    const { client } = await StreamClient.connect(midge.port, { clientId: 'state-check-w', version: 5 });
    clients.push(client);
    const got = collect(client);
    await subscribe(client, 'wills/#', 1);
    await until('both wills', () => new Set(got.map((p) => p.topic)).size >= 2);
    assert.deepEqual(new Set(got.map((p) => p.payload.toString())), new Set(['state-will-now lost', 'state-will-later lost']));
  });
});
