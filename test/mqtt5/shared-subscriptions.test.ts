import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { connectCollecting, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitUntil } from '../helpers/flows.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MQTT 5 shared subscriptions', () => {
  let midge: InProcessMidge;
  before(async () => { midge = await startMidge(); });
  after(() => midge.stop());

  it('gives each message to exactly one member of the group (section 4.8.2)', async () => {
    const members = await Promise.all([1, 2, 3].map(() => connectCollecting(midge.port, { protocolVersion: 5 })));
    for (const m of members) await m.client.subscribeAsync('$share/workers/jobs/#', { qos: 1 });
    const outsider = await connectCollecting(midge.port, { protocolVersion: 5 });
    await outsider.client.subscribeAsync('jobs/#', { qos: 1 });
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    for (let i = 0; i < 30; i++) await pub.publishAsync(`jobs/${i}`, String(i), { qos: 1 });
    await outsider.inbox.waitFor(30);
    await sleep(100);
    const per = members.map((m) => m.inbox.messages.length);
    assert.equal(per.reduce((a, b) => a + b, 0), 30, 'every message once across the group');
    assert.ok(per.every((n) => n > 0), `spread over the members: ${per}`);
    const all = members.flatMap((m) => m.inbox.messages.map((x) => x.payload.toString())).sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(all, Array.from({ length: 30 }, (_, i) => String(i)));
    await Promise.all([...members.map((m) => endMqttJs(m.client)), endMqttJs(outsider.client), endMqttJs(pub)]);
  });

  it('moves QoS 1 messages in flight to a member that leaves to another member (section 4.8.2)', async () => {
    const { client: lazy } = await RawClient.connect(midge.port, { version: 5, clientId: 'lazy' });
    lazy.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '$share/g2/work', qos: 1 }] });
    await lazy.expect(PacketType.SUBACK);
    const busy = await connectCollecting(midge.port, { protocolVersion: 5 });
    await busy.client.subscribeAsync('$share/g2/work', { qos: 1 });
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    for (let i = 0; i < 10; i++) await pub.publishAsync('work', `w${i}`, { qos: 1 });
    await sleep(100);
    const unacked = lazy.pending().filter((p) => p.type === PacketType.PUBLISH).length;
    assert.ok(unacked > 0, 'the lazy member got some and acknowledged none');
    await lazy.close();
    const got = await busy.inbox.waitFor(10);
    assert.deepEqual(got.map((m) => m.payload.toString()).sort(), Array.from({ length: 10 }, (_, i) => `w${i}`).sort());
    await Promise.all([endMqttJs(busy.client), endMqttJs(pub)]);
  });

  it('does not send retained messages for a new shared subscription (section 4.8.2)', async () => {
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('shret/t', 'retained', { qos: 1, retain: true });
    const member = await connectCollecting(midge.port, { protocolVersion: 5 });
    await member.client.subscribeAsync('$share/g3/shret/#', { qos: 1 });
    await sleep(200);
    assert.equal(member.inbox.messages.length, 0);
    await pub.publishAsync('shret/t', '', { qos: 1, retain: true });
    await Promise.all([endMqttJs(member.client), endMqttJs(pub)]);
  });

  it('keeps serving a group whose members come and go', async () => {
    const a = await connectCollecting(midge.port, { protocolVersion: 5 });
    await a.client.subscribeAsync('$share/g4/t', { qos: 0 });
    const b = await connectCollecting(midge.port, { protocolVersion: 5 });
    await b.client.subscribeAsync('$share/g4/t', { qos: 0 });
    await b.client.unsubscribeAsync('$share/g4/t');
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    for (let i = 0; i < 4; i++) await pub.publishAsync('t', String(i));
    await a.inbox.waitFor(4);
    assert.equal(b.inbox.messages.length, 0);
    await Promise.all([endMqttJs(a.client), endMqttJs(b.client), endMqttJs(pub)]);
  });

  it('respects the QoS granted to the member it chooses [MQTT-4.8.2-3]', async () => {
    const { client: member } = await RawClient.connect(midge.port, { version: 5 });
    member.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '$share/gq/granted', qos: 0 }] });
    assert.deepEqual((await member.expect(PacketType.SUBACK)).reasonCodes, [0]);
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('granted', 'published at QoS 1', { qos: 1 });
    const got = await member.expect(PacketType.PUBLISH);
    assert.deepEqual([got.qos, got.packetId], [0, undefined]);
    await member.close();
    await endMqttJs(pub);
  });

  it('gives a message the chosen member refused with a failure code to no other member [MQTT-4.8.2-6]', async () => {
    const { client: refuser } = await RawClient.connect(midge.port, { version: 5, clientId: 'g6-refuser' });
    refuser.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '$share/g6/refused', qos: 1 }] });
    await refuser.expect(PacketType.SUBACK);
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('refused', 'refused', { qos: 1 });
    const got = await refuser.expect(PacketType.PUBLISH);
    const { client: other } = await RawClient.connect(midge.port, { version: 5 });
    other.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '$share/g6/refused', qos: 1 }, { topicFilter: 'g6/marker', qos: 1 }] });
    await other.expect(PacketType.SUBACK);
    refuser.send({ type: PacketType.PUBACK, packetId: got.packetId!, reasonCode: 0x80 });
    await refuser.close();
    await waitUntil(() => midge.server.broker.sessions.get('g6-refuser') === undefined, 'the refusing member is gone');
    await pub.publishAsync('g6/marker', 'marker', { qos: 1 });
    const first = await other.expect(PacketType.PUBLISH);
    assert.equal(first.topic, 'g6/marker', `${first.payload.toString()} went to another member`);
    await other.close();
    await endMqttJs(pub);
  });

  it('sends a client matched by a shared and a non-shared subscription a copy for each, with the Subscription Identifier of the subscription it matched [MQTT-3.3.4-5]', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5 });
    client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '$share/g7/both', qos: 1 }], properties: { subscriptionIdentifiers: [11] } });
    await client.expect(PacketType.SUBACK);
    client.send({ type: PacketType.SUBSCRIBE, packetId: 2, subscriptions: [{ topicFilter: 'both', qos: 1 }], properties: { subscriptionIdentifiers: [22] } });
    await client.expect(PacketType.SUBACK);
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('both', 'twice', { qos: 1 });
    const copies = [await client.expect(PacketType.PUBLISH), await client.expect(PacketType.PUBLISH)];
    assert.deepEqual(copies.map((p) => p.properties?.subscriptionIdentifiers).sort(), [[11], [22]]);
    await client.close();
    await endMqttJs(pub);
  });

  it('completes a QoS 2 delivery with the member it chose when that member returns, and gives it to no other member [MQTT-4.8.2-4] [MQTT-4.8.2-5]', async () => {
    const properties = { sessionExpiryInterval: 60 };
    const { client: chosen } = await RawClient.connect(midge.port, { version: 5, clientId: 'g8-chosen', properties });
    chosen.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '$share/g8/exactly-once', qos: 2 }] });
    await chosen.expect(PacketType.SUBACK);
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('exactly-once', 'qos 2', { qos: 2 });
    const sent = await chosen.expect(PacketType.PUBLISH);
    const { client: other } = await RawClient.connect(midge.port, { version: 5 });
    other.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '$share/g8/exactly-once', qos: 2 }, { topicFilter: 'g8/marker', qos: 1 }] });
    await other.expect(PacketType.SUBACK);
    await chosen.close();
    await waitUntil(() => midge.server.broker.sessions.get('g8-chosen')?.link === undefined, 'the chosen member is offline');
    await pub.publishAsync('g8/marker', 'marker', { qos: 1 });
    assert.equal((await other.expect(PacketType.PUBLISH)).topic, 'g8/marker', 'the QoS 2 message went to another member');
    const { client: back } = await RawClient.connect(midge.port, { version: 5, clientId: 'g8-chosen', clean: false, properties });
    const resent = await back.expect(PacketType.PUBLISH);
    assert.deepEqual([resent.packetId, resent.dup], [sent.packetId, true]);
    await Promise.all([back.close(), other.close(), endMqttJs(pub)]);
  });
});
