import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { QoS } from '../../../src/protocol/index.js';
import { SN_PROTOCOL_ID, SnMsgType, SnReturnCode } from '../../../src/sn/protocol/index.js';
import { collect, connectMqttJs, endMqttJs } from '../../helpers/mqttjs.js';
import { RawSnClient, startSnMidge, uniq, type SnMidge } from './helpers.js';

function publishMqtt(client: MqttClient, topic: string, payload: string, qos: QoS): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos }, (err) => (err ? reject(err) : resolve())));
}

/** A connected raw client subscribed to one topic name; resolves with its topic id. */
async function subscribed(raw: RawSnClient, topic: string, qos: QoS): Promise<number> {
  await raw.connect(uniq('retry'));
  raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos, msgId: 1, topic: { topicIdType: 'normal', topicName: topic } });
  return (await raw.expect(SnMsgType.SUBACK)).topicId;
}

describe('MQTT-SN gateway retransmission [MQTT-SN-1.2 6.13]', () => {
  let sn: SnMidge;
  let mqtt: MqttClient;
  before(async () => {
    // Tretry 0.3 s, Nretry 2 (see fastTimers).
    sn = await startSnMidge();
    mqtt = await connectMqttJs(sn.mqttPort);
  });
  after(async () => {
    await endMqttJs(mqtt);
    await sn.stop();
  });

  it('sends an unacknowledged QoS 1 PUBLISH again after Tretry with DUP set, and stops once PUBACK comes', async () => {
    const topic = uniq('retry/qos1');
    const raw = await RawSnClient.open(sn.snPort);
    const topicId = await subscribed(raw, topic, 1);
    await publishMqtt(mqtt, topic, 'again', 1);
    const first = await raw.expect(SnMsgType.PUBLISH);
    assert.equal(first.dup, false);
    const second = await raw.expect(SnMsgType.PUBLISH);
    assert.deepEqual([second.dup, second.msgId, second.data.toString()], [true, first.msgId, 'again']);
    raw.send({ type: SnMsgType.PUBACK, topicId, msgId: first.msgId, returnCode: SnReturnCode.ACCEPTED });
    assert.equal(await raw.quietFor(700), true, 'no more retransmissions after PUBACK');
    await raw.close();
  });

  it('sends an unanswered REGISTER again with the same MsgId', async () => {
    const base = uniq('retry/register');
    const raw = await RawSnClient.open(sn.snPort);
    await subscribed(raw, `${base}/+`, 0);
    await publishMqtt(mqtt, `${base}/x`, 'reg', 0);
    const first = await raw.expect(SnMsgType.REGISTER);
    const second = await raw.expect(SnMsgType.REGISTER);
    assert.deepEqual(second, first);
    raw.send({ type: SnMsgType.REGACK, topicId: first.topicId, msgId: first.msgId, returnCode: 0 });
    const publish = await raw.expect(SnMsgType.PUBLISH);
    assert.equal(publish.data.toString(), 'reg');
    await raw.close();
  });

  it('completes a QoS 2 delivery with PUBREL sent again until PUBCOMP comes', async () => {
    const topic = uniq('retry/qos2');
    const raw = await RawSnClient.open(sn.snPort);
    await subscribed(raw, topic, 2);
    await publishMqtt(mqtt, topic, 'exactly once', 2);
    const publish = await raw.expect(SnMsgType.PUBLISH);
    raw.send({ type: SnMsgType.PUBREC, msgId: publish.msgId });
    assert.deepEqual(await raw.expect(SnMsgType.PUBREL), { type: SnMsgType.PUBREL, msgId: publish.msgId });
    assert.deepEqual(await raw.expect(SnMsgType.PUBREL), { type: SnMsgType.PUBREL, msgId: publish.msgId }, 'PUBREL sent again');
    raw.send({ type: SnMsgType.PUBCOMP, msgId: publish.msgId });
    assert.equal(await raw.quietFor(700), true);
    await raw.close();
  });

  it('holds back after PUBACK "rejected: congestion" and sends the PUBLISH again after Tretry [MQTT-SN-1.2 6.10]', async () => {
    const topic = uniq('retry/congested');
    const raw = await RawSnClient.open(sn.snPort);
    const topicId = await subscribed(raw, topic, 1);
    await publishMqtt(mqtt, topic, 'later', 1);
    const first = await raw.expect(SnMsgType.PUBLISH);
    raw.send({ type: SnMsgType.PUBACK, topicId, msgId: first.msgId, returnCode: SnReturnCode.REJECTED_CONGESTION });
    const again = await raw.expect(SnMsgType.PUBLISH);
    assert.deepEqual([again.msgId, again.dup, again.data.toString()], [first.msgId, true, 'later']);
    raw.send({ type: SnMsgType.PUBACK, topicId, msgId: again.msgId, returnCode: SnReturnCode.ACCEPTED });
    await raw.close();
  });

  it('registers the topic again when the client answers a PUBLISH with "rejected: invalid topic ID"', async () => {
    const topic = uniq('retry/forgotten');
    const raw = await RawSnClient.open(sn.snPort);
    const topicId = await subscribed(raw, topic, 1);
    await publishMqtt(mqtt, topic, 'who?', 1);
    const first = await raw.expect(SnMsgType.PUBLISH);
    raw.send({ type: SnMsgType.PUBACK, topicId, msgId: first.msgId, returnCode: SnReturnCode.REJECTED_INVALID_TOPIC_ID });
    const register = await raw.expect(SnMsgType.REGISTER);
    assert.equal(register.topicName, topic);
    raw.send({ type: SnMsgType.REGACK, topicId: register.topicId, msgId: register.msgId, returnCode: 0 });
    const again = await raw.expect(SnMsgType.PUBLISH);
    assert.deepEqual([again.topic, again.data.toString()], [{ topicIdType: 'normal', topicId: register.topicId }, 'who?']);
    raw.send({ type: SnMsgType.PUBACK, topicId: register.topicId, msgId: again.msgId, returnCode: 0 });
    await raw.close();
  });

  it('counts a client that never answers after Nretry retransmissions as lost and publishes its will', async () => {
    const topic = uniq('retry/deaf');
    const willTopic = uniq('retry/will');
    const inbox = collect(mqtt);
    await new Promise<void>((resolve) => mqtt.subscribe(willTopic, { qos: 1 }, () => resolve()));
    const raw = await RawSnClient.open(sn.snPort);
    raw.send({ type: SnMsgType.CONNECT, will: true, cleanSession: true, protocolId: SN_PROTOCOL_ID, duration: 60, clientId: uniq('deaf') });
    await raw.expect(SnMsgType.WILLTOPICREQ);
    raw.send({ type: SnMsgType.WILLTOPIC, will: { qos: 0, retain: false, topic: willTopic } });
    await raw.expect(SnMsgType.WILLMSGREQ);
    raw.send({ type: SnMsgType.WILLMSG, willMessage: Buffer.from('no answer') });
    await raw.expect(SnMsgType.CONNACK);
    await raw.proveAddress();
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 1, msgId: 1, topic: { topicIdType: 'normal', topicName: topic } });
    await raw.expect(SnMsgType.SUBACK);
    await publishMqtt(mqtt, topic, 'unanswered', 1);
    const [will] = await inbox.waitFor(1, 5000);
    assert.equal(will!.payload.toString(), 'no answer');
    const copies = raw.received.filter((m) => m.type === SnMsgType.PUBLISH).length;
    assert.equal(copies, 3, 'the PUBLISH and Nretry = 2 retransmissions');
    await raw.close();
  });
});
