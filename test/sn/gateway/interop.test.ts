import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { QoS } from '../../../src/protocol/index.js';
import { SnMsgType, SnReturnCode } from '../../../src/sn/protocol/index.js';
import { collect, connectMqttJs, endMqttJs } from '../../helpers/mqttjs.js';
import { collectSn, connectSnClient, RawSnClient, startSnMidge, uniq, type SnMidge } from './helpers.js';

const PREDEFINED_ID = 0x0101;
const PREDEFINED_TOPIC = 'sensors/predefined';

function subscribeMqtt(client: MqttClient, filter: string, qos: QoS = 2): Promise<void> {
  return new Promise((resolve, reject) => client.subscribe(filter, { qos }, (err) => (err ? reject(err) : resolve())));
}

function publishMqtt(client: MqttClient, topic: string, payload: string, qos: QoS, retain = false): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos, retain }, (err) => (err ? reject(err) : resolve())));
}

describe('MQTT-SN and MQTT clients exchange messages through one broker', () => {
  let sn: SnMidge;
  before(async () => {
    sn = await startSnMidge({ predefinedTopics: new Map([[PREDEFINED_ID, PREDEFINED_TOPIC]]) });
  });
  after(() => sn.stop());

  for (const qos of [0, 1, 2] as const) {
    it(`delivers an MQTT client's QoS ${qos} message to an SN subscriber under the topic id of its SUBACK [MQTT-SN-1.2 6.9]`, async () => {
      const topic = uniq('interop/down');
      const client = await connectSnClient(sn);
      const inbox = collectSn(client);
      const suback = await client.subscribe(topic, qos);
      assert.notEqual(suback.topicId, 0, 'a topic name without wildcards gets a topic id');
      assert.notEqual(suback.topicId, 0xffff);
      const mqtt = await connectMqttJs(sn.mqttPort);
      await publishMqtt(mqtt, topic, `down-${qos}`, qos);
      await inbox.waitFor(1);
      assert.deepEqual(inbox.messages, [{ topic, payload: `down-${qos}`, qos, retain: false }]);
      await endMqttJs(mqtt);
      await client.disconnect();
      await client.close();
    });

    it(`delivers an SN client's QoS ${qos} message, published under a registered topic id, to an MQTT subscriber [MQTT-SN-1.2 6.5, 6.6]`, async () => {
      const topic = uniq('interop/up');
      const mqtt = await connectMqttJs(sn.mqttPort);
      const inbox = collect(mqtt);
      await subscribeMqtt(mqtt, topic);
      const client = await connectSnClient(sn);
      await client.publish(topic, Buffer.from(`up-${qos}`), qos);
      const [got] = await inbox.waitFor(1);
      assert.equal(got!.topic, topic);
      assert.equal(got!.payload.toString(), `up-${qos}`);
      assert.equal(got!.packet.qos, qos);
      await client.disconnect();
      await client.close();
      await endMqttJs(mqtt);
    });
  }

  it('routes predefined topic ids both ways without REGISTER [MQTT-SN-1.2 6.7]', async () => {
    const mqtt = await connectMqttJs(sn.mqttPort);
    const mqttInbox = collect(mqtt);
    await subscribeMqtt(mqtt, PREDEFINED_TOPIC, 1);
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('predef'));
    raw.send({ type: SnMsgType.PUBLISH, dup: false, qos: 1, retain: false, topic: { topicIdType: 'predefined', topicId: PREDEFINED_ID }, msgId: 3, data: Buffer.from('up') });
    assert.deepEqual(await raw.expect(SnMsgType.PUBACK), { type: SnMsgType.PUBACK, topicId: PREDEFINED_ID, msgId: 3, returnCode: 0 });
    const [up] = await mqttInbox.waitFor(1);
    assert.equal(up!.topic, PREDEFINED_TOPIC);
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 1, msgId: 4, topic: { topicIdType: 'predefined', topicId: PREDEFINED_ID } });
    const suback = await raw.expect(SnMsgType.SUBACK);
    assert.deepEqual([suback.topicId, suback.returnCode], [PREDEFINED_ID, 0], 'SUBACK carries the predefined id');
    await publishMqtt(mqtt, PREDEFINED_TOPIC, 'down', 1);
    const down = await raw.expect(SnMsgType.PUBLISH);
    assert.deepEqual(down.topic, { topicIdType: 'predefined', topicId: PREDEFINED_ID }, 'no REGISTER: the PUBLISH uses the predefined id');
    assert.equal(down.data.toString(), 'down');
    raw.send({ type: SnMsgType.PUBACK, topicId: PREDEFINED_ID, msgId: down.msgId, returnCode: 0 });
    await raw.close();
    await endMqttJs(mqtt);
  });

  it('routes two-character short topic names both ways, with SUBACK topic id 0 [MQTT-SN-1.2 5.4.16, 6.7]', async () => {
    const short = `s${String.fromCharCode(65 + (process.pid % 26))}`;
    const mqtt = await connectMqttJs(sn.mqttPort);
    const mqttInbox = collect(mqtt);
    await subscribeMqtt(mqtt, short, 0);
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('short'));
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 0, msgId: 1, topic: { topicIdType: 'short', topicName: short } });
    const suback = await raw.expect(SnMsgType.SUBACK);
    assert.deepEqual([suback.topicId, suback.returnCode], [0, 0]);
    raw.send({ type: SnMsgType.PUBLISH, dup: false, qos: 0, retain: false, topic: { topicIdType: 'short', topicName: short }, msgId: 0, data: Buffer.from('sn') });
    const echoed = await raw.expect(SnMsgType.PUBLISH);
    assert.deepEqual(echoed.topic, { topicIdType: 'short', topicName: short });
    const [fromSn] = await mqttInbox.waitFor(1);
    assert.deepEqual([fromSn!.topic, fromSn!.payload.toString()], [short, 'sn']);
    await publishMqtt(mqtt, short, 'mqtt', 0);
    const down = await raw.expect(SnMsgType.PUBLISH);
    assert.deepEqual([down.topic, down.data.toString()], [{ topicIdType: 'short', topicName: short }, 'mqtt']);
    await raw.close();
    await endMqttJs(mqtt);
  });

  it('gives an SN subscriber the retained message of an MQTT publisher, with the retain flag, and the other way round', async () => {
    const fromMqtt = uniq('retained/mqtt');
    const fromSn = uniq('retained/sn');
    const mqtt = await connectMqttJs(sn.mqttPort);
    await publishMqtt(mqtt, fromMqtt, 'kept', 1, true);
    const publisher = await connectSnClient(sn);
    await publisher.publish(fromSn, Buffer.from('kept too'), 1, true);
    const subscriber = await connectSnClient(sn);
    const inbox = collectSn(subscriber);
    await subscriber.subscribe(fromMqtt, 1);
    await inbox.waitFor(1);
    assert.deepEqual(inbox.messages, [{ topic: fromMqtt, payload: 'kept', qos: 1, retain: true }]);
    const mqttInbox = collect(mqtt);
    await subscribeMqtt(mqtt, fromSn, 1);
    const [got] = await mqttInbox.waitFor(1);
    assert.deepEqual([got!.topic, got!.payload.toString(), got!.packet.retain], [fromSn, 'kept too', true]);
    for (const c of [publisher, subscriber]) {
      await c.disconnect();
      await c.close();
    }
    await endMqttJs(mqtt);
  });

  it('answers a wildcard SUBSCRIBE with topic id 0 and REGISTERs each matching topic, waiting for REGACK before the PUBLISH [MQTT-SN-1.2 6.10]', async () => {
    const base = uniq('wild');
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('wild'));
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 1, msgId: 9, topic: { topicIdType: 'normal', topicName: `${base}/+` } });
    assert.deepEqual(await raw.expect(SnMsgType.SUBACK), { type: SnMsgType.SUBACK, qos: 1, topicId: 0, msgId: 9, returnCode: 0 });
    const mqtt = await connectMqttJs(sn.mqttPort);
    await publishMqtt(mqtt, `${base}/kitchen`, 'first', 1);
    const register = await raw.expect(SnMsgType.REGISTER);
    assert.equal(register.topicName, `${base}/kitchen`);
    assert.ok(register.topicId > 0 && register.topicId < 0xffff, 'a topic id is never 0x0000 or 0xFFFF [MQTT-SN-1.2 5.3.11]');
    assert.equal(await raw.quietFor(200), true, 'no PUBLISH before the REGACK');
    raw.send({ type: SnMsgType.REGACK, topicId: register.topicId, msgId: register.msgId, returnCode: 0 });
    const first = await raw.expect(SnMsgType.PUBLISH);
    assert.deepEqual([first.topic, first.data.toString(), first.qos], [{ topicIdType: 'normal', topicId: register.topicId }, 'first', 1]);
    raw.send({ type: SnMsgType.PUBACK, topicId: register.topicId, msgId: first.msgId, returnCode: 0 });
    await publishMqtt(mqtt, `${base}/kitchen`, 'second', 1);
    const second = await raw.expect(SnMsgType.PUBLISH);
    assert.deepEqual(second.topic, { topicIdType: 'normal', topicId: register.topicId }, 'a registered topic is not registered again');
    raw.send({ type: SnMsgType.PUBACK, topicId: register.topicId, msgId: second.msgId, returnCode: 0 });
    await raw.close();
    await endMqttJs(mqtt);
  });

  it('answers a PUBLISH to a topic id it does not know with PUBACK "rejected: invalid topic ID" at QoS 0, 1 and 2 [MQTT-SN-1.2 6.6]', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('unknown-id'));
    const topics = [{ topicIdType: 'normal', topicId: 4242 }, { topicIdType: 'predefined', topicId: 4243 }] as const;
    for (const topic of topics) {
      for (const qos of [0, 1, 2] as const) {
        raw.send({ type: SnMsgType.PUBLISH, dup: false, qos, retain: false, topic, msgId: 10 + qos, data: Buffer.from('x') });
        const puback = await raw.expect(SnMsgType.PUBACK);
        assert.deepEqual(puback, { type: SnMsgType.PUBACK, topicId: topic.topicId, msgId: 10 + qos, returnCode: SnReturnCode.REJECTED_INVALID_TOPIC_ID });
      }
    }
    await raw.close();
  });

  it('routes a QoS 2 PUBLISH sent again before PUBREL only once [MQTT-SN-1.2 6.6]', async () => {
    const topic = uniq('qos2/dup');
    const mqtt = await connectMqttJs(sn.mqttPort);
    const inbox = collect(mqtt);
    await subscribeMqtt(mqtt, topic, 2);
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('qos2'));
    raw.send({ type: SnMsgType.REGISTER, topicId: 0, msgId: 1, topicName: topic });
    const regack = await raw.expect(SnMsgType.REGACK);
    const publish = { type: SnMsgType.PUBLISH, dup: false, qos: 2, retain: false, topic: { topicIdType: 'normal', topicId: regack.topicId }, msgId: 77, data: Buffer.from('once') } as const;
    raw.send(publish);
    assert.deepEqual(await raw.expect(SnMsgType.PUBREC), { type: SnMsgType.PUBREC, msgId: 77 });
    raw.send({ ...publish, dup: true });
    assert.deepEqual(await raw.expect(SnMsgType.PUBREC), { type: SnMsgType.PUBREC, msgId: 77 });
    raw.send({ type: SnMsgType.PUBREL, msgId: 77 });
    assert.deepEqual(await raw.expect(SnMsgType.PUBCOMP), { type: SnMsgType.PUBCOMP, msgId: 77 });
    await inbox.waitFor(1);
    assert.equal(await raw.quietFor(200), true);
    assert.equal(inbox.messages.length, 1, 'the repeated PUBLISH was not routed again');
    await raw.close();
    await endMqttJs(mqtt);
  });
});
