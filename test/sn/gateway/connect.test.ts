import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { SN_PROTOCOL_ID, SnMsgType, SnReturnCode } from '../../../src/sn/protocol/index.js';
import { collect, connectMqttJs, endMqttJs } from '../../helpers/mqttjs.js';
import { RawSnClient, startSnMidge, uniq, waitUntil, type SnMidge } from './helpers.js';

function subscribeMqtt(client: MqttClient, filter: string): Promise<void> {
  return new Promise((resolve, reject) => client.subscribe(filter, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
}

/** CONNECT with the will flow answered: WILLTOPICREQ, WILLTOPIC, WILLMSGREQ, WILLMSG, CONNACK [MQTT-SN-1.2 6.2]. */
async function connectWithWill(raw: RawSnClient, clientId: string, clean: boolean, willTopic: string, willMessage: string, duration = 60): Promise<void> {
  raw.send({ type: SnMsgType.CONNECT, will: true, cleanSession: clean, protocolId: SN_PROTOCOL_ID, duration, clientId });
  await raw.expect(SnMsgType.WILLTOPICREQ);
  raw.send({ type: SnMsgType.WILLTOPIC, will: { qos: 1, retain: false, topic: willTopic } });
  await raw.expect(SnMsgType.WILLMSGREQ);
  raw.send({ type: SnMsgType.WILLMSG, willMessage: Buffer.from(willMessage) });
  assert.equal((await raw.expect(SnMsgType.CONNACK)).returnCode, SnReturnCode.ACCEPTED);
  await raw.proveAddress();
}

describe('MQTT-SN CONNECT', () => {
  let sn: SnMidge;
  let mqtt: MqttClient;
  let wills: ReturnType<typeof collect>;
  const willFilter = `wills-${process.pid}/#`;
  before(async () => {
    // Keep alive is checked without extra tolerance so a lost client is found within a second or two.
    sn = await startSnMidge({ keepAliveTolerance: 1 });
    mqtt = await connectMqttJs(sn.mqttPort);
    wills = collect(mqtt);
    await subscribeMqtt(mqtt, willFilter);
  });
  after(async () => {
    await endMqttJs(mqtt);
    await sn.stop();
  });

  const willsOn = (topic: string) => wills.messages.filter((m) => m.topic === topic).map((m) => m.payload.toString());

  it('accepts a CONNECT without the Will flag with CONNACK "accepted" and no will prompt [MQTT-SN-1.2 6.2]', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    raw.send({ type: SnMsgType.CONNECT, will: false, cleanSession: true, protocolId: SN_PROTOCOL_ID, duration: 30, clientId: uniq('plain') });
    assert.deepEqual(await raw.next(), { type: SnMsgType.CONNACK, returnCode: SnReturnCode.ACCEPTED });
    await raw.close();
  });

  it('prompts for the will with WILLTOPICREQ and WILLMSGREQ before the CONNACK [MQTT-SN-1.2 6.2]', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    await connectWithWill(raw, uniq('will-flow'), true, `wills-${process.pid}/flow`, 'bye');
    await raw.close();
  });

  it('refuses a ProtocolId other than 0x01 with CONNACK "rejected: not supported" [MQTT-SN-1.2 5.3.8]', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    raw.send({ type: SnMsgType.CONNECT, will: false, cleanSession: true, protocolId: 0x02, duration: 30, clientId: uniq('proto') });
    assert.deepEqual(await raw.expect(SnMsgType.CONNACK), { type: SnMsgType.CONNACK, returnCode: SnReturnCode.REJECTED_NOT_SUPPORTED });
    await raw.close();
  });

  it('publishes the will of a client that goes silent for longer than its keep alive [MQTT-SN-1.2 6.14]', async () => {
    const willTopic = `wills-${process.pid}/silent`;
    const raw = await RawSnClient.open(sn.snPort);
    await connectWithWill(raw, uniq('silent'), true, willTopic, 'gone quiet', 1);
    await wills.waitFor(wills.messages.length + 1, 5000);
    assert.deepEqual(willsOn(willTopic), ['gone quiet']);
    await raw.close();
  });

  it('does not publish the will of a client that sends DISCONNECT, and answers it with DISCONNECT [MQTT-SN-1.2 6.12]', async () => {
    const willTopic = `wills-${process.pid}/polite`;
    const raw = await RawSnClient.open(sn.snPort);
    await connectWithWill(raw, uniq('polite'), true, willTopic, 'should not appear', 1);
    raw.send({ type: SnMsgType.DISCONNECT });
    assert.deepEqual(await raw.expect(SnMsgType.DISCONNECT), { type: SnMsgType.DISCONNECT });
    assert.equal(await raw.quietFor(1800), true);
    assert.deepEqual(willsOn(willTopic), []);
    await raw.close();
  });

  it('takes over the session of a client id connected from another address, telling the old address with DISCONNECT', async () => {
    const clientId = uniq('moved');
    const before = await RawSnClient.open(sn.snPort);
    await before.connect(clientId);
    const after = await RawSnClient.open(sn.snPort);
    await after.connect(clientId);
    assert.deepEqual(await before.expect(SnMsgType.DISCONNECT), { type: SnMsgType.DISCONNECT });
    after.send({ type: SnMsgType.PINGREQ });
    await after.expect(SnMsgType.PINGRESP);
    await before.close();
    await after.close();
  });

  it('lets an MQTT client take over an SN client\'s persistent session, subscriptions included', async () => {
    const clientId = uniq('shared-id');
    const topic = uniq('takeover/topic');
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(clientId, { cleanSession: false });
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 1, msgId: 1, topic: { topicIdType: 'normal', topicName: topic } });
    await raw.expect(SnMsgType.SUBACK);
    const taker = await connectMqttJs(sn.mqttPort, { clientId, clean: false });
    assert.equal(taker.connected, true);
    assert.deepEqual(await raw.expect(SnMsgType.DISCONNECT), { type: SnMsgType.DISCONNECT });
    const inbox = collect(taker);
    await new Promise<void>((resolve) => mqtt.publish(topic, 'to the new owner', { qos: 1 }, () => resolve()));
    const [got] = await inbox.waitFor(1);
    assert.equal(got!.payload.toString(), 'to the new owner');
    await endMqttJs(taker);
    await raw.close();
  });

  it('resumes a persistent session with its subscriptions and registers topics again before publishing queued messages [MQTT-SN-1.2 6.3, 6.10]', async () => {
    const clientId = uniq('resume');
    const topic = uniq('resume/topic');
    const first = await RawSnClient.open(sn.snPort);
    await first.connect(clientId, { cleanSession: false });
    first.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 1, msgId: 1, topic: { topicIdType: 'normal', topicName: topic } });
    await first.expect(SnMsgType.SUBACK);
    first.send({ type: SnMsgType.DISCONNECT });
    await first.expect(SnMsgType.DISCONNECT);
    await first.close();
    await new Promise<void>((resolve) => mqtt.publish(topic, 'queued while away', { qos: 1 }, () => resolve()));
    const again = await RawSnClient.open(sn.snPort);
    await again.connect(clientId, { cleanSession: false });
    const register = await again.expect(SnMsgType.REGISTER);
    assert.equal(register.topicName, topic);
    again.send({ type: SnMsgType.REGACK, topicId: register.topicId, msgId: register.msgId, returnCode: 0 });
    const publish = await again.expect(SnMsgType.PUBLISH);
    assert.deepEqual([publish.topic, publish.data.toString()], [{ topicIdType: 'normal', topicId: register.topicId }, 'queued while away']);
    again.send({ type: SnMsgType.PUBACK, topicId: register.topicId, msgId: publish.msgId, returnCode: 0 });
    await again.close();
  });
});

/**
 * The four CleanSession/Will combinations [MQTT-SN-1.2 6.3]. Each client first
 * connects persistently with will W1 and a subscription, disconnects, then connects
 * again with the combination under test and is lost, so its will (or none) goes out.
 */
describe('MQTT-SN CleanSession and Will flags', { concurrency: true }, () => {
  let sn: SnMidge;
  let mqtt: MqttClient;
  let inbox: ReturnType<typeof collect>;
  const base = `combo-${process.pid}`;
  before(async () => {
    sn = await startSnMidge({ keepAliveTolerance: 1 });
    mqtt = await connectMqttJs(sn.mqttPort);
    inbox = collect(mqtt);
    await subscribeMqtt(mqtt, `${base}/#`);
  });
  after(async () => {
    await endMqttJs(mqtt);
    await sn.stop();
  });

  const cases = [
    { clean: true, will: true, keepsSubscription: false, expectedWill: 'W2' },
    { clean: true, will: false, keepsSubscription: false, expectedWill: undefined },
    { clean: false, will: true, keepsSubscription: true, expectedWill: 'W2' },
    { clean: false, will: false, keepsSubscription: true, expectedWill: 'W1' },
  ] as const;

  for (const c of cases) {
    const name = `CleanSession ${Number(c.clean)}, Will ${Number(c.will)}`;
    it(`${name}: ${c.keepsSubscription ? 'keeps' : 'deletes'} the subscriptions and ${c.expectedWill ? `publishes ${c.expectedWill === 'W1' ? 'the stored' : 'the new'} will` : 'deletes the will'} when the client is lost`, async () => {
      const clientId = uniq(`combo-${Number(c.clean)}${Number(c.will)}`);
      const willTopic = `${base}/will/${clientId}`;
      const dataTopic = `${base}/data/${clientId}`;
      const raw = await RawSnClient.open(sn.snPort);
      await connectWithWill(raw, clientId, false, willTopic, 'W1');
      raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 0, msgId: 1, topic: { topicIdType: 'normal', topicName: dataTopic } });
      await raw.expect(SnMsgType.SUBACK);
      raw.send({ type: SnMsgType.DISCONNECT });
      await raw.expect(SnMsgType.DISCONNECT);
      if (c.will) await connectWithWill(raw, clientId, c.clean, willTopic, 'W2', 1);
      else await raw.connect(clientId, { cleanSession: c.clean, duration: 1 });
      await new Promise<void>((resolve) => mqtt.publish(dataTopic, 'data', { qos: 0 }, () => resolve()));
      const got = await raw.next(800).then((m) => m, () => undefined);
      assert.equal(got?.type === SnMsgType.PUBLISH || got?.type === SnMsgType.REGISTER, c.keepsSubscription,
        `subscription ${c.keepsSubscription ? 'kept' : 'deleted'}: got ${JSON.stringify(got)}`);
      // Silence: the keep alive of 1 s runs out and the client is lost.
      if (c.expectedWill) await waitUntil(() => inbox.messages.some((m) => m.topic === willTopic), 5000);
      else await new Promise((r) => setTimeout(r, 1800));
      const published = inbox.messages.filter((m) => m.topic === willTopic).map((m) => m.payload.toString());
      assert.deepEqual(published, c.expectedWill ? [c.expectedWill] : []);
      await raw.close();
    });
  }
});
