import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { collect, connectCollecting, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawClient } from '../helpers/raw-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MQTT 5 session expiry and message expiry', () => {
  let midge: InProcessMidge;
  before(async () => { midge = await startMidge({ broker: { limits: { maxSessionExpiryInterval: 3600 } } }); });
  after(() => midge.stop());

  it('keeps a session for its expiry interval, then drops it with its subscriptions and queue [MQTT-3.1.2-23]', async () => {
    const first = await connectMqttJs(midge.port, { protocolVersion: 5, clientId: 'exp-1', clean: false, properties: { sessionExpiryInterval: 1 } });
    await first.subscribeAsync('exp/1', { qos: 1 });
    await endMqttJs(first);
    const { client: resumed, connack } = await RawClient.connect(midge.port, { version: 5, clientId: 'exp-1', clean: false, properties: { sessionExpiryInterval: 1 } });
    assert.equal(connack.sessionPresent, true, 'within the interval the session is there [MQTT-3.2.2-3]');
    await resumed.close();
    await sleep(1300);
    const { client: late, connack: lateAck } = await RawClient.connect(midge.port, { version: 5, clientId: 'exp-1', clean: false });
    assert.equal(lateAck.sessionPresent, false, 'after the interval it is gone');
    assert.equal(midge.server.broker.router.size, 0, 'its subscription went with it');
    await late.close();
  });

  it('caps the session expiry at the configured maximum and tells the client in CONNACK', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5, clientId: 'exp-cap', properties: { sessionExpiryInterval: 0xfffffff0 } });
    assert.equal(connack.properties?.sessionExpiryInterval, 3600);
    await client.close();
  });

  it('also bounds a 3.1.1 persistent session by the cap', async () => {
    const capped = await startMidge({ broker: { limits: { maxSessionExpiryInterval: 1 } } });
    try {
      const { client } = await RawClient.connect(capped.port, { clientId: 'v3-cap', clean: false });
      client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'cap/#', qos: 1 }] });
      await client.expect(PacketType.SUBACK);
      client.send({ type: PacketType.DISCONNECT });
      await client.waitClosed();
      await sleep(1300);
      const { client: again, connack } = await RawClient.connect(capped.port, { clientId: 'v3-cap', clean: false });
      assert.equal(connack.sessionPresent, false);
      await again.close();
    } finally {
      await capped.stop();
    }
  });

  it('never delivers an expired message, and forwards the expiry less the time waited [MQTT-3.3.2-5] [MQTT-3.3.2-6]', async () => {
    const sub = await connectMqttJs(midge.port, { protocolVersion: 5, clientId: 'exp-msg', clean: false, properties: { sessionExpiryInterval: 60 } });
    await sub.subscribeAsync('expmsg/#', { qos: 1 });
    await endMqttJs(sub);
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('expmsg/short', 'gone', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync('expmsg/long', 'kept', { qos: 1, properties: { messageExpiryInterval: 30 } });
    await sleep(2100);
    const { client: back, inbox } = await connectCollecting(midge.port, { protocolVersion: 5, clientId: 'exp-msg', clean: false, properties: { sessionExpiryInterval: 0 } });
    const [m] = await inbox.waitFor(1);
    assert.equal(m!.topic, 'expmsg/long');
    const left = m!.packet.properties?.messageExpiryInterval ?? 0;
    assert.ok(left <= 28 && left >= 25, `expiry decremented by the wait (${left})`);
    await sleep(200);
    assert.equal(inbox.messages.length, 1, 'the expired message never arrives');
    await Promise.all([endMqttJs(back), endMqttJs(pub)]);
  });

  it('stops delivering a retained message once it has expired', async () => {
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('expret/t', 'brief', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
    await sleep(1200);
    const sub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    const inbox = collect(sub);
    await sub.subscribeAsync('expret/#');
    await sleep(200);
    assert.equal(inbox.messages.length, 0);
    await Promise.all([endMqttJs(sub), endMqttJs(pub)]);
  });
});
