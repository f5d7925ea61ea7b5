import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType, encodePacket } from '../../src/protocol/index.js';
import { connect, disconnect, publish, receive, subscribe, uniq } from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawClient, connectPacket } from '../helpers/raw-client.js';

// The tests share a broker but no client ids or topics, so they run at once: three of them wait for timers.
describe('01 CONNECT', { concurrency: true }, () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge({ broker: { limits: { maxKeepalive: 120, connectTimeout: 1 } } });
  });
  after(() => midge.stop());

  it('accepts a 3.1.1 CONNECT with CONNACK 0 and session present 0 for a clean session [MQTT-3.2.2-1]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { clientId: 'c-311' });
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.sessionPresent, false);
    await client.close();
  });

  it('accepts MQTT 3.1 (MQIsdp, level 3)', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 3, clientId: 'c-31' });
    assert.equal(connack.reasonCode, 0);
    await client.close();
  });

  it('accepts MQTT 5 and advertises its limits in CONNACK properties, and no Authentication Method the client did not use [MQTT-4.12.0-6]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5, clientId: 'c-5' });
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.properties?.receiveMaximum, 20);
    assert.equal(connack.properties?.maximumPacketSize, 1024 * 1024);
    assert.equal(connack.properties?.topicAliasMaximum, 10);
    assert.equal(connack.properties?.authenticationMethod, undefined);
    await client.close();
  });

  it('sends the CONNACK acknowledge flags with bits 7-1 at 0 and Session Present in bit 0, in 3.1.1 and 5.0 [MQTT-3.2.2-1]', async () => {
    for (const version of [4, 5] as const) {
      const clientId = uniq(`flags${version}`);
      const properties = version === 5 ? { sessionExpiryInterval: 60 } : undefined;
      const flagsByte = async (): Promise<number> => {
        const { client } = await RawClient.connect(midge.port, { version, clientId, clean: false, properties });
        const bytes = Buffer.concat(client.receivedBytes);
        await disconnect(client);
        assert.equal(bytes[0], 0x20, 'a CONNACK first');
        return bytes[2]!;
      };
      assert.equal(await flagsByte(), 0x00, 'new session');
      assert.equal(await flagsByte(), 0x01, 'session present');
    }
  });

  it('answers an unsupported protocol level with CONNACK return code 1 and closes [MQTT-3.1.2-2]', async () => {
    const client = await RawClient.open(midge.port);
    // CONNECT for protocol level 6: name MQTT, level 6, flags clean, keep alive 60, client id "x".
    client.sendBytes([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x06, 0x02, 0x00, 0x3c, 0x00, 0x01, 0x78]);
    const connack = await client.expect(PacketType.CONNACK);
    assert.equal(connack.reasonCode, 1);
    await client.waitClosed();
  });

  it('closes the connection when the first packet is not CONNECT [MQTT-3.1.0-1]', async () => {
    const client = await RawClient.open(midge.port);
    client.send({ type: PacketType.PINGREQ });
    await client.waitClosed();
    assert.equal(client.received.length, 0);
  });

  it('treats a second CONNECT as a protocol error: DISCONNECT without Session Expiry, no second CONNACK, nothing after it, and closes [MQTT-3.1.0-2] [MQTT-3.2.0-2] [MQTT-3.14.2-2] [MQTT-3.14.4-1] [MQTT-3.14.4-2]', async () => {
    const { client } = await RawClient.connect(midge.port, { version: 5, clientId: 'twice' });
    client.send(connectPacket({ version: 5, clientId: 'twice' }));
    const disconnect = await client.expect(PacketType.DISCONNECT);
    assert.equal(disconnect.reasonCode, 0x82);
    assert.equal(disconnect.properties?.sessionExpiryInterval, undefined);
    await client.waitClosed();
    assert.deepEqual(client.pending(), []);
  });

  it('closes a connection that sends no CONNECT within the connect timeout', async () => {
    const client = await RawClient.open(midge.port);
    await client.waitClosed(4000);
  });

  it('assigns a client identifier to a zero-length id with clean session in 3.1.1 [MQTT-3.1.3-6]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { clientId: '' });
    assert.equal(connack.reasonCode, 0);
    await client.close();
  });

  it('refuses a zero-length id without clean session in 3.1.1 with return code 2 [MQTT-3.1.3-8]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { clientId: '', clean: false });
    assert.equal(connack.reasonCode, 2);
    await client.waitClosed();
  });

  it('returns the Assigned Client Identifier to a v5 client that sent an empty id [MQTT-3.2.2-16]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5, clientId: '' });
    assert.equal(connack.reasonCode, 0);
    assert.match(connack.properties?.assignedClientIdentifier ?? '', /^midge-/);
    await client.close();
  });

  it('refuses a 3.1.1 keep alive above max_keepalive with identifier rejected, as Mosquitto does', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { keepAlive: 600 });
    assert.equal(connack.reasonCode, 2);
    await client.waitClosed();
  });

  it('refuses a 3.1.1 keep alive of 0 (off) under a max_keepalive below 65535, as Mosquitto does', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { keepAlive: 0 });
    assert.equal(connack.reasonCode, 2);
    await client.waitClosed();
  });

  it('tells a v5 client the Server Keep Alive when it asks for more than max_keepalive [MQTT-3.2.2-21]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5, keepAlive: 600 });
    assert.equal(connack.properties?.serverKeepAlive, 120);
    await client.close();
  });

  it('takes over a connected client id: the old connection gets DISCONNECT 0x8E and is closed [MQTT-3.1.4-3]', async () => {
    const { client: first } = await RawClient.connect(midge.port, { version: 5, clientId: 'same' });
    const { client: second, connack } = await RawClient.connect(midge.port, { version: 5, clientId: 'same' });
    assert.equal(connack.reasonCode, 0);
    const disconnect = await first.expect(PacketType.DISCONNECT);
    assert.equal(disconnect.reasonCode, 0x8e);
    await first.waitClosed();
    second.send({ type: PacketType.PINGREQ });
    await second.expect(PacketType.PINGRESP);
    await second.close();
  });

  it('closes a v5 client that stays silent for 1.5 times the keep alive it asked for, with DISCONNECT 0x8D [MQTT-3.1.2-22] [MQTT-3.2.2-22]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5, keepAlive: 1 });
    assert.equal(connack.properties?.serverKeepAlive, undefined, 'no Server Keep Alive: the client\'s value applies');
    const started = Date.now();
    const disconnect = await client.expect(PacketType.DISCONNECT, 4000);
    assert.equal(disconnect.reasonCode, 0x8d);
    assert.ok(Date.now() - started >= 1400, 'not before 1.5 times the keep alive');
    await client.waitClosed();
  });

  it('answers each PINGREQ with PINGRESP and keeps a client that pings within its keep alive [MQTT-3.12.4-1]', async () => {
    const { client } = await RawClient.connect(midge.port, { keepAlive: 1 });
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 600));
      client.send({ type: PacketType.PINGREQ });
      await client.expect(PacketType.PINGRESP);
    }
    assert.equal(client.closed, false);
    await client.close();
  });

  it('refuses a CONNECT with the reserved flag set by closing the connection [MQTT-3.1.2-3]', async () => {
    const client = await RawClient.open(midge.port);
    client.sendBytes([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x03, 0x00, 0x3c, 0x00, 0x01, 0x78]);
    await client.waitClosed();
    assert.equal(client.received.length, 0);
  });

  it('sends CONNACK before any other packet, even for packets sent right behind the CONNECT [MQTT-3.2.0-1]', async () => {
    const client = await RawClient.open(midge.port);
    const topic = uniq('eager');
    client.sendBytes(Buffer.concat([
      encodePacket(connectPacket({ clientId: uniq('eager') }), 4),
      encodePacket({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: topic, qos: 1 }] }, 4),
      encodePacket({ type: PacketType.PUBLISH, topic, payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 2 }, 4),
    ]));
    assert.equal((await client.expect(PacketType.CONNACK)).reasonCode, 0);
    assert.deepEqual((await client.expect(PacketType.SUBACK)).reasonCodes, [1]);
    await client.waitForPacket(PacketType.PUBACK);
    assert.equal((await client.waitForPacket(PacketType.PUBLISH)).topic, topic);
    await disconnect(client);
  });

  it('processes nothing that follows a refused CONNECT, and refuses with Session Present 0 [MQTT-3.1.4-5] [MQTT-3.2.2-4] [MQTT-3.2.2-5]', async () => {
    const topic = uniq('after-refusal');
    const watcher = await connect(midge.port);
    await subscribe(watcher, [[topic, 0], [`${topic}/marker`, 0]]);
    const refused = await RawClient.open(midge.port);
    refused.sendBytes(Buffer.concat([
      encodePacket(connectPacket({ clientId: '', clean: false }), 4),
      encodePacket({ type: PacketType.PUBLISH, topic, payload: Buffer.from('must not be routed'), qos: 0, retain: false, dup: false }, 4),
    ]));
    const connack = await refused.expect(PacketType.CONNACK);
    assert.deepEqual([connack.reasonCode, connack.sessionPresent], [2, false]);
    await refused.waitClosed();
    await publish(watcher, `${topic}/marker`, 'marker');
    const [first] = await receive(watcher, 1);
    assert.equal(first!.topic, `${topic}/marker`);
    await disconnect(watcher);
  });

  it('processes nothing that follows a refused v5 CONNECT, and refuses with Session Present 0, then closes [MQTT-3.1.4-6] [MQTT-3.2.2-6] [MQTT-3.2.2-7]', async () => {
    const topic = uniq('after-refusal5');
    const watcher = await connect(midge.port, { version: 5 });
    await subscribe(watcher, [[topic, 0], [`${topic}/marker`, 0]]);
    const refused = await RawClient.open(midge.port, 5);
    refused.sendBytes(Buffer.concat([
      encodePacket(connectPacket({ version: 5, properties: { authenticationMethod: 'NO-SUCH-METHOD' } }), 5),
      encodePacket({ type: PacketType.PUBLISH, topic, payload: Buffer.from('must not be routed'), qos: 0, retain: false, dup: false }, 5),
    ]));
    const connack = await refused.expect(PacketType.CONNACK);
    assert.deepEqual([connack.reasonCode, connack.sessionPresent], [0x8c, false]);
    await refused.waitClosed();
    await publish(watcher, `${topic}/marker`, 'marker');
    const [first] = await receive(watcher, 1);
    assert.equal(first!.topic, `${topic}/marker`);
    await disconnect(watcher);
  });

  it('accepts client ids of 1 to 23 characters from 0-9, a-z and A-Z [MQTT-3.1.3-5]', async () => {
    for (const clientId of ['0', 'abcdefghijklmnopqrstuvw', 'ABCDEFGHIJKLMNOPQRSTUVW', '0123456789aZ0123456789z']) {
      const client = await connect(midge.port, { clientId });
      await disconnect(client);
    }
  });

  it('closes a 3.1.1 connection whose protocol name is not MQTT, without a CONNACK [MQTT-3.1.2-1]', async () => {
    const client = await RawClient.open(midge.port);
    // CONNECT with protocol name "MQTX", level 4, clean session, keep alive 60, client id "x".
    client.sendBytes([0x10, 0x0d, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x58, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x01, 0x78]);
    await client.waitClosed();
    assert.equal(client.received.length, 0);
  });
});

describe('01 CONNECT under max_keepalive 0, which mosquitto.conf(5) makes "no limit"', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge({ broker: { limits: { maxKeepalive: 0 } } });
  });
  after(() => midge.stop());

  for (const keepalive of [0, 60, 65535]) {
    it(`lets an MQTT.js 3.1.1 client in with keep alive ${keepalive}`, async () => {
      const client = await connectMqttJs(midge.port, { protocolVersion: 4, keepalive, clientId: `ka0-311-${keepalive}` });
      await endMqttJs(client);
    });
  }

  it('lets a v5 client keep alive 0 (off) and sends it no Server Keep Alive [MQTT-3.2.2-21]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5, keepAlive: 0, clientId: 'ka0-5' });
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.properties?.serverKeepAlive, undefined);
    await client.close();
  });
});
