import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawClient } from '../helpers/raw-client.js';

describe('MQTT 5 subscription options and identifiers', () => {
  let midge: InProcessMidge;
  before(async () => { midge = await startMidge(); });
  after(() => midge.stop());

  it('No Local: a client does not get its own messages back [MQTT-3.8.3-3]', async () => {
    const c = await connectMqttJs(midge.port, { protocolVersion: 5 });
    const inbox = collect(c);
    await c.subscribeAsync('nl/own', { qos: 0, nl: true });
    await c.subscribeAsync('nl/other', { qos: 0 });
    await c.publishAsync('nl/own', 'mine');
    await c.publishAsync('nl/other', 'echo');
    const got = await inbox.waitFor(1);
    assert.deepEqual(got.map((m) => m.topic), ['nl/other']);
    await endMqttJs(c);
  });

  it('Retain As Published keeps the RETAIN flag on forwarded messages; without it RETAIN is cleared [MQTT-3.3.1-12] [MQTT-3.3.1-13]', async () => {
    const rap = await connectMqttJs(midge.port, { protocolVersion: 5 });
    const plain = await connectMqttJs(midge.port, { protocolVersion: 5 });
    const rapInbox = collect(rap);
    const plainInbox = collect(plain);
    await rap.subscribeAsync('rap/t', { qos: 0, rap: true });
    await plain.subscribeAsync('rap/t', { qos: 0 });
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('rap/t', 'kept', { retain: true });
    assert.equal((await rapInbox.waitFor(1))[0]!.packet.retain, true);
    assert.equal((await plainInbox.waitFor(1))[0]!.packet.retain, false);
    await pub.publishAsync('rap/t', '', { retain: true });
    await Promise.all([endMqttJs(rap), endMqttJs(plain), endMqttJs(pub)]);
  });

  it('Retain Handling 0 sends retained messages on every subscribe, 1 only on a new subscription, 2 never [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11]', async () => {
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('rh/t', 'retained', { retain: true, qos: 1 });
    const counts: number[] = [];
    for (const rh of [0, 1, 2] as const) {
      const { client } = await RawClient.connect(midge.port, { version: 5 });
      for (let round = 1; round <= 2; round++) {
        client.send({ type: PacketType.SUBSCRIBE, packetId: round, subscriptions: [{ topicFilter: 'rh/#', qos: 0, retainHandling: rh }] });
        await client.waitForPacket(PacketType.SUBACK);
      }
      await client.quietFor(150);
      counts.push(client.pending().filter((p) => p.type === PacketType.PUBLISH).length);
      await client.close();
    }
    assert.deepEqual(counts, [2, 1, 0]);
    await pub.publishAsync('rh/t', '', { retain: true, qos: 1 });
    await endMqttJs(pub);
  });

  it('overlapping subscriptions give one PUBLISH carrying every matching Subscription Identifier [MQTT-3.3.4-3] [MQTT-3.3.4-4]', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5 });
    client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'sid/+', qos: 1 }], properties: { subscriptionIdentifiers: [7] } });
    await client.expect(PacketType.SUBACK);
    client.send({ type: PacketType.SUBSCRIBE, packetId: 2, subscriptions: [{ topicFilter: 'sid/#', qos: 0 }], properties: { subscriptionIdentifiers: [300] } });
    await client.expect(PacketType.SUBACK);
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('sid/x', 'both', { qos: 1 });
    const p = await client.expect(PacketType.PUBLISH);
    assert.deepEqual([...(p.properties?.subscriptionIdentifiers ?? [])].sort((a, b) => a - b), [7, 300]);
    assert.equal(p.qos, 1, 'the highest QoS of the matching subscriptions [MQTT-3.3.4-2]');
    assert.ok(await client.quietFor(150), 'one PUBLISH only');
    await client.close();
    await endMqttJs(pub);
  });

  it('MQTT.js receives the Subscription Identifier of the subscription a message matched', async () => {
    const c = await connectMqttJs(midge.port, { protocolVersion: 5 });
    const inbox = collect(c);
    await c.subscribeAsync('sidjs/#', { qos: 0, properties: { subscriptionIdentifier: 42 } });
    await c.publishAsync('sidjs/a', 'x');
    const [m] = await inbox.waitFor(1);
    assert.deepEqual(m!.packet.properties?.subscriptionIdentifier, 42);
    await endMqttJs(c);
  });

  it('refuses a malformed shared subscription name with 0x8F in the SUBACK [MQTT-4.8.2-1] [MQTT-4.8.2-2]', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5 });
    client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [
      { topicFilter: '$share//x', qos: 0 }, { topicFilter: '$share/g+/x', qos: 0 }, { topicFilter: '$share/g', qos: 0 }, { topicFilter: '$share/ok/x', qos: 1 },
    ] });
    const suback = await client.expect(PacketType.SUBACK);
    assert.deepEqual(suback.reasonCodes, [0x8f, 0x8f, 0x8f, 1]);
    await client.close();
  });
});
