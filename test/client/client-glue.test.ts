/**
 * The socket glue of MqttClient against a scripted server: keep alive, server
 * topic aliases, flow control, DISCONNECT handling, malformed input, the packet
 * trace hook and end().
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, test } from 'node:test';
import { PacketType, decodePacket, encodePacket, type Packet } from '../../src/protocol/index.js';
import { ClientClosedError, MqttClient, ReasonCodeError, type PacketTrace } from '../../src/client/index.js';
import { startFakeServer, withTimeout, type FakeServer } from './fake-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function server(...args: Parameters<typeof startFakeServer>): Promise<FakeServer> {
  const s = await startFakeServer(...args);
  cleanups.push(() => s.close());
  return s;
}

function client(port: number, options: ConstructorParameters<typeof MqttClient>[1] = {}): MqttClient {
  const c = new MqttClient(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, clientId: 'glue', ...options });
  cleanups.push(() => c.end({ timeoutMs: 200 }));
  return c;
}

async function nextOfType<T extends Packet['type']>(next: () => Promise<Packet>, type: T): Promise<Extract<Packet, { type: T }>> {
  for (;;) {
    const packet = await next();
    if (packet.type === type) return packet as Extract<Packet, { type: T }>;
  }
}

describe('MqttClient against a scripted server', () => {
  test('a server that stops answering PINGREQ is left after the ping timeout and connected to again (section 3.1.2.10)', async () => {
    const s = await server();
    const c = client(s.port, { keepAlive: 1, pingTimeoutMs: 300, reconnect: { initialDelayMs: 20, jitter: 0 } });
    const offline = once(c, 'offline');
    await c.connect();
    const first = await s.accept();
    assert.equal((await first.next(3000)).type, PacketType.PINGREQ);
    const [error] = (await withTimeout(offline, 5000, 'no offline event')) as [Error];
    assert.match(error.message, /no PINGRESP/);
    await withTimeout(first.closed, 2000, 'the client kept the dead connection');
    const second = await s.accept(5000);
    assert.equal(second.version, 5);
  });

  test('topic aliases the server sends are resolved before messages reach the application [MQTT-3.3.2-10]', async () => {
    const s = await server();
    const c = client(s.port, { properties: { topicAliasMaximum: 3 } });
    const messages = c.messages();
    await c.connect();
    const conn = await s.accept();
    conn.send({ type: PacketType.PUBLISH, topic: 'house/kitchen/temp', payload: Buffer.from('21'), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } });
    conn.send({ type: PacketType.PUBLISH, topic: '', payload: Buffer.from('22'), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } });
    const got = [(await messages.next()).value, (await messages.next()).value];
    assert.deepEqual(got.map((m) => [m?.topic, m?.payload.toString()]), [['house/kitchen/temp', '21'], ['house/kitchen/temp', '22']]);
  });

  test('the server\'s Receive Maximum holds the next QoS 1 publish back until a PUBACK frees a slot [MQTT-3.3.4-7]', async () => {
    const s = await server({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 1 } });
    const c = client(s.port);
    await c.connect();
    const conn = await s.accept();
    const results = [c.publish('a', '1', { qos: 1 }), c.publish('a', '2', { qos: 1 })];
    const first = await nextOfType(() => conn.next(), PacketType.PUBLISH);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(conn.unread(), 0, 'the second PUBLISH waited for the PUBACK');
    conn.send({ type: PacketType.PUBACK, packetId: first.packetId! });
    const second = await nextOfType(() => conn.next(), PacketType.PUBLISH);
    assert.equal(second.payload.toString(), '2');
    conn.send({ type: PacketType.PUBACK, packetId: second.packetId! });
    assert.deepEqual((await Promise.all(results)).map((r) => r.reasonCode), [0, 0]);
  });

  test('a server DISCONNECT "session taken over" ends the client instead of fighting for the session', async () => {
    const s = await server();
    const c = client(s.port, { reconnect: { initialDelayMs: 20 } });
    await c.connect();
    const conn = await s.accept();
    const closed = once(c, 'close');
    conn.send({ type: PacketType.DISCONNECT, reasonCode: 0x8e, properties: { reasonString: 'another connection took over' } });
    const [error] = (await withTimeout(closed, 3000, 'the client did not close')) as [Error];
    assert.ok(error instanceof ReasonCodeError);
    assert.equal(error.reasonCode, 0x8e);
    await assert.rejects(c.publish('a', 'x'), ClientClosedError);
  });

  test('a malformed packet from the server is answered with DISCONNECT 0x81 and the connection is closed', async () => {
    const s = await server();
    const c = client(s.port, { reconnect: false });
    const closed = once(c, 'close');
    await c.connect();
    const conn = await s.accept();
    conn.sendRaw(Buffer.from([0x36, 0x03, 0x00, 0x01, 0x61])); // PUBLISH with QoS 3 [MQTT-3.3.1-4]
    const disconnect = await nextOfType(() => conn.next(), PacketType.DISCONNECT);
    assert.equal(disconnect.reasonCode, 0x81);
    await withTimeout(closed, 3000, 'the client did not close');
  });

  test('connect() rejects when no CONNACK comes within the connect timeout', async () => {
    const s = await server(false);
    const c = client(s.port, { connectTimeoutMs: 200 });
    await assert.rejects(c.connect(), /no CONNACK within 200 ms/);
  });

  test('the packet trace hook sees every packet in and out with the bytes on the wire', async () => {
    const s = await server();
    const c = client(s.port);
    const traces: PacketTrace[] = [];
    c.on('packet', (t) => traces.push(t));
    await c.connect();
    const conn = await s.accept();
    const publish = c.publish('t', 'x', { qos: 1 });
    const sentPublish = await nextOfType(() => conn.next(), PacketType.PUBLISH);
    conn.send({ type: PacketType.PUBACK, packetId: sentPublish.packetId! });
    await publish;
    assert.deepEqual(traces.map((t) => `${t.direction} ${t.packet.type}`), ['out 1', 'in 2', 'out 3', 'in 4']);
    for (const t of traces) {
      assert.equal(decodePacket(t.bytes[0]!, t.bytes.subarray(2), 5).type, t.packet.type);
    }
    assert.deepEqual(traces[1]!.bytes, encodePacket({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0 }, 5));
  });

  test('end() sends DISCONNECT and rejects a publish still waiting for its PUBACK', async () => {
    const s = await server();
    const c = client(s.port);
    await c.connect();
    const conn = await s.accept();
    const pending = c.publish('t', 'x', { qos: 1 });
    await nextOfType(() => conn.next(), PacketType.PUBLISH);
    await c.end();
    assert.equal((await conn.next()).type, PacketType.DISCONNECT);
    await assert.rejects(pending, ClientClosedError);
  });
});
