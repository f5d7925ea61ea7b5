import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { startSnGateway } from '../../../src/sn/gateway/index.js';
import {
  decodeSnDatagram, encodeSnMessage, SN_PROTOCOL_ID, SnMsgType, SnReturnCode, type SnPlainMessage,
} from '../../../src/sn/protocol/index.js';
import { SnClient } from '../../../src/sn/client/index.js';
import { collect, connectMqttJs, endMqttJs } from '../../helpers/mqttjs.js';
import { plainMessage } from '../protocol/arbitraries.js';
import { collectSn, connectSnClient, RawSnClient, startSnMidge, uniq, type SnMidge } from './helpers.js';

const PREDEFINED_ID = 0x0202;
const PREDEFINED_TOPIC = `predefined-${process.pid}`;

function subscribeMqtt(client: MqttClient, filter: string): Promise<void> {
  return new Promise((resolve, reject) => client.subscribe(filter, { qos: 0 }, (err) => (err ? reject(err) : resolve())));
}

describe('MQTT-SN without a connection', () => {
  let sn: SnMidge;
  let mqtt: MqttClient;
  before(async () => {
    sn = await startSnMidge({ gatewayId: 42, predefinedTopics: new Map([[PREDEFINED_ID, PREDEFINED_TOPIC]]) });
    mqtt = await connectMqttJs(sn.mqttPort);
  });
  after(async () => {
    await endMqttJs(mqtt);
    await sn.stop();
  });

  it('answers SEARCHGW with GWINFO carrying the gateway id, no larger than the SEARCHGW [MQTT-SN-1.2 6.1]', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    raw.send({ type: SnMsgType.SEARCHGW, radius: 1 });
    assert.deepEqual(await raw.next(), { type: SnMsgType.GWINFO, gwId: 42 });
    assert.ok(raw.receivedSizes[0]! <= encodeSnMessage({ type: SnMsgType.SEARCHGW, radius: 1 }).length);
    await raw.close();
  });

  it('broadcasts ADVERTISE with its gateway id every advertise interval, when one is set [MQTT-SN-1.2 6.1]', async () => {
    const listener = createSocket('udp4');
    const got: SnPlainMessage[] = [];
    listener.on('message', (d) => got.push(decodeSnDatagram(d).message));
    await new Promise<void>((resolve) => listener.bind(0, '127.0.0.1', () => resolve()));
    const gateway = await startSnGateway(sn.midge.server.broker, {
      port: 0, host: '127.0.0.1', gatewayId: 7, advertiseInterval: 1, advertiseAddress: '127.0.0.1', advertisePort: listener.address().port,
    });
    const deadline = Date.now() + 4000;
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await gateway.close();
    listener.close();
    assert.deepEqual(got.slice(0, 2), [
      { type: SnMsgType.ADVERTISE, gwId: 7, duration: 1 },
      { type: SnMsgType.ADVERTISE, gwId: 7, duration: 1 },
    ]);
  });

  it('routes a QoS -1 PUBLISH with a predefined topic id or a short topic name from an address with no connection [MQTT-SN-1.2 6.8]', async () => {
    const inbox = collect(mqtt);
    await subscribeMqtt(mqtt, PREDEFINED_TOPIC);
    await subscribeMqtt(mqtt, 'q1');
    const options = { host: '127.0.0.1', port: sn.snPort, tRetry: 1, nRetry: 0 };
    await SnClient.publishQosMinusOne(options, { predefinedId: PREDEFINED_ID }, Buffer.from('by id'));
    await SnClient.publishQosMinusOne(options, 'q1', Buffer.from('by short name'));
    await inbox.waitFor(2);
    const got = inbox.messages.map((m) => [m.topic, m.payload.toString()]).sort();
    assert.deepEqual(got, [[PREDEFINED_TOPIC, 'by id'], ['q1', 'by short name']]);
  });

  it('answers a QoS -1 PUBLISH to an unknown predefined id with PUBACK "rejected: invalid topic ID", no larger than the PUBLISH', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    const publish: SnPlainMessage = { type: SnMsgType.PUBLISH, dup: false, qos: -1, retain: false, topic: { topicIdType: 'predefined', topicId: 999 }, msgId: 0, data: Buffer.alloc(0) };
    raw.send(publish);
    assert.deepEqual(await raw.next(), { type: SnMsgType.PUBACK, topicId: 999, msgId: 0, returnCode: SnReturnCode.REJECTED_INVALID_TOPIC_ID });
    assert.ok(raw.receivedSizes[0]! <= encodeSnMessage(publish).length);
    await raw.close();
  });

  it('answers messages that need a connection, from an unknown address, with DISCONNECT only [MQTT-SN-1.2 6.12]', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    raw.send({ type: SnMsgType.PUBLISH, dup: false, qos: 1, retain: false, topic: { topicIdType: 'normal', topicId: 1 }, msgId: 5, data: Buffer.from('x') });
    assert.deepEqual(await raw.next(), { type: SnMsgType.DISCONNECT });
    raw.send({ type: SnMsgType.PINGREQ });
    assert.deepEqual(await raw.next(), { type: SnMsgType.DISCONNECT });
    // Gateway messages and acknowledgements are never answered: two gateways cannot ping-pong.
    raw.send({ type: SnMsgType.DISCONNECT });
    raw.send({ type: SnMsgType.PUBACK, topicId: 1, msgId: 1, returnCode: 0 });
    raw.send({ type: SnMsgType.ADVERTISE, gwId: 1, duration: 10 });
    assert.equal(await raw.quietFor(300), true);
    await raw.close();
  });

  it('never answers a message from an address with no connection with more bytes than it carried', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    const marker: SnPlainMessage = { type: SnMsgType.SEARCHGW, radius: 0 };
    const noConnect = plainMessage.filter((m) => m.type !== SnMsgType.CONNECT && m.type !== SnMsgType.SEARCHGW);
    await fc.assert(fc.asyncProperty(noConnect, async (message) => {
      const bytes = encodeSnMessage(message);
      const before = raw.received.length;
      raw.sendBytes(bytes);
      // Datagrams are handled in order: the GWINFO answering the marker closes the replies to `message`.
      raw.send(marker);
      while ((await raw.next()).type !== SnMsgType.GWINFO);
      const replies = raw.receivedSizes.slice(before, raw.received.length - 1);
      for (const size of replies) assert.ok(size <= bytes.length, `a ${size}-byte answer to a ${bytes.length}-byte ${JSON.stringify(message)}`);
    }), { numRuns: 150 });
    await raw.close();
  });

  it('answers a CONNECT with a CONNACK or WILLTOPICREQ no larger than the CONNECT', async () => {
    for (const will of [false, true]) {
      const raw = await RawSnClient.open(sn.snPort);
      const connect: SnPlainMessage = { type: SnMsgType.CONNECT, will, cleanSession: true, protocolId: SN_PROTOCOL_ID, duration: 10, clientId: 'c' };
      raw.send(connect);
      await raw.next();
      assert.ok(raw.receivedSizes[0]! <= encodeSnMessage(connect).length);
      await raw.close();
    }
  });
});

describe('MQTT-SN through a forwarder [MQTT-SN-1.2 5.5]', () => {
  let sn: SnMidge;
  before(async () => {
    sn = await startSnMidge();
  });
  after(() => sn.stop());

  it('serves clients behind one forwarder as separate clients and answers each encapsulated with its node id', async () => {
    const nodeA = { radius: 0, wirelessNodeId: Buffer.from('0a01', 'hex') };
    const nodeB = { radius: 0, wirelessNodeId: Buffer.from('0b02', 'hex') };
    const forwarder = await RawSnClient.open(sn.snPort, '127.0.0.1', nodeA);
    await forwarder.connect(uniq('node-a'));
    assert.deepEqual(forwarder.forwarders.at(-1), nodeA, 'CONNACK comes back encapsulated for node A');
    forwarder.forwarder = nodeB;
    await forwarder.connect(uniq('node-b'));
    assert.deepEqual(forwarder.forwarders.at(-1), nodeB, 'CONNACK comes back encapsulated for node B');
    const topicA = uniq('fwd/a');
    forwarder.forwarder = nodeA;
    forwarder.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 0, msgId: 1, topic: { topicIdType: 'normal', topicName: topicA } });
    const suback = await forwarder.expect(SnMsgType.SUBACK);
    const mqtt = await connectMqttJs(sn.mqttPort);
    await new Promise<void>((resolve) => mqtt.publish(topicA, 'for node A', { qos: 0 }, () => resolve()));
    const publish = await forwarder.expect(SnMsgType.PUBLISH);
    assert.deepEqual(publish.topic, { topicIdType: 'normal', topicId: suback.topicId });
    assert.deepEqual(forwarder.forwarders.at(-1), nodeA, 'the PUBLISH goes to node A only');
    assert.equal(await forwarder.quietFor(200), true, 'node B did not subscribe');
    await endMqttJs(mqtt);
    await forwarder.close();
  });

  it('answers SEARCHGW through a forwarder encapsulated with the same node id', async () => {
    const node = { radius: 1, wirelessNodeId: Buffer.from([1, 2, 3]) };
    const raw = await RawSnClient.open(sn.snPort, '127.0.0.1', node);
    raw.send({ type: SnMsgType.SEARCHGW, radius: 1 });
    assert.deepEqual(await raw.next(), { type: SnMsgType.GWINFO, gwId: 1 });
    assert.deepEqual(raw.forwarders[0], node);
    await raw.close();
  });
});

describe('MQTT-SN over IPv6', () => {
  it('exchanges messages between an SN client on ::1 and an MQTT client', async (t) => {
    let sn: SnMidge;
    try {
      sn = await startSnMidge({ host: '::1' });
    } catch (err) {
      t.skip(`no IPv6 loopback here: ${(err as Error).message}`);
      return;
    }
    try {
      const topic = uniq('v6');
      const client = await connectSnClient(sn);
      const inbox = collectSn(client);
      await client.subscribe(topic, 1);
      const mqtt = await connectMqttJs(sn.mqttPort);
      const mqttInbox = collect(mqtt);
      await subscribeMqtt(mqtt, `${topic}/up`);
      await new Promise<void>((resolve) => mqtt.publish(topic, 'to v6', { qos: 1 }, () => resolve()));
      await client.publish(`${topic}/up`, Buffer.from('from v6'), 1);
      await inbox.waitFor(1);
      await mqttInbox.waitFor(1);
      assert.deepEqual(inbox.messages.map((m) => m.payload), ['to v6']);
      assert.equal(mqttInbox.messages[0]!.payload.toString(), 'from v6');
      await endMqttJs(mqtt);
      await client.disconnect();
      await client.close();
    } finally {
      await sn.stop();
    }
  });
});
