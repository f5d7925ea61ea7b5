/**
 * publishFlows 'application': the application keeps the QoS 1/2 state, chooses packet
 * identifiers, and acknowledges when it says so; and the bridge bit (mosquitto's
 * try_private) in CONNECT, against midge and mosquitto.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MqttClient, connect, type FlowPacket, type MqttMessage } from '../../src/client/index.js';
import { PacketType } from '../../src/protocol/index.js';
import { requireBinary } from '../helpers/external.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { MOSQUITTO, startMosquitto } from '../helpers/mosquitto.js';
import { withTimeout } from './fake-server.js';

let midge: InProcessMidge;
const clients: MqttClient[] = [];
before(async () => { midge = await startMidge(); });
after(async () => {
  await Promise.all(clients.map((c) => c.end({ timeoutMs: 200 })));
  await midge.stop();
});

async function open(port: number, options: ConstructorParameters<typeof MqttClient>[1]): Promise<MqttClient> {
  const client = await connect(`mqtt://127.0.0.1:${port}`, { reconnect: false, ...options });
  clients.push(client);
  return client;
}

/** Resolves once `list` holds something. */
async function filled(list: unknown[], what: string): Promise<void> {
  await withTimeout((async () => { while (list.length === 0) await new Promise((r) => setTimeout(r, 5)); })(), 5000, what);
}

/** The next flow packet of a type. */
function nextFlow(client: MqttClient, type: number): Promise<FlowPacket> {
  return withTimeout(new Promise<FlowPacket>((resolve) => {
    const on = (packet: FlowPacket): void => {
      if (packet.type !== type) return;
      client.off('flow', on);
      resolve(packet);
    };
    client.on('flow', on);
  }), 5000, `no packet of type ${type}`);
}

describe("publishFlows 'application'", () => {
  test('an incoming QoS 1 message stays unacknowledged until the application sends PUBACK, and comes again with DUP after a reconnect', async () => {
    const options = { clientId: 'app-acks', clean: false, publishFlows: 'application' as const };
    const app = await open(midge.port, options);
    await app.subscribe('app/acks', { qos: 1 });
    const publisher = await open(midge.port, {});
    const first = nextFlow(app, PacketType.PUBLISH);
    await publisher.publish('app/acks', 'one', { qos: 1 });
    const publish = await first;
    assert.equal(publish.type === PacketType.PUBLISH && publish.dup, false);
    assert.equal(midge.server.broker.sessions.get('app-acks')!.inflight.size, 1, 'the broker still waits for the PUBACK');
    await app.end();
    const again = new MqttClient(`mqtt://127.0.0.1:${midge.port}`, { ...options, reconnect: false });
    clients.push(again);
    const resending = nextFlow(again, PacketType.PUBLISH);
    await again.connect();
    const resent = await resending;
    assert.ok(resent.type === PacketType.PUBLISH && resent.dup && resent.packetId === (publish as { packetId: number }).packetId,
      'the unacknowledged message is sent again with DUP and its packet id [MQTT-4.4.0-1]');
    assert.equal(again.sendFlow({ type: PacketType.PUBACK, packetId: resent.packetId! }), true);
    const session = midge.server.broker.sessions.get('app-acks')!;
    await withTimeout((async () => { while (session.inflight.size > 0) await new Promise((r) => setTimeout(r, 5)); })(), 2000, 'the PUBACK did not complete the delivery');
  });

  test('the application publishes QoS 2 with its own packet identifier and completes the flow itself', async () => {
    const app = await open(midge.port, { publishFlows: 'application' });
    const subscriber = await open(midge.port, {});
    await subscriber.subscribe('app/qos2', { qos: 2 });
    const received = subscriber.messages();
    await assert.rejects(app.publish('app/qos2', 'x', { qos: 2 }), /sendFlow/);
    const pubrec = nextFlow(app, PacketType.PUBREC);
    app.sendFlow({ type: PacketType.PUBLISH, topic: 'app/qos2', payload: Buffer.from('exactly once'), qos: 2, retain: false, dup: false, packetId: 4242 });
    assert.equal((await pubrec).packetId, 4242);
    // A repeat of the PUBLISH before PUBREL is not delivered again [MQTT-4.3.3-2].
    const pubrecAgain = nextFlow(app, PacketType.PUBREC);
    app.sendFlow({ type: PacketType.PUBLISH, topic: 'app/qos2', payload: Buffer.from('exactly once'), qos: 2, retain: false, dup: true, packetId: 4242 });
    await pubrecAgain;
    const pubcomp = nextFlow(app, PacketType.PUBCOMP);
    app.sendFlow({ type: PacketType.PUBREL, packetId: 4242 });
    assert.equal((await pubcomp).packetId, 4242);
    const message = (await withTimeout(received.next(), 5000, 'no message')).value as MqttMessage;
    assert.equal(message.payload.toString(), 'exactly once');
    const extra = await Promise.race([received.next(), new Promise((r) => setTimeout(() => r('none'), 200))]);
    assert.equal(extra, 'none', 'delivered once');
  });

  test('a PUBLISH above the QoS 1/2 rules or the packet size the server allows is refused or not sent', async () => {
    const app = await open(midge.port, { protocolVersion: 5, publishFlows: 'application' });
    assert.throws(() => app.sendFlow({ type: PacketType.PUBLISH, topic: 'a/+', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }), /invalid topic name/);
    assert.throws(() => app.sendFlow({ type: PacketType.PUBLISH, topic: 'a', payload: Buffer.alloc(0), qos: 1, retain: false, dup: false }), /needs a packet identifier/);
    const huge = Buffer.alloc(midge.server.broker.options.limits.maxPacketSize + 1);
    assert.equal(app.sendFlow({ type: PacketType.PUBLISH, topic: 'a', payload: huge, qos: 0, retain: false, dup: false }), false);
    assert.equal(app.writable, true);
  });
});

describe('the bridge bit (try_private)', () => {
  test('midge treats a 3.1.1 client with the bridge bit as a bridge: what it publishes is not sent back to it', async () => {
    const bridge = await open(midge.port, { bridge: true, clientId: 'bridge-bit' });
    await bridge.subscribe('loop/#', { qos: 1 });
    const observer = await open(midge.port, {});
    await observer.subscribe('loop/#', { qos: 1 });
    const seen = observer.messages();
    const echoed: MqttMessage[] = [];
    bridge.on('message', (m) => echoed.push(m));
    await bridge.publish('loop/a', 'from the bridge', { qos: 1, retain: true });
    const message = (await withTimeout(seen.next(), 5000, 'observer got nothing')).value as MqttMessage;
    assert.equal(message.payload.toString(), 'from the bridge');
    const other = await open(midge.port, {});
    await other.publish('loop/b', 'from elsewhere', { qos: 1 });
    await filled(echoed, 'the bridge got nothing');
    assert.deepEqual(echoed.map((m) => m.topic), ['loop/b'], 'No Local for the bridge [mosquitto is_bridge]');
    assert.ok(midge.server.broker.sessions.get('bridge-bit'));
  });

  test('mosquitto accepts the bridge bit from midge\'s client and does not echo what it publishes', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const mosquitto = await startMosquitto();
    try {
      const bridge = await open(mosquitto.port, { bridge: true, clientId: 'midge-bridge' });
      await bridge.subscribe('loop/#', { qos: 1 });
      const echoed: MqttMessage[] = [];
      bridge.on('message', (m) => echoed.push(m));
      await bridge.publish('loop/a', 'mine', { qos: 1 });
      const other = await open(mosquitto.port, {});
      await other.publish('loop/b', 'theirs', { qos: 1 });
      await filled(echoed, 'the bridge got nothing');
      assert.deepEqual(echoed.map((m) => m.topic), ['loop/b']);
    } finally {
      await mosquitto.stop();
    }
  });
});
