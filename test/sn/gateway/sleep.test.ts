import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { QoS } from '../../../src/protocol/index.js';
import { startSnGateway, type SnGateway } from '../../../src/sn/gateway/index.js';
import { SN_PROTOCOL_ID, SnMsgType } from '../../../src/sn/protocol/index.js';
import { collect, connectMqttJs, endMqttJs } from '../../helpers/mqttjs.js';
import { collectSn, connectSnClient, fastTimers, RawSnClient, serveUntil, startSnMidge, uniq, waitUntil, type SnMidge } from './helpers.js';

function publishMqtt(client: MqttClient, topic: string, payload: string, qos: QoS): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos }, (err) => (err ? reject(err) : resolve())));
}

/** Connects, subscribes to `filter` at QoS 2 and goes to sleep for `seconds`. */
async function sleepingClient(port: number, clientId: string, filter: string, seconds: number): Promise<RawSnClient> {
  const raw = await RawSnClient.open(port);
  await raw.connect(clientId);
  raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 2, msgId: 1, topic: { topicIdType: 'normal', topicName: filter } });
  await raw.expect(SnMsgType.SUBACK);
  raw.send({ type: SnMsgType.DISCONNECT, duration: seconds });
  assert.deepEqual(await raw.expect(SnMsgType.DISCONNECT), { type: SnMsgType.DISCONNECT }, 'DISCONNECT is acknowledged with DISCONNECT');
  return raw;
}

describe('MQTT-SN sleeping clients [MQTT-SN-1.2 6.14]', () => {
  let sn: SnMidge;
  let mqtt: MqttClient;
  before(async () => {
    sn = await startSnMidge({ keepAliveTolerance: 1 });
    mqtt = await connectMqttJs(sn.mqttPort);
  });
  after(async () => {
    await endMqttJs(mqtt);
    await sn.stop();
  });

  it('buffers messages at every QoS while a client sleeps and delivers them, registering topics first, when it wakes with PINGREQ, then PINGRESP', async () => {
    const clientId = uniq('sleeper');
    const base = uniq('sleep');
    const raw = await sleepingClient(sn.snPort, clientId, `${base}/#`, 30);
    await publishMqtt(mqtt, `${base}/one`, 'a', 0);
    await publishMqtt(mqtt, `${base}/two`, 'b', 1);
    await publishMqtt(mqtt, `${base}/one`, 'c', 2);
    assert.equal(await raw.quietFor(300), true, 'nothing is sent to a sleeping client');
    raw.send({ type: SnMsgType.PINGREQ, clientId });
    const woken = await serveUntil(raw, SnMsgType.PINGRESP);
    assert.deepEqual(woken.map((p) => [p.data.toString(), p.qos]), [['a', 0], ['b', 1], ['c', 2]]);
    await publishMqtt(mqtt, `${base}/two`, 'd', 1);
    assert.equal(await raw.quietFor(300), true, 'after PINGRESP the client is asleep again');
    raw.send({ type: SnMsgType.PINGREQ, clientId });
    const again = await serveUntil(raw, SnMsgType.PINGRESP);
    assert.deepEqual(again.map((p) => p.data.toString()), ['d']);
    raw.send({ type: SnMsgType.DISCONNECT });
    await raw.expect(SnMsgType.DISCONNECT);
    await raw.close();
  });

  it('answers PINGREQ with the client id of a sleeping client with nothing buffered with PINGRESP alone', async () => {
    const clientId = uniq('idle-sleeper');
    const raw = await sleepingClient(sn.snPort, clientId, uniq('nothing'), 30);
    raw.send({ type: SnMsgType.PINGREQ, clientId });
    assert.deepEqual(await raw.next(), { type: SnMsgType.PINGRESP });
    await raw.close();
  });

  it('counts a client whose sleep runs out as lost and publishes its will', async () => {
    const willTopic = uniq('sleep-will');
    const inbox = collect(mqtt);
    await new Promise<void>((resolve) => mqtt.subscribe(willTopic, { qos: 1 }, () => resolve()));
    const raw = await RawSnClient.open(sn.snPort);
    raw.send({ type: SnMsgType.CONNECT, will: true, cleanSession: true, protocolId: SN_PROTOCOL_ID, duration: 60, clientId: uniq('overslept') });
    await raw.expect(SnMsgType.WILLTOPICREQ);
    raw.send({ type: SnMsgType.WILLTOPIC, will: { qos: 1, retain: false, topic: willTopic } });
    await raw.expect(SnMsgType.WILLMSGREQ);
    raw.send({ type: SnMsgType.WILLMSG, willMessage: Buffer.from('overslept') });
    await raw.expect(SnMsgType.CONNACK);
    await raw.proveAddress();
    raw.send({ type: SnMsgType.DISCONNECT, duration: 1 });
    await raw.expect(SnMsgType.DISCONNECT);
    const [will] = await inbox.waitFor(1, 5000);
    assert.deepEqual([will!.topic, will!.payload.toString()], [willTopic, 'overslept']);
    await raw.close();
  });

  it('lets an SnClient sleep and collect what was published meanwhile when it wakes up', async () => {
    const topic = uniq('snclient/sleep');
    const client = await connectSnClient(sn);
    const inbox = collectSn(client);
    await client.subscribe(topic, 1);
    await client.sleep(30);
    await publishMqtt(mqtt, topic, 'while asleep', 1);
    await client.wake();
    assert.deepEqual(inbox.messages.map((m) => m.payload), ['while asleep']);
    await client.disconnect();
    await client.close();
  });
});

describe('MQTT-SN sleeping client buffer limit', () => {
  let sn: SnMidge;
  let small: SnGateway;
  before(async () => {
    sn = await startSnMidge();
    small = await startSnGateway(sn.midge.server.broker, { ...fastTimers, port: 0, host: '127.0.0.1', maxBufferedPerSleepingClient: 2 });
  });
  after(async () => {
    await small.close();
    await sn.stop();
  });

  it('keeps at most maxBufferedPerSleepingClient QoS 0 messages for a sleeping client, the oldest first', async () => {
    const clientId = uniq('small-buffer');
    const topic = uniq('buffered');
    const raw = await sleepingClient(small.port, clientId, topic, 30);
    const mqtt = await connectMqttJs(sn.mqttPort);
    for (const payload of ['1', '2', '3', '4']) await publishMqtt(mqtt, topic, payload, 0);
    const dropped = () => sn.midge.server.broker.stats.droppedByReason.get('queue-full') ?? 0;
    await waitUntil(() => dropped() >= 2, 2000, 'two dropped messages');
    raw.send({ type: SnMsgType.PINGREQ, clientId });
    const woken = await serveUntil(raw, SnMsgType.PINGRESP);
    assert.deepEqual(woken.map((p) => p.data.toString()), ['1', '2']);
    await endMqttJs(mqtt);
    await raw.close();
  });
});
