import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { once } from 'node:events';
import { PacketType, encodePacket } from '../../src/protocol/index.js';
import {
  assertServesNewClient, connect, disconnect, nextPacketId, payloads, publish, receive, subscribe, uniq, waitUntil,
} from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { RawClient, connectPacket } from '../helpers/raw-client.js';

const LIMITS = {
  maxPacketSize: 1024,
  maxInflightMessages: 5,
  maxQueuedMessages: 10,
  maxTopicLevels: 8,
  connectTimeout: 1,
};

describe('09 limits', () => {
  let midge: InProcessMidge;
  let pub: RawClient;
  let release: () => void = () => {};
  before(async () => {
    // Clients whose id starts with `held-` wait for an authenticator that never decides, as a hung auth service would.
    const decided = new Promise<void>((resolve) => { release = resolve; });
    const authenticate = async ({ clientId }: { clientId: string }) => {
      if (clientId.startsWith('held-')) await decided;
      return { outcome: 'allow' as const };
    };
    midge = await startMidge({ broker: { limits: LIMITS, authenticators: [{ name: 'held', authenticate }] } });
    pub = await connect(midge.port, { clientId: uniq('pub') });
  });
  after(async () => {
    release();
    await disconnect(pub);
    await midge.stop();
  });

  const drops = (reason: string): number => midge.server.broker.stats.droppedByReason.get(reason) ?? 0;
  const offline = (clientId: string): Promise<void> =>
    waitUntil(() => midge.server.broker.sessions.get(clientId)?.link === undefined, `${clientId} is offline`);

  it('closes a 3.1.1 connection that sends a packet larger than the maximum packet size [MQTT-4.8.0-1]', async () => {
    const client = await connect(midge.port);
    client.send({ type: PacketType.PUBLISH, topic: 't', payload: Buffer.alloc(2000), qos: 0, retain: false, dup: false });
    await client.waitClosed();
    assert.equal(client.pending().length, 0);
    await assertServesNewClient(midge.port);
  });

  it('advertises the maximum packet size to v5 clients and disconnects one that exceeds it with 0x95 (section 3.2.2.3.6) [MQTT-4.13.1-1]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5 });
    assert.equal(connack.properties?.maximumPacketSize, LIMITS.maxPacketSize);
    client.send({ type: PacketType.PUBLISH, topic: 't', payload: Buffer.alloc(2000), qos: 0, retain: false, dup: false });
    assert.equal((await client.expect(PacketType.DISCONNECT)).reasonCode, 0x95);
    await client.waitClosed();
    await assertServesNewClient(midge.port, 5);
  });

  it("keeps at most the maximum inflight QoS 1 messages unacknowledged and sends the next one for each PUBACK (section 4.4, as Mosquitto's max_inflight_messages) [MQTT-4.6.0-6]", async () => {
    const sub = await connect(midge.port);
    const topic = uniq('inflight');
    await subscribe(sub, [[topic, 1]]);
    for (let i = 0; i < 8; i++) await publish(pub, topic, `m${i}`, { qos: 1 });
    const first = await receive(sub, LIMITS.maxInflightMessages, { ack: false });
    assert.ok(await sub.quietFor(100), 'no more than the window before a PUBACK');
    sub.send({ type: PacketType.PUBACK, packetId: first[0]!.packetId! });
    const [next] = await receive(sub, 1, { ack: false });
    assert.equal(next!.payload.toString(), 'm5');
    for (const p of [...first.slice(1), next!]) sub.send({ type: PacketType.PUBACK, packetId: p.packetId! });
    assert.deepEqual(payloads(await receive(sub, 2)), ['m6', 'm7']);
    await disconnect(sub);
  });

  it("keeps at most the client's Receive Maximum unacknowledged and still answers other packets [MQTT-3.3.4-9] [MQTT-3.3.4-10]", async () => {
    const sub = await connect(midge.port, { version: 5, properties: { receiveMaximum: 2 } });
    const topic = uniq('receive-max');
    await subscribe(sub, [[topic, 2]]);
    for (let i = 0; i < 4; i++) await publish(pub, topic, `m${i}`, { qos: 2 });
    const held = await receive(sub, 2, { ack: false });
    sub.send({ type: PacketType.PINGREQ });
    await sub.expect(PacketType.PINGRESP);
    // PUBREC alone does not free a slot: the flow ends with PUBCOMP (section 4.9).
    sub.send({ type: PacketType.PUBREC, packetId: held[0]!.packetId! });
    await sub.expect(PacketType.PUBREL);
    assert.ok(await sub.quietFor(100), 'no third PUBLISH before PUBCOMP');
    sub.send({ type: PacketType.PUBCOMP, packetId: held[0]!.packetId! });
    const [third] = await receive(sub, 1, { ack: false });
    assert.equal(third!.payload.toString(), 'm2');
    await sub.close();
  });

  it('disconnects with 0x93 a v5 client that sends more unacknowledged QoS 2 messages than the Receive Maximum (section 3.3.4) [MQTT-3.3.4-7]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5 });
    assert.equal(connack.properties?.receiveMaximum, LIMITS.maxInflightMessages);
    for (let i = 0; i <= LIMITS.maxInflightMessages; i++) {
      client.send({ type: PacketType.PUBLISH, topic: uniq('flood'), payload: Buffer.from('x'), qos: 2, retain: false, dup: false, packetId: nextPacketId(client) });
    }
    assert.equal((await client.waitForPacket(PacketType.DISCONNECT)).reasonCode, 0x93);
    await client.waitClosed();
  });

  it('queues at most the maximum of messages for an offline session, keeps the oldest and counts the drops in broker.stats [MQTT-3.1.2-5]', async () => {
    const clientId = uniq('queue');
    const topic = uniq('queue/topic');
    const first = await connect(midge.port, { clientId, clean: false });
    await subscribe(first, [[topic, 1]]);
    await disconnect(first);
    await offline(clientId);
    const before = drops('queue-full');
    for (let i = 0; i < 15; i++) await publish(pub, topic, `m${i}`, { qos: 1 });
    assert.equal(drops('queue-full') - before, 5);
    const client = await connect(midge.port, { clientId, clean: false });
    const got = await receive(client, LIMITS.maxQueuedMessages);
    assert.deepEqual(payloads(got), Array.from({ length: 10 }, (_, i) => `m${i}`));
    assert.ok(await client.quietFor(100), 'nothing beyond the queue limit');
    await disconnect(client);
  });

  it('holds the PUBACK of a message that finds the queue of a connected, reading client full until it has room, and drops nothing [MQTT-4.6.0-2] [MQTT-4.6.0-6]', async () => {
    const sub = await connect(midge.port);
    const topic = uniq('window-queue');
    await subscribe(sub, [[topic, 1]]);
    const publisher = await connect(midge.port);
    const before = drops('queue-full');
    const total = LIMITS.maxInflightMessages + LIMITS.maxQueuedMessages + 3;
    const ids: number[] = [];
    for (let i = 0; i < total; i++) {
      const packetId = nextPacketId(publisher);
      ids.push(packetId);
      publisher.send({ type: PacketType.PUBLISH, topic, payload: Buffer.from(`m${i}`), qos: 1, retain: false, dup: false, packetId });
    }
    // The publisher is paused once the queue is half full; what it sent past the queue waits for room.
    await new Promise((r) => setTimeout(r, 300));
    const early = publisher.pending().filter((p) => p.type === PacketType.PUBACK).length;
    assert.ok(early < total, `${early} of ${total} acknowledged while the subscriber reads nothing`);
    const got = await receive(sub, total);
    assert.deepEqual(payloads(got), Array.from({ length: total }, (_, i) => `m${i}`), 'the subscriber gets every message, in order');
    const acked: number[] = [];
    for (let i = 0; i < total; i++) acked.push((await publisher.waitForPacket(PacketType.PUBACK)).packetId);
    assert.deepEqual(acked, ids, 'every PUBLISH is acknowledged once it has room, in order');
    assert.equal(drops('queue-full') - before, 0, 'nothing was dropped');
    await disconnect(publisher);
    await disconnect(sub);
  });

  it('refuses a topic with more levels than the limit: a SUBSCRIBE fails (0x80 [MQTT-3.8.4-5], v5 0x8F [MQTT-3.8.4-7]), a PUBLISH disconnects (v5 0x90 [MQTT-4.13.1-1])', async () => {
    const deep = Array.from({ length: LIMITS.maxTopicLevels + 1 }, (_, i) => `l${i}`).join('/');
    const sub311 = await connect(midge.port);
    assert.deepEqual(await subscribe(sub311, [[deep, 0], [uniq('fine'), 0]]), [0x80, 0]);
    const sub5 = await connect(midge.port, { version: 5 });
    assert.deepEqual(await subscribe(sub5, [[deep, 0]]), [0x8f]);
    sub311.send({ type: PacketType.PUBLISH, topic: deep, payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    await sub311.waitClosed();
    sub5.send({ type: PacketType.PUBLISH, topic: deep, payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    assert.equal((await sub5.expect(PacketType.DISCONNECT)).reasonCode, 0x90);
    await sub5.waitClosed();
  });

  it('closes a connection that has not sent, or not completed, or not been answered its CONNECT within the connect timeout, sending no DISCONNECT before a CONNACK (section 3.1.4) [MQTT-3.14.0-1]', async () => {
    const silent = await RawClient.open(midge.port);
    const partial = await RawClient.open(midge.port);
    partial.sendBytes([0x10, 0x0d, 0x00, 0x04, 0x4d]); // the first bytes of a CONNECT
    const undecided = await RawClient.open(midge.port, 5);
    undecided.send(connectPacket({ version: 5, clientId: uniq('held-') }));
    const clients = [silent, partial, undecided];
    await Promise.all(clients.map((c) => c.waitClosed(4000)));
    assert.deepEqual(clients.map((c) => c.received.length), [0, 0, 0], 'nothing sent, not even a CONNACK or a DISCONNECT');
  });

  it("does not send a v5 client a packet above its Maximum Packet Size, completes it as if sent and counts it [MQTT-3.1.2-24] [MQTT-3.1.2-25]", async () => {
    const sub = await connect(midge.port, { version: 5, properties: { maximumPacketSize: 100 } });
    const topic = uniq('client-max');
    await subscribe(sub, [[topic, 1]]);
    const before = drops('too-large');
    await publish(pub, topic, Buffer.alloc(200, 0x61), { qos: 1 });
    await publish(pub, topic, 'small', { qos: 1 });
    assert.deepEqual(payloads(await receive(sub, 1)), ['small']);
    assert.equal(drops('too-large') - before, 1);
    await disconnect(sub);
  });

  it("measures a packet with a large payload, written from the message's own buffer, whole against the client's Maximum Packet Size [MQTT-3.1.2-25]", async () => {
    // This suite's broker takes packets of 1 KB at most: one of its own takes larger ones.
    const large = await startMidge();
    try {
      const sub = await connect(large.port, { version: 5, properties: { maximumPacketSize: 10_000 } });
      const sender = await connect(large.port, { clientId: uniq('pub-large') });
      const topic = uniq('client-max-large');
      await subscribe(sub, [[topic, 1]]);
      // Headers of a few bytes: 9,990 bytes of payload fit in 10,000 bytes only without them.
      await publish(sender, topic, Buffer.alloc(9_990, 0x61), { qos: 1 });
      await publish(sender, topic, Buffer.alloc(9_000, 0x62), { qos: 1 });
      const [got] = await receive(sub, 1);
      assert.ok(got!.payload.equals(Buffer.alloc(9_000, 0x62)));
      assert.equal(large.server.broker.stats.droppedByReason.get('too-large'), 1);
      await disconnect(sub);
      await disconnect(sender);
    } finally {
      await large.stop();
    }
  });

  it("leaves the Reason String out of a PUBACK, PUBREC or DISCONNECT it would take past the client's Maximum Packet Size [MQTT-3.1.2-24] [MQTT-3.4.2-2] [MQTT-3.5.2-2] [MQTT-3.14.2-3]", async () => {
    const badUtf8 = (qos: 0 | 1 | 2, packetId?: number) => ({
      type: PacketType.PUBLISH, topic: uniq('pfi'), payload: Buffer.from([0xff]), qos, retain: false, dup: false, packetId,
      properties: { payloadFormatIndicator: 1 },
    } as const);
    const roomy = await connect(midge.port, { version: 5, properties: { maximumPacketSize: 1000 } });
    roomy.send(badUtf8(1, 1));
    const explained = await roomy.expect(PacketType.PUBACK);
    assert.equal(explained.reasonCode, 0x99);
    assert.ok(explained.properties?.reasonString, 'a Reason String where it fits');
    await disconnect(roomy);
    const tight = await connect(midge.port, { version: 5, properties: { maximumPacketSize: 16 } });
    tight.send(badUtf8(1, 1));
    const puback = await tight.expect(PacketType.PUBACK);
    assert.deepEqual([puback.reasonCode, puback.properties], [0x99, undefined]);
    tight.send(badUtf8(2, 2));
    const pubrec = await tight.expect(PacketType.PUBREC);
    assert.deepEqual([pubrec.reasonCode, pubrec.properties], [0x99, undefined]);
    tight.send(badUtf8(0));
    const disconnected = await tight.expect(PacketType.DISCONNECT);
    assert.deepEqual([disconnected.reasonCode, disconnected.properties], [0x99, undefined]);
    await tight.waitClosed();
  });

  it("sends a client with a small Maximum Packet Size its SUBACK, UNSUBACK, PUBREL and PUBCOMP without Reason String or User Properties [MQTT-3.9.2-1] [MQTT-3.9.2-2] [MQTT-3.11.2-1] [MQTT-3.11.2-2] [MQTT-3.6.2-2] [MQTT-3.6.2-3] [MQTT-3.7.2-2] [MQTT-3.7.2-3]", async () => {
    // Room for the PUBLISH of this test, not for a Reason String on top of the others.
    const client = await connect(midge.port, { version: 5, properties: { maximumPacketSize: 48 } });
    const topic = uniq('small');
    client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: topic, qos: 2 }] });
    const suback = await client.expect(PacketType.SUBACK);
    client.send({ type: PacketType.PUBLISH, topic, payload: Buffer.from('x'), qos: 2, retain: false, dup: false, packetId: 2 });
    await client.waitForPacket(PacketType.PUBREC);
    client.send({ type: PacketType.PUBREL, packetId: 2 });
    const pubcomp = await client.waitForPacket(PacketType.PUBCOMP);
    const delivered = await client.waitForPacket(PacketType.PUBLISH);
    client.send({ type: PacketType.PUBREC, packetId: delivered.packetId! });
    const pubrel = await client.waitForPacket(PacketType.PUBREL);
    client.send({ type: PacketType.PUBCOMP, packetId: pubrel.packetId });
    client.send({ type: PacketType.UNSUBSCRIBE, packetId: 3, topicFilters: [topic, uniq('never')] });
    const unsuback = await client.waitForPacket(PacketType.UNSUBACK);
    assert.deepEqual([suback, pubcomp, pubrel, unsuback].map((p) => p.properties), [undefined, undefined, undefined, undefined]);
    assert.deepEqual(unsuback.reasonCodes, [0x00, 0x11]);
    await disconnect(client);
  });

  it("leaves the Reason String out of a refusing CONNACK it would take past the client's Maximum Packet Size [MQTT-3.2.2-19]", async () => {
    const refused = async (maximumPacketSize: number) => {
      const { client, connack } = await RawClient.connect(midge.port, {
        version: 5, properties: { maximumPacketSize, authenticationMethod: 'NO-SUCH-METHOD' },
      });
      await client.waitClosed();
      return connack;
    };
    const roomy = await refused(1000);
    assert.equal(roomy.reasonCode, 0x8c);
    assert.ok(roomy.properties?.reasonString, 'a Reason String where it fits');
    const tight = await refused(8);
    assert.deepEqual([tight.reasonCode, tight.properties], [0x8c, undefined]);
  });

  it('disconnects with 0x94 a v5 client that uses a Topic Alias above the Topic Alias Maximum (section 3.3.2.3.4) [MQTT-3.2.2-17]', async () => {
    const { client, connack } = await RawClient.connect(midge.port, { version: 5 });
    const max = connack.properties?.topicAliasMaximum ?? 0;
    client.send({
      type: PacketType.PUBLISH, topic: 'aliased', payload: Buffer.from('x'), qos: 0, retain: false, dup: false,
      properties: { topicAlias: max + 1 },
    });
    assert.equal((await client.expect(PacketType.DISCONNECT)).reasonCode, 0x94);
    await client.waitClosed();
  });
});

describe('09 limits: data sent before CONNACK', () => {
  let midge: InProcessMidge;
  let release: () => void = () => {};
  before(async () => {
    // An authenticator that decides only when the test says so, as a slow password check or remote service would.
    const decided = new Promise<void>((resolve) => { release = resolve; });
    midge = await startMidge({
      broker: { authenticators: [{ name: 'held', authenticate: async () => { await decided; return { outcome: 'allow' }; } }] },
    });
  });
  after(async () => {
    release();
    await midge.stop();
  });

  it('keeps what a client sends while its CONNECT is being decided within bounds, closing it when it sends too much (section 3.1.4) [MQTT-3.2.0-1]', async () => {
    const client = await RawClient.open(midge.port, 5);
    client.send({ type: PacketType.CONNECT, protocolName: 'MQTT', protocolVersion: 5, clean: true, keepAlive: 60, clientId: uniq('eager') });
    // 100 PUBLISH packets just under the 1 MiB maximum packet size: 100 MB queued behind the CONNECT.
    const publish = encodePacket({
      type: PacketType.PUBLISH, topic: 'eager', payload: Buffer.alloc(1024 * 1024 - 64), qos: 0, retain: false, dup: false,
    }, 5);
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().arrayBuffers); }, 10).unref();
    let sent = 0;
    try {
      while (sent < 100 && !client.closed) {
        if (!client.socket.write(publish)) await Promise.race([once(client.socket, 'drain').catch(() => {}), client.waitClosed(2000).catch(() => {})]);
        sent++;
      }
      await client.waitClosed(5000).catch(() => {});
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    assert.ok(peak - baseline < 48 * 1024 * 1024, `buffers grew by ${((peak - baseline) / 1048576).toFixed(0)} MB after ${sent} MB`);
    assert.ok(client.closed, 'the connection was closed');
    assert.equal(client.received.length, 0, 'nothing but a CONNACK may be sent before CONNACK [MQTT-3.2.0-1]');
  });
});

