import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawClient } from '../helpers/raw-client.js';

describe('MQTT 5 topic aliases', () => {
  let midge: InProcessMidge;
  before(async () => { midge = await startMidge({ broker: { limits: { topicAliasMaximum: 4 } } }); });
  after(() => midge.stop());

  it('accepts client aliases within our Topic Alias Maximum: set with a topic, used without [MQTT-3.3.2-12]', async () => {
    const sub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    const inbox = collect(sub);
    await sub.subscribeAsync('alias/#');
    const { client } = await RawClient.connect(midge.port, { version: 5 });
    client.send({ type: PacketType.PUBLISH, topic: 'alias/long/topic', payload: Buffer.from('one'), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } });
    client.send({ type: PacketType.PUBLISH, topic: '', payload: Buffer.from('two'), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } });
    const got = await inbox.waitFor(2);
    assert.deepEqual(got.map((m) => [m.topic, m.payload.toString()]), [['alias/long/topic', 'one'], ['alias/long/topic', 'two']]);
    await client.close();
    await endMqttJs(sub);
  });

  // Alias 0 is never valid [MQTT-3.3.2-8]; 5 is above the Topic Alias Maximum of 4 in our CONNACK [MQTT-3.3.2-9].
  for (const [alias, cite] of [[0, '[MQTT-3.3.2-8]'], [5, '[MQTT-3.3.2-9] [MQTT-3.2.2-17]']] as const) {
    it(`disconnects a client that uses topic alias ${alias} with 0x94 Topic Alias invalid ${cite}`, async () => {
      const { client } = await RawClient.connect(midge.port, { version: 5 });
      client.send({ type: PacketType.PUBLISH, topic: 'a', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { topicAlias: alias } });
      const disconnect = await client.expect(PacketType.DISCONNECT);
      assert.equal(disconnect.reasonCode, 0x94);
      await client.waitClosed();
    });
  }

  it('does not carry a topic alias the client set over to its next connection [MQTT-3.3.2-7]', async () => {
    const clientId = 'alias-across-connections';
    const properties = { sessionExpiryInterval: 60 };
    const { client: first } = await RawClient.connect(midge.port, { version: 5, clientId, clean: false, properties });
    first.send({ type: PacketType.PUBLISH, topic: 'alias/once', payload: Buffer.from('set'), qos: 1, retain: false, dup: false, packetId: 1, properties: { topicAlias: 1 } });
    await first.expect(PacketType.PUBACK);
    await first.close();
    const { client: second, connack } = await RawClient.connect(midge.port, { version: 5, clientId, clean: false, properties });
    assert.equal(connack.sessionPresent, true, 'the session went on, the connection did not');
    second.send({ type: PacketType.PUBLISH, topic: '', payload: Buffer.from('use'), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } });
    assert.equal((await second.expect(PacketType.DISCONNECT)).reasonCode, 0x82);
    await second.waitClosed();
  });

  it('treats an alias that was never set as a protocol error', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5 });
    client.send({ type: PacketType.PUBLISH, topic: '', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } });
    const disconnect = await client.expect(PacketType.DISCONNECT);
    assert.equal(disconnect.reasonCode, 0x82);
    await client.waitClosed();
  });

  it('sends server-to-client aliases when the client allows them, from 1 up to its maximum [MQTT-3.3.2-11] [MQTT-3.1.2-26] [MQTT-3.3.2-8]', async () => {
    const { client: sub } = await RawClient.connect(midge.port, { version: 5, properties: { topicAliasMaximum: 2 } });
    sub.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'srv/+', qos: 0 }] });
    await sub.expect(PacketType.SUBACK);
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    for (const t of ['srv/a', 'srv/a', 'srv/b', 'srv/c', 'srv/a']) await pub.publishAsync(t, t);
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await sub.expect(PacketType.PUBLISH));
    const seen = got.map((p) => [p.topic, p.properties?.topicAlias, p.payload.toString()]);
    // First use of a topic carries it in full with the alias; the next use carries only the alias.
    assert.deepEqual(seen[0], ['srv/a', 1, 'srv/a']);
    assert.deepEqual(seen[1], ['', 1, 'srv/a']);
    assert.deepEqual(seen[2], ['srv/b', 2, 'srv/b']);
    // Both aliases are taken: the oldest binding is reused, and the topic travels in full.
    assert.deepEqual(seen[3], ['srv/c', 1, 'srv/c']);
    assert.deepEqual(seen[4], ['srv/a', 2, 'srv/a']);
    for (const p of got) assert.ok((p.properties?.topicAlias ?? 0) <= 2);
    await sub.close();
    await endMqttJs(pub);
  });

  it('lets MQTT.js resolve the aliases it receives', async () => {
    const sub = await connectMqttJs(midge.port, { protocolVersion: 5, properties: { topicAliasMaximum: 5 } });
    const inbox = collect(sub);
    await sub.subscribeAsync('js/#');
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    for (let i = 0; i < 3; i++) await pub.publishAsync('js/topic', `m${i}`);
    const got = await inbox.waitFor(3);
    assert.deepEqual(got.map((m) => m.topic), ['js/topic', 'js/topic', 'js/topic']);
    await endMqttJs(sub);
    await endMqttJs(pub);
  });

  it('never sends aliases to a client that did not allow them [MQTT-3.1.2-27]', async () => {
    const { client: sub } = await RawClient.connect(midge.port, { version: 5 });
    sub.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'none/#', qos: 0 }] });
    await sub.expect(PacketType.SUBACK);
    const pub = await connectMqttJs(midge.port, { protocolVersion: 5 });
    await pub.publishAsync('none/x', 'a');
    await pub.publishAsync('none/x', 'b');
    for (let i = 0; i < 2; i++) {
      const p = await sub.expect(PacketType.PUBLISH);
      assert.equal(p.topic, 'none/x');
      assert.equal(p.properties?.topicAlias, undefined);
    }
    await sub.close();
    await endMqttJs(pub);
  });
});
