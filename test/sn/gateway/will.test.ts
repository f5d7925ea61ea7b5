import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { SN_PROTOCOL_ID, SnMsgType, SnReturnCode } from '../../../src/sn/protocol/index.js';
import { collect, connectMqttJs, endMqttJs } from '../../helpers/mqttjs.js';
import { RawSnClient, startSnMidge, uniq, waitUntil, type SnMidge } from './helpers.js';

/** Connects with a will and a keep alive of 1 s, so silence loses the client quickly. */
async function connectWithWill(raw: RawSnClient, willTopic: string, willMessage: string): Promise<void> {
  raw.send({ type: SnMsgType.CONNECT, will: true, cleanSession: true, protocolId: SN_PROTOCOL_ID, duration: 1, clientId: uniq('willupd') });
  await raw.expect(SnMsgType.WILLTOPICREQ);
  raw.send({ type: SnMsgType.WILLTOPIC, will: { qos: 1, retain: false, topic: willTopic } });
  await raw.expect(SnMsgType.WILLMSGREQ);
  raw.send({ type: SnMsgType.WILLMSG, willMessage: Buffer.from(willMessage) });
  await raw.expect(SnMsgType.CONNACK);
  await raw.proveAddress();
}

describe('MQTT-SN will updates [MQTT-SN-1.2 6.4]', { concurrency: true }, () => {
  let sn: SnMidge;
  let mqtt: MqttClient;
  let inbox: ReturnType<typeof collect>;
  const base = `willupd-${process.pid}`;
  before(async () => {
    sn = await startSnMidge({ keepAliveTolerance: 1 });
    mqtt = await connectMqttJs(sn.mqttPort);
    inbox = collect(mqtt);
    await new Promise<void>((resolve) => mqtt.subscribe(`${base}/#`, { qos: 1 }, () => resolve()));
  });
  after(async () => {
    await endMqttJs(mqtt);
    await sn.stop();
  });

  const willsUnder = (prefix: string) => inbox.messages.filter((m) => m.topic.startsWith(prefix)).map((m) => [m.topic, m.payload.toString(), m.packet.retain]);

  it('moves the will to the topic, QoS and retain flag of WILLTOPICUPD, keeping the will message', async () => {
    const prefix = `${base}/topic-upd/`;
    const raw = await RawSnClient.open(sn.snPort);
    await connectWithWill(raw, `${prefix}old`, 'message');
    raw.send({ type: SnMsgType.WILLTOPICUPD, will: { qos: 1, retain: true, topic: `${prefix}new` } });
    assert.deepEqual(await raw.expect(SnMsgType.WILLTOPICRESP), { type: SnMsgType.WILLTOPICRESP, returnCode: SnReturnCode.ACCEPTED });
    await waitUntil(() => willsUnder(prefix).length > 0, 5000, 'the will');
    assert.deepEqual(willsUnder(prefix), [[`${prefix}new`, 'message', false]]);
    const late = await connectMqttJs(sn.mqttPort);
    const lateInbox = collect(late);
    await new Promise<void>((resolve) => late.subscribe(`${prefix}new`, { qos: 1 }, () => resolve()));
    const [kept] = await lateInbox.waitFor(1);
    assert.deepEqual([kept!.payload.toString(), kept!.packet.retain], ['message', true], 'the will was published with RETAIN');
    await endMqttJs(late);
    await raw.close();
  });

  it('replaces the will message with WILLMSGUPD', async () => {
    const prefix = `${base}/msg-upd/`;
    const raw = await RawSnClient.open(sn.snPort);
    await connectWithWill(raw, `${prefix}w`, 'before');
    raw.send({ type: SnMsgType.WILLMSGUPD, willMessage: Buffer.from('after') });
    assert.deepEqual(await raw.expect(SnMsgType.WILLMSGRESP), { type: SnMsgType.WILLMSGRESP, returnCode: SnReturnCode.ACCEPTED });
    await waitUntil(() => willsUnder(prefix).length > 0, 5000, 'the will');
    assert.deepEqual(willsUnder(prefix), [[`${prefix}w`, 'after', false]]);
    await raw.close();
  });

  it('takes an empty WILLMSGUPD as a zero-length will message', async () => {
    const prefix = `${base}/empty-msg/`;
    const raw = await RawSnClient.open(sn.snPort);
    await connectWithWill(raw, `${prefix}w`, 'not this');
    raw.send({ type: SnMsgType.WILLMSGUPD, willMessage: Buffer.alloc(0) });
    assert.deepEqual(await raw.expect(SnMsgType.WILLMSGRESP), { type: SnMsgType.WILLMSGRESP, returnCode: SnReturnCode.ACCEPTED });
    await waitUntil(() => willsUnder(prefix).length > 0, 5000, 'the will');
    assert.deepEqual(willsUnder(prefix), [[`${prefix}w`, '', false]]);
    await raw.close();
  });

  it('deletes the will with an empty WILLTOPICUPD [MQTT-SN-1.2 5.4.22]', async () => {
    const prefix = `${base}/deleted/`;
    const raw = await RawSnClient.open(sn.snPort);
    await connectWithWill(raw, `${prefix}w`, 'never');
    raw.send({ type: SnMsgType.WILLTOPICUPD });
    assert.deepEqual(await raw.expect(SnMsgType.WILLTOPICRESP), { type: SnMsgType.WILLTOPICRESP, returnCode: SnReturnCode.ACCEPTED });
    await new Promise((r) => setTimeout(r, 1800));
    assert.deepEqual(willsUnder(prefix), [], 'the lost client had no will any more');
    await raw.close();
  });

  it('gives a client without a will one with WILLMSGUPD then WILLTOPICUPD', async () => {
    const prefix = `${base}/late/`;
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('late-will'), { duration: 1 });
    raw.send({ type: SnMsgType.WILLMSGUPD, willMessage: Buffer.from('late') });
    await raw.expect(SnMsgType.WILLMSGRESP);
    raw.send({ type: SnMsgType.WILLTOPICUPD, will: { qos: 0, retain: false, topic: `${prefix}w` } });
    await raw.expect(SnMsgType.WILLTOPICRESP);
    await waitUntil(() => willsUnder(prefix).length > 0, 5000, 'the will');
    assert.deepEqual(willsUnder(prefix), [[`${prefix}w`, 'late', false]]);
    await raw.close();
  });

  it('refuses a will topic with wildcards with WILLTOPICRESP "rejected: invalid topic ID"', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('bad-will'));
    raw.send({ type: SnMsgType.WILLTOPICUPD, will: { qos: 0, retain: false, topic: `${base}/+` } });
    assert.deepEqual(await raw.expect(SnMsgType.WILLTOPICRESP), { type: SnMsgType.WILLTOPICRESP, returnCode: SnReturnCode.REJECTED_INVALID_TOPIC_ID });
    await raw.close();
  });
});
