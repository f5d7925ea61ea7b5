import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Authenticator, Authorizer } from '../../../src/broker/index.js';
import { startServer } from '../../../src/server/index.js';
import { SN_PROTOCOL_ID, SnMsgType, SnReturnCode } from '../../../src/sn/protocol/index.js';
import { collect, connectMqttJs, endMqttJs } from '../../helpers/mqttjs.js';
import { fastTimers, RawSnClient, startSnMidge, uniq, waitUntil, type SnMidge } from './helpers.js';

describe('MQTT-SN gateway limits', () => {
  let sn: SnMidge;
  let crowded: SnMidge;
  before(async () => {
    sn = await startSnMidge({ maxMessageSize: 64, maxTopicIdsPerClient: 2 });
    crowded = await startSnMidge({ maxClients: 2, keepAliveTolerance: 1 });
  });
  after(async () => {
    await sn.stop();
    await crowded.stop();
  });

  it('refuses a client beyond maxClients with CONNACK "rejected: congestion" and takes one again when a slot frees up', async () => {
    const sn = crowded;
    const first = await RawSnClient.open(sn.snPort);
    await first.connect(uniq('slot-1'));
    const second = await RawSnClient.open(sn.snPort);
    await second.connect(uniq('slot-2'), { duration: 1 });
    const third = await RawSnClient.open(sn.snPort);
    third.send({ type: SnMsgType.CONNECT, will: false, cleanSession: true, protocolId: SN_PROTOCOL_ID, duration: 60, clientId: uniq('slot-3') });
    assert.deepEqual(await third.expect(SnMsgType.CONNACK), { type: SnMsgType.CONNACK, returnCode: SnReturnCode.REJECTED_CONGESTION });
    first.send({ type: SnMsgType.DISCONNECT });
    await first.expect(SnMsgType.DISCONNECT);
    await third.connect(uniq('slot-3'));
    // The second client goes silent: its keep alive runs out and its slot is reclaimed.
    await waitUntil(() => sn.gateway.clientCount === 1, 5000, 'the silent client to be dropped');
    const fourth = await RawSnClient.open(sn.snPort);
    await fourth.connect(uniq('slot-4'));
    for (const c of [first, second, third, fourth]) await c.close();
  });

  it('answers a PUBLISH larger than maxMessageSize with PUBACK "rejected: congestion" and does not route it', async () => {
    const topic = uniq('big');
    const mqtt = await connectMqttJs(sn.mqttPort);
    const inbox = collect(mqtt);
    await new Promise<void>((resolve) => mqtt.subscribe(topic, { qos: 1 }, () => resolve()));
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('big'));
    raw.send({ type: SnMsgType.REGISTER, topicId: 0, msgId: 1, topicName: topic });
    const { topicId } = await raw.expect(SnMsgType.REGACK);
    raw.send({ type: SnMsgType.PUBLISH, dup: false, qos: 1, retain: false, topic: { topicIdType: 'normal', topicId }, msgId: 2, data: Buffer.alloc(100, 1) });
    assert.deepEqual(await raw.expect(SnMsgType.PUBACK), { type: SnMsgType.PUBACK, topicId, msgId: 2, returnCode: SnReturnCode.REJECTED_CONGESTION });
    raw.send({ type: SnMsgType.PUBLISH, dup: false, qos: 1, retain: false, topic: { topicIdType: 'normal', topicId }, msgId: 3, data: Buffer.from('small') });
    assert.equal((await raw.expect(SnMsgType.PUBACK)).returnCode, SnReturnCode.ACCEPTED);
    const [got] = await inbox.waitFor(1);
    assert.equal(got!.payload.toString(), 'small');
    assert.equal(inbox.messages.length, 1);
    await endMqttJs(mqtt);
    await raw.close();
  });

  it('does not send a client a message larger than maxMessageSize, and goes on with the next one', async () => {
    const topic = uniq('big-down');
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('big-down'));
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 1, msgId: 1, topic: { topicIdType: 'normal', topicName: topic } });
    const { topicId } = await raw.expect(SnMsgType.SUBACK);
    const mqtt = await connectMqttJs(sn.mqttPort);
    await new Promise<void>((resolve) => mqtt.publish(topic, Buffer.alloc(200, 2), { qos: 1 }, () => resolve()));
    await new Promise<void>((resolve) => mqtt.publish(topic, 'fits', { qos: 1 }, () => resolve()));
    const publish = await raw.expect(SnMsgType.PUBLISH);
    assert.equal(publish.data.toString(), 'fits');
    raw.send({ type: SnMsgType.PUBACK, topicId, msgId: publish.msgId, returnCode: 0 });
    await endMqttJs(mqtt);
    await raw.close();
  });

  it('answers REGISTER beyond maxTopicIdsPerClient with REGACK "rejected: congestion", and a wildcard name with "invalid topic ID"', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('table'));
    for (const [msgId, name] of [[1, 'one'], [2, 'two']] as const) {
      raw.send({ type: SnMsgType.REGISTER, topicId: 0, msgId, topicName: `${name}-${process.pid}` });
      assert.equal((await raw.expect(SnMsgType.REGACK)).returnCode, SnReturnCode.ACCEPTED);
    }
    raw.send({ type: SnMsgType.REGISTER, topicId: 0, msgId: 3, topicName: `three-${process.pid}` });
    assert.deepEqual(await raw.expect(SnMsgType.REGACK), { type: SnMsgType.REGACK, topicId: 0, msgId: 3, returnCode: SnReturnCode.REJECTED_CONGESTION });
    raw.send({ type: SnMsgType.REGISTER, topicId: 0, msgId: 4, topicName: 'a/+' });
    assert.deepEqual(await raw.expect(SnMsgType.REGACK), { type: SnMsgType.REGACK, topicId: 0, msgId: 4, returnCode: SnReturnCode.REJECTED_INVALID_TOPIC_ID });
    await raw.close();
  });
});

describe('MQTT-SN authentication and ACLs go through the broker chains', () => {
  let sn: SnMidge;
  const authenticator: Authenticator = {
    name: 'deny-intruders',
    authenticate: (c) => (c.clientId.startsWith('intruder') ? { outcome: 'deny', reasonCode: 0x87, reason: 'intruder' } : { outcome: 'allow' }),
  };
  const authorizer: Authorizer = {
    name: 'no-secrets',
    canPublish: (_c, topic) => !topic.startsWith('secret/'),
    canSubscribe: (_c, filter) => !filter.startsWith('secret/'),
    canReceive: (c, topic) => !(topic.startsWith('private/') && c.clientId.startsWith('outsider')),
  };
  before(async () => {
    sn = await startSnMidge({ predefinedTopics: new Map([[9, 'secret/predefined']]) }, { authenticators: [authenticator], authorizers: [authorizer] });
  });
  after(() => sn.stop());

  it('authenticates an SN client by its client id alone and refuses a denied one with CONNACK "rejected: not supported"', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    raw.send({ type: SnMsgType.CONNECT, will: false, cleanSession: true, protocolId: SN_PROTOCOL_ID, duration: 60, clientId: 'intruder-1' });
    assert.deepEqual(await raw.expect(SnMsgType.CONNACK), { type: SnMsgType.CONNACK, returnCode: SnReturnCode.REJECTED_NOT_SUPPORTED });
    await raw.connect(uniq('welcome'));
    await raw.close();
  });

  it('refuses a PUBLISH the ACL denies with PUBACK "rejected: not supported", at QoS -1 too', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('publisher'));
    raw.send({ type: SnMsgType.REGISTER, topicId: 0, msgId: 1, topicName: 'secret/plans' });
    const { topicId } = await raw.expect(SnMsgType.REGACK);
    raw.send({ type: SnMsgType.PUBLISH, dup: false, qos: 1, retain: false, topic: { topicIdType: 'normal', topicId }, msgId: 2, data: Buffer.from('x') });
    assert.deepEqual(await raw.expect(SnMsgType.PUBACK), { type: SnMsgType.PUBACK, topicId, msgId: 2, returnCode: SnReturnCode.REJECTED_NOT_SUPPORTED });
    const anonymous = await RawSnClient.open(sn.snPort);
    anonymous.send({ type: SnMsgType.PUBLISH, dup: false, qos: -1, retain: false, topic: { topicIdType: 'predefined', topicId: 9 }, msgId: 0, data: Buffer.from('y') });
    assert.deepEqual(await anonymous.expect(SnMsgType.PUBACK), { type: SnMsgType.PUBACK, topicId: 9, msgId: 0, returnCode: SnReturnCode.REJECTED_NOT_SUPPORTED });
    await raw.close();
    await anonymous.close();
  });

  it('refuses a SUBSCRIBE the ACL denies with SUBACK "rejected: not supported"', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('subscriber'));
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 1, msgId: 5, topic: { topicIdType: 'normal', topicName: 'secret/#' } });
    const suback = await raw.expect(SnMsgType.SUBACK);
    assert.deepEqual([suback.msgId, suback.returnCode], [5, SnReturnCode.REJECTED_NOT_SUPPORTED]);
    await raw.close();
  });

  it('delivers to an SN client only what the ACL lets it receive', async () => {
    const raw = await RawSnClient.open(sn.snPort);
    await raw.connect(uniq('outsider'));
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 0, msgId: 1, topic: { topicIdType: 'normal', topicName: 'private/+' } });
    await raw.expect(SnMsgType.SUBACK);
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 0, msgId: 2, topic: { topicIdType: 'normal', topicName: `open-${process.pid}` } });
    const open = await raw.expect(SnMsgType.SUBACK);
    const mqtt = await connectMqttJs(sn.mqttPort);
    await new Promise<void>((resolve) => mqtt.publish('private/diary', 'hidden', { qos: 0 }, () => resolve()));
    await new Promise<void>((resolve) => mqtt.publish(`open-${process.pid}`, 'visible', { qos: 0 }, () => resolve()));
    const publish = await raw.expect(SnMsgType.PUBLISH);
    assert.deepEqual([publish.topic, publish.data.toString()], [{ topicIdType: 'normal', topicId: open.topicId }, 'visible']);
    await endMqttJs(mqtt);
    await raw.close();
  });
});

describe('startServer with snListeners', () => {
  it('opens an MQTT-SN gateway beside the MQTT listener, listed as an mqttsn listener, and closes it with the server', async () => {
    const server = await startServer({
      listeners: [{ port: 0, host: '127.0.0.1', protocol: 'mqtt' }],
      snListeners: [{ port: 0, host: '127.0.0.1', ...fastTimers }],
    });
    const sn = server.listeners.find((l) => l.protocol === 'mqttsn');
    assert.ok(sn, 'the gateway is among the listeners');
    const raw = await RawSnClient.open(sn.port);
    await raw.connect(uniq('served'));
    await server.close();
    assert.deepEqual(await raw.expect(SnMsgType.DISCONNECT), { type: SnMsgType.DISCONNECT }, 'shutdown tells SN clients with DISCONNECT');
    await raw.close();
  });
});
