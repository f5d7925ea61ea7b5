import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawClient } from '../helpers/raw-client.js';

describe('MQTT 5 message properties and request/response', () => {
  let midge: InProcessMidge;
  before(async () => { midge = await startMidge({ broker: { responseInformationPrefix: 'replies/' } }); });
  after(() => midge.stop());

  it('passes user properties through in order, repeated names included [MQTT-3.3.2-17] [MQTT-3.3.2-18]', async () => {
    const { client: sub } = await RawClient.connect(midge.port, { version: 5 });
    sub.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'up/#', qos: 1 }] });
    await sub.expect(PacketType.SUBACK);
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('up/t', 'x', { qos: 1, properties: { userProperties: { b: ['2', '1'], a: '3' } } });
    const p = await sub.expect(PacketType.PUBLISH);
    assert.deepEqual(p.properties?.userProperties, [['b', '2'], ['b', '1'], ['a', '3']]);
    await sub.close();
    await endMqttJs(pub);
  });

  it('passes Payload Format Indicator, Content Type, Response Topic and Correlation Data through [MQTT-3.3.2-4] [MQTT-3.3.2-20]', async () => {
    const sub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    const inbox = collect(sub);
    await sub.subscribeAsync('props/#');
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('props/t', '{"a":1}', {
      properties: { payloadFormatIndicator: true, contentType: 'application/json', responseTopic: 'props/reply', correlationData: Buffer.from([1, 2, 3]) },
    });
    const [m] = await inbox.waitFor(1);
    const props = m!.packet.properties!;
    assert.equal(props.payloadFormatIndicator, true);
    assert.equal(props.contentType, 'application/json');
    assert.equal(props.responseTopic, 'props/reply');
    assert.deepEqual(props.correlationData, Buffer.from([1, 2, 3]));
    await Promise.all([endMqttJs(sub), endMqttJs(pub)]);
  });

  it('answers a QoS 1 PUBLISH whose payload is not UTF-8 despite its format indicator with PUBACK 0x99', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5 });
    client.send({ type: PacketType.PUBLISH, topic: 'pfi', payload: Buffer.from([0xff, 0xfe]), qos: 1, retain: false, dup: false, packetId: 5, properties: { payloadFormatIndicator: 1 } });
    const ack = await client.expect(PacketType.PUBACK);
    assert.equal(ack.reasonCode, 0x99);
    assert.equal(ack.properties?.reasonString, 'payload is not UTF-8 as its format indicator says');
    await client.close();
  });

  it('disconnects with 0x99 for a QoS 0 PUBLISH whose payload is not UTF-8 despite its format indicator', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5 });
    client.send({ type: PacketType.PUBLISH, topic: 'pfi', payload: Buffer.from([0xc3]), qos: 0, retain: false, dup: false, properties: { payloadFormatIndicator: 1 } });
    const d = await client.expect(PacketType.DISCONNECT);
    assert.equal(d.reasonCode, 0x99);
    await client.waitClosed();
  });

  it('leaves the Reason String out of acknowledgements when Request Problem Information is 0 [MQTT-3.1.2-29]', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5, properties: { requestProblemInformation: 0 } });
    client.send({ type: PacketType.PUBLISH, topic: 'pfi', payload: Buffer.from([0xff]), qos: 1, retain: false, dup: false, packetId: 9, properties: { payloadFormatIndicator: 1 } });
    const ack = await client.expect(PacketType.PUBACK);
    assert.equal(ack.reasonCode, 0x99);
    assert.equal(ack.properties, undefined);
    await client.close();
  });

  it('answers Request Response Information with Response Information under the configured prefix [MQTT-3.1.2-28]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5, clientId: 'asker', properties: { requestResponseInformation: 1 } });
    assert.equal(connack.properties?.responseInformation, 'replies/asker');
    await client.close();
    const { client: quiet, connack: plain } = await RawClient.connect(midge.port, { version: 5, clientId: 'silent' });
    assert.equal(plain.properties?.responseInformation, undefined);
    await quiet.close();
  });

  it('carries a request/response round trip between two MQTT.js clients with correlation data', async () => {
    const responder = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await responder.subscribeAsync('svc/time');
    responder.on('message', (_topic, payload, packet) => {
      const props = packet.properties!;
      void responder.publishAsync(props.responseTopic!, `re:${payload.toString()}`, { properties: { correlationData: props.correlationData! } });
    });
    const requester = await connectMqttJs(midge.port, { protocolVersion: 5 });
    const inbox = collect(requester);
    await requester.subscribeAsync('svc/replies/me');
    await requester.publishAsync('svc/time', 'now?', { properties: { responseTopic: 'svc/replies/me', correlationData: Buffer.from('req-1') } });
    const [reply] = await inbox.waitFor(1);
    assert.equal(reply!.payload.toString(), 're:now?');
    assert.equal(reply!.packet.properties?.correlationData?.toString(), 'req-1');
    await Promise.all([endMqttJs(responder), endMqttJs(requester)]);
  });
});
