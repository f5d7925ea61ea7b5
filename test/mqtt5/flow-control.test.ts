import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type IConnackPacket } from 'mqtt';
import { PacketType } from '../../src/protocol/index.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawClient } from '../helpers/raw-client.js';

describe('MQTT 5 flow control and maximum packet size', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge({ broker: { limits: { maxInflightMessages: 3, maxPacketSize: 2048 } } });
  });
  after(() => midge.stop());

  it('advertises its Receive Maximum and Maximum Packet Size in CONNACK, as MQTT.js sees them', async () => {
    const client = mqtt.connect({ host: '127.0.0.1', port: midge.port, protocolVersion: 5, reconnectPeriod: 0 });
    const connack = await new Promise<IConnackPacket>((resolve) => client.once('connect', resolve));
    assert.equal(connack.properties?.receiveMaximum, 3);
    assert.equal(connack.properties?.maximumPacketSize, 2048);
    await endMqttJs(client);
  });

  it('disconnects a client that exceeds our Receive Maximum with 0x93 (section 3.3.4) [MQTT-3.3.4-7]', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5 });
    // QoS 2 publishes stay unacknowledged until PUBREL: the fourth is one too many.
    for (let id = 1; id <= 4; id++) {
      client.send({ type: PacketType.PUBLISH, topic: 'fc/x', payload: Buffer.from('x'), qos: 2, retain: false, dup: false, packetId: id });
    }
    let disconnect;
    while (!disconnect) {
      const p = await client.next();
      if (p.type === PacketType.DISCONNECT) disconnect = p;
    }
    assert.equal(disconnect.reasonCode, 0x93);
    await client.waitClosed();
  });

  it("respects the client's Receive Maximum: no more unacknowledged QoS 1 deliveries than it allows [MQTT-3.3.4-9]", async () => {
    const { client: sub } = await RawClient.connect(midge.port, { version: 5, properties: { receiveMaximum: 2 } });
    sub.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'rm/#', qos: 1 }] });
    await sub.expect(PacketType.SUBACK);
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    for (let i = 0; i < 5; i++) await pub.publishAsync('rm/t', `m${i}`, { qos: 1 });
    const first = await sub.expect(PacketType.PUBLISH);
    const second = await sub.expect(PacketType.PUBLISH);
    assert.ok(await sub.quietFor(200), 'a third delivery waits for an acknowledgement');
    sub.send({ type: PacketType.PUBACK, packetId: first.packetId! });
    const third = await sub.expect(PacketType.PUBLISH);
    assert.deepEqual([first, second, third].map((p) => p.payload.toString()), ['m0', 'm1', 'm2']);
    await sub.close();
    await endMqttJs(pub);
  });

  it('disconnects a client that sends a packet above our maximum with 0x95 [MQTT-3.2.2-15]', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5 });
    client.send({ type: PacketType.PUBLISH, topic: 'big', payload: Buffer.alloc(4096), qos: 0, retain: false, dup: false });
    const disconnect = await client.expect(PacketType.DISCONNECT);
    assert.equal(disconnect.reasonCode, 0x95);
    await client.waitClosed();
  });

  it("never sends a client a packet above its Maximum Packet Size, and still sends the ones that fit [MQTT-3.1.2-24] [MQTT-3.1.2-25]", async () => {
    const sub = await connectMqttJs(midge.port, { protocolVersion: 5, properties: { maximumPacketSize: 200 } });
    const inbox = collect(sub);
    await sub.subscribeAsync('mps/#', { qos: 1 });
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('mps/a', Buffer.alloc(500, 1), { qos: 1 });
    await pub.publishAsync('mps/b', 'small', { qos: 1 });
    const got = await inbox.waitFor(1);
    assert.equal(got[0]!.topic, 'mps/b');
    assert.equal(midge.server.broker.stats.droppedByReason.get('too-large'), 1);
    await endMqttJs(sub);
    await endMqttJs(pub);
  });
});
