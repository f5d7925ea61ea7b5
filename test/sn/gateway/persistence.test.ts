import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../../src/persistence/index.js';
import { startSnGateway } from '../../../src/sn/gateway/index.js';
import { SnMsgType } from '../../../src/sn/protocol/index.js';
import { connectMqttJs, endMqttJs } from '../../helpers/mqttjs.js';
import { startMidge } from '../../helpers/midge.js';
import { fastTimers, RawSnClient, serveUntil, uniq } from './helpers.js';

/** A broker on `store` with a gateway; stopped as a whole. */
async function brokerOn(store: MemoryStore) {
  const midge = await startMidge({ broker: { store } });
  const gateway = await startSnGateway(midge.server.broker, { ...fastTimers, port: 0, host: '127.0.0.1' });
  return { midge, gateway, stop: async () => { await gateway.close(); await midge.stop(); } };
}

describe('MQTT-SN persistent sessions in the broker store', () => {
  it('keeps an SN client\'s subscription and queued QoS 1 messages across a broker restart, delivered after REGISTER', async () => {
    const store = new MemoryStore();
    const clientId = uniq('durable-sn');
    const topic = uniq('durable/topic');
    const first = await brokerOn(store);
    const raw = await RawSnClient.open(first.gateway.port);
    await raw.connect(clientId, { cleanSession: false });
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 1, msgId: 1, topic: { topicIdType: 'normal', topicName: topic } });
    assert.equal((await raw.expect(SnMsgType.SUBACK)).returnCode, 0);
    raw.send({ type: SnMsgType.DISCONNECT });
    await raw.expect(SnMsgType.DISCONNECT);
    await raw.close();
    const mqtt = await connectMqttJs(first.midge.port);
    await new Promise<void>((resolve) => mqtt.publish(topic, 'survives a restart', { qos: 1 }, () => resolve()));
    await endMqttJs(mqtt);
    await first.stop();

    const second = await brokerOn(store);
    const again = await RawSnClient.open(second.gateway.port);
    await again.connect(clientId, { cleanSession: false });
    const register = await again.expect(SnMsgType.REGISTER);
    assert.equal(register.topicName, topic, 'the topic is registered before the PUBLISH');
    again.send({ type: SnMsgType.REGACK, topicId: register.topicId, msgId: register.msgId, returnCode: 0 });
    const publish = await again.expect(SnMsgType.PUBLISH);
    assert.deepEqual([publish.data.toString(), publish.qos], ['survives a restart', 1]);
    again.send({ type: SnMsgType.PUBACK, topicId: register.topicId, msgId: publish.msgId, returnCode: 0 });
    await again.close();
    await second.stop();
  });

  it('delivers a persistent sleeping client\'s buffered QoS 1 messages before the PINGRESP of its wake-up', async () => {
    const store = new MemoryStore();
    const broker = await brokerOn(store);
    const clientId = uniq('durable-sleeper');
    const topic = uniq('durable/sleep');
    const raw = await RawSnClient.open(broker.gateway.port);
    await raw.connect(clientId, { cleanSession: false });
    raw.send({ type: SnMsgType.SUBSCRIBE, dup: false, qos: 1, msgId: 1, topic: { topicIdType: 'normal', topicName: topic } });
    await raw.expect(SnMsgType.SUBACK);
    raw.send({ type: SnMsgType.DISCONNECT, duration: 30 });
    await raw.expect(SnMsgType.DISCONNECT);
    const mqtt = await connectMqttJs(broker.midge.port);
    for (const payload of ['one', 'two']) await new Promise<void>((resolve) => mqtt.publish(topic, payload, { qos: 1 }, () => resolve()));
    await endMqttJs(mqtt);
    raw.send({ type: SnMsgType.PINGREQ, clientId });
    const delivered = await serveUntil(raw, SnMsgType.PINGRESP);
    assert.deepEqual(delivered.map((p) => p.data.toString()), ['one', 'two']);
    await raw.close();
    await broker.stop();
  });
});
