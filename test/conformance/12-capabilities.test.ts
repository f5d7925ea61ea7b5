import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType, type Will } from '../../src/protocol/index.js';
import { connect, disconnect, publish, receive, subscribe, uniq } from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * A broker that supports less than the protocol allows: QoS 0 and 1 only, no
 * retained messages, no zero-length client identifiers. What it must still accept,
 * what it must refuse, and how it tells clients (sections 3.2.2.3.4 and 3.2.2.3.5).
 */
describe('12 capabilities the server does not offer', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge({ broker: { limits: { maxQos: 1 }, retainAvailable: false, allowZeroLengthClientId: false } });
  });
  after(() => midge.stop());

  const will = (qos: 0 | 1 | 2, retain: boolean): Will => ({ topic: uniq('will'), payload: Buffer.from('gone'), qos, retain });

  it('tells a v5 client its Maximum QoS and Retain Available 0 in CONNACK [MQTT-3.2.2-9] (section 3.2.2.3.5)', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5 });
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.properties?.maximumQoS, 1);
    assert.equal(connack.properties?.retainAvailable, 0);
    await client.close();
  });

  it('accepts a SUBSCRIBE asking for QoS 2 and grants QoS 1, in 3.1.1 and 5.0 [MQTT-3.2.2-10] [MQTT-3.8.4-7]', async () => {
    for (const version of [4, 5] as const) {
      const client = await connect(midge.port, { version });
      const topic = uniq('granted');
      assert.deepEqual(await subscribe(client, [[topic, 2]]), [1]);
      await publish(client, topic, 'at most QoS 1', { qos: 1 });
      const [got] = await receive(client, 1);
      assert.equal(got!.qos, 1);
      await disconnect(client);
    }
  });

  it('refuses a v5 CONNECT whose Will QoS it does not support with CONNACK 0x9B, and closes [MQTT-3.2.2-12]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5, will: will(2, false) });
    assert.deepEqual([connack.reasonCode, connack.sessionPresent], [0x9b, false]);
    await client.waitClosed();
  });

  it('refuses a v5 CONNECT with Will Retain 1 when it does not support retained messages, with CONNACK 0x9A, and closes [MQTT-3.2.2-13]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5, will: will(1, true) });
    assert.equal(connack.reasonCode, 0x9a);
    await client.waitClosed();
  });

  it('disconnects with 0x9B a v5 client that publishes above the Maximum QoS (section 3.2.2.3.4) [MQTT-3.2.2-11]', async () => {
    const client = await connect(midge.port, { version: 5 });
    client.send({ type: PacketType.PUBLISH, topic: uniq('qos2'), payload: Buffer.from('x'), qos: 2, retain: false, dup: false, packetId: 1 });
    assert.equal((await client.expect(PacketType.DISCONNECT)).reasonCode, 0x9b);
    await client.waitClosed();
  });

  it('disconnects with 0x9A a v5 client that publishes with RETAIN when Retain Available is 0 (section 3.2.2.3.5) [MQTT-3.2.2-14]', async () => {
    const client = await connect(midge.port, { version: 5 });
    client.send({ type: PacketType.PUBLISH, topic: uniq('retained'), payload: Buffer.from('x'), qos: 0, retain: true, dup: false });
    assert.equal((await client.expect(PacketType.DISCONNECT)).reasonCode, 0x9a);
    await client.waitClosed();
  });

  it('refuses a client identifier it does not accept and closes: v5 CONNACK 0x85 [MQTT-3.1.3-8], 3.1.1 return code 2 [MQTT-3.1.3-9]', async () => {
    for (const [version, code] of [[5, 0x85], [4, 2]] as const) {
      const { client, connack } = await RawClient.connect(midge.port, { version, clientId: '' });
      assert.deepEqual([connack.reasonCode, connack.sessionPresent], [code, false], `level ${version}`);
      await client.waitClosed();
    }
  });
});
