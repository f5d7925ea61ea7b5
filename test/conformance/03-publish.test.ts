import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PacketType, type PublishPacket } from '../../src/protocol/index.js';
import {
  connect, disconnect, nextPacketId, payloads, publish, receive, subscribe, uniq, brokerWithPublisher, waitUntil } from '../helpers/flows.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import type { RawClient } from '../helpers/raw-client.js';

/** Sends a PUBLISH without waiting for any answer. */
function sendPublish(client: RawClient, topic: string, payload: string, qos: 0 | 1 | 2, packetId?: number, dup = false): void {
  client.send({ type: PacketType.PUBLISH, topic, payload: Buffer.from(payload), qos, retain: false, dup, packetId });
}

describe('03 PUBLISH (MQTT 3.1.1)', () => {
  let midge: InProcessMidge;
  let pub: RawClient;
  brokerWithPublisher(4, (m, p) => { midge = m; pub = p; });

  it('forwards QoS 0 with QoS 0, DUP 0, no packet identifier and no acknowledgement [MQTT-4.3.1-1] [MQTT-3.3.1-2] [MQTT-2.3.1-5]', async () => {
    const sub = await connect(midge.port);
    const topic = uniq('qos0');
    await subscribe(sub, [[topic, 2]]);
    await publish(pub, topic, 'at most once');
    const [got] = await receive(sub, 1);
    assert.deepEqual([got!.qos, got!.dup, got!.packetId], [0, false, undefined]);
    assert.ok(await pub.quietFor(50), 'QoS 0 is not acknowledged');
    await disconnect(sub);
  });

  it('acknowledges an inbound QoS 1 PUBLISH with a PUBACK of the same packet identifier [MQTT-3.3.4-1] [MQTT-4.3.2-2] [MQTT-2.3.1-6]', async () => {
    const client = await connect(midge.port);
    sendPublish(client, uniq('ack1'), 'x', 1, 4242);
    const puback = await client.expect(PacketType.PUBACK);
    assert.equal(puback.packetId, 4242);
    await disconnect(client);
  });

  it('treats a QoS 1 packet identifier as a new publication once acknowledged, DUP or not [MQTT-4.3.2-2]', async () => {
    const sub = await connect(midge.port);
    const topic = uniq('reuse1');
    await subscribe(sub, [[topic, 0]]);
    await publish(pub, topic, 'first', { qos: 1, packetId: 77 });
    await publish(pub, topic, 'second', { qos: 1, packetId: 77, dup: true });
    assert.deepEqual(payloads(await receive(sub, 2)), ['first', 'second']);
    await disconnect(sub);
  });

  it('sends QoS 1 with DUP 0 and non-zero packet identifiers unused while in flight [MQTT-4.3.2-1] [MQTT-2.3.1-1] [MQTT-2.3.1-4]', async () => {
    const sub = await connect(midge.port);
    const topic = uniq('ids1');
    await subscribe(sub, [[topic, 1]]);
    for (let i = 0; i < 5; i++) await publish(pub, topic, `m${i}`, { qos: 1 });
    const got = await receive(sub, 5, { ack: false });
    const ids = got.map((p) => p.packetId!);
    assert.ok(ids.every((id) => id > 0 && id <= 65535), `ids ${ids.join(',')}`);
    assert.equal(new Set(ids).size, 5, `ids in flight are distinct: ${ids.join(',')}`);
    assert.ok(got.every((p) => p.qos === 1 && !p.dup));
    await disconnect(sub);
  });

  it('does not propagate the DUP flag of an incoming PUBLISH [MQTT-3.3.1-3]', async () => {
    const sub = await connect(midge.port);
    const topic = uniq('dup');
    await subscribe(sub, [[topic, 1]]);
    await publish(pub, topic, 'resent by the publisher', { qos: 1, dup: true });
    const [got] = await receive(sub, 1);
    assert.equal(got!.dup, false);
    await disconnect(sub);
  });

  it('completes an inbound QoS 2 flow: PUBREC then PUBCOMP, with the same packet identifier [MQTT-4.3.3-2] [MQTT-2.3.1-6]', async () => {
    const client = await connect(midge.port);
    sendPublish(client, uniq('qos2in'), 'x', 2, 9);
    assert.equal((await client.expect(PacketType.PUBREC)).packetId, 9);
    client.send({ type: PacketType.PUBREL, packetId: 9 });
    assert.equal((await client.expect(PacketType.PUBCOMP)).packetId, 9);
    await disconnect(client);
  });

  it('delivers an inbound QoS 2 message exactly once: a resent PUBLISH before PUBREL gets PUBREC and is not routed again [MQTT-4.3.3-2]', async () => {
    const sub = await connect(midge.port);
    const topic = uniq('once');
    await subscribe(sub, [[topic, 2]]);
    sendPublish(pub, topic, 'exactly once', 2, 500);
    await pub.waitForPacket(PacketType.PUBREC);
    sendPublish(pub, topic, 'exactly once', 2, 500, true);
    assert.equal((await pub.waitForPacket(PacketType.PUBREC)).packetId, 500);
    pub.send({ type: PacketType.PUBREL, packetId: 500 });
    await pub.waitForPacket(PacketType.PUBCOMP);
    // Once released, the id starts a new message [MQTT-4.3.3-2].
    await publish(pub, topic, 'new message', { qos: 2, packetId: 500 });
    assert.deepEqual(payloads(await receive(sub, 2)), ['exactly once', 'new message']);
    await disconnect(sub);
  });

  it('sends QoS 2 with DUP 0, answers PUBREC with PUBREL of the same id and never resends the PUBLISH after it [MQTT-4.3.3-1] [MQTT-2.3.1-6]', async () => {
    const sub = await connect(midge.port);
    const topic = uniq('qos2out');
    await subscribe(sub, [[topic, 2]]);
    await publish(pub, topic, 'two', { qos: 2 });
    const got = await sub.expect(PacketType.PUBLISH);
    assert.deepEqual([got.qos, got.dup], [2, false]);
    sub.send({ type: PacketType.PUBREC, packetId: got.packetId! });
    assert.equal((await sub.expect(PacketType.PUBREL)).packetId, got.packetId);
    sub.send({ type: PacketType.PUBCOMP, packetId: got.packetId! });
    assert.ok(await sub.quietFor(100), 'nothing more after PUBCOMP');
    await disconnect(sub);
  });

  it('keeps the order of one publisher per topic and QoS, through the inflight window and the queue [MQTT-4.6.0-5] [MQTT-4.6.0-6]', async () => {
    const sub = await connect(midge.port);
    const base = uniq('order');
    await subscribe(sub, [[`${base}/q0`, 0], [`${base}/q1`, 1], [`${base}/q2`, 2]]);
    const n = 60; // three times the default inflight window of 20
    const sent: Record<number, string[]> = { 0: [], 1: [], 2: [] };
    for (let i = 0; i < n; i++) {
      for (const qos of [0, 1, 2] as const) {
        const packetId = qos > 0 ? nextPacketId(pub) : undefined;
        sendPublish(pub, `${base}/q${qos}`, `${qos}:${i}`, qos, packetId);
        sent[qos]!.push(`${qos}:${i}`);
      }
    }
    const got = await receive(sub, 3 * n);
    for (const qos of [0, 1, 2]) {
      const ofQos = got.filter((p: PublishPacket) => p.qos === qos).map((p) => p.payload.toString());
      assert.deepEqual(ofQos, sent[qos], `QoS ${qos} in order`);
    }
    await drainAcks(pub, 2 * n);
    await disconnect(sub);
  });

  it('acknowledges QoS 1 PUBLISH packets in the order they arrived [MQTT-4.6.0-2] [MQTT-4.6.0-6]', async () => {
    const client = await connect(midge.port);
    const topic = uniq('ackorder');
    const ids = [31, 7, 1000, 2, 65535, 12];
    for (const id of ids) sendPublish(client, topic, 'x', 1, id);
    const acks: number[] = [];
    for (const _ of ids) acks.push((await client.expect(PacketType.PUBACK)).packetId);
    assert.deepEqual(acks, ids);
    await disconnect(client);
  });

  it('keeps a U+FEFF in a topic name: it neither skips nor strips it when matching and forwarding [MQTT-1.5.3-3] [MQTT-4.7.3-4]', async () => {
    const sub = await connect(midge.port);
    const base = uniq('bom');
    await subscribe(sub, [[`\ufeff${base}`, 0], [base, 0], [`${base}/marker`, 0]]);
    await publish(pub, `\ufeff${base}`, 'with U+FEFF');
    await publish(pub, `${base}/marker`, 'marker');
    const got = await receive(sub, 2);
    assert.deepEqual(got.map((p) => p.topic), [`\ufeff${base}`, `${base}/marker`]);
    await disconnect(sub);
  });
});

/** Takes the acknowledgements for `count` QoS 1/2 publishes sent without waiting, completing QoS 2. */
async function drainAcks(client: RawClient, count: number): Promise<void> {
  let done = 0;
  while (done < count) {
    const packet = await client.next();
    if (packet.type === PacketType.PUBREC) {
      client.send({ type: PacketType.PUBREL, packetId: packet.packetId });
    } else if (packet.type === PacketType.PUBACK || packet.type === PacketType.PUBCOMP) {
      done++;
    } else {
      assert.fail(`unexpected ${JSON.stringify(packet)}`);
    }
  }
}

describe('03 PUBLISH (MQTT 5)', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge();
  });
  after(() => midge.stop());

  it('answers PUBACK and PUBREC with 0x10 when nobody subscribes and 0x00 when someone does [MQTT-3.4.2-1] [MQTT-3.5.2-1]', async () => {
    const client = await connect(midge.port, { version: 5 });
    const topic = uniq('nomatch');
    assert.equal(await publish(client, topic, 'x', { qos: 1 }), 0x10);
    assert.equal(await publish(client, topic, 'x', { qos: 2 }), 0x10);
    await subscribe(client, [[topic, 0]]);
    assert.equal(await publish(client, topic, 'x', { qos: 1 }), 0x00);
    assert.equal(await publish(client, topic, 'x', { qos: 2 }), 0x00);
    await disconnect(client);
  });

  it('answers a PUBREC for a packet identifier it has no QoS 2 delivery for with PUBREL 0x92 [MQTT-3.6.2-1]', async () => {
    const client = await connect(midge.port, { version: 5 });
    client.send({ type: PacketType.PUBREC, packetId: 654 });
    const pubrel = await client.expect(PacketType.PUBREL);
    assert.deepEqual([pubrel.packetId, pubrel.reasonCode], [654, 0x92]);
    await disconnect(client);
  });

  it('answers a PUBREL for an unknown packet identifier with PUBCOMP 0x92 [MQTT-3.7.2-1]', async () => {
    const client = await connect(midge.port, { version: 5 });
    client.send({ type: PacketType.PUBREL, packetId: 321 });
    const pubcomp = await client.expect(PacketType.PUBCOMP);
    assert.deepEqual([pubcomp.packetId, pubcomp.reasonCode], [321, 0x92]);
    await disconnect(client);
  });

  it('treats a PUBLISH with an id whose PUBREC had a failure code as a new message [MQTT-4.3.3-9]', async () => {
    const client = await connect(midge.port, { version: 5 });
    const sub = await connect(midge.port, { version: 5 });
    const topic = uniq('failed');
    await subscribe(sub, [[topic, 2]]);
    // Payload Format Indicator 1 with a payload that is not UTF-8: PUBREC 0x99 (section 3.3.2.3.2).
    client.send({
      type: PacketType.PUBLISH, topic, payload: Buffer.from([0xff]), qos: 2, retain: false, dup: false, packetId: 3,
      properties: { payloadFormatIndicator: 1 },
    });
    assert.equal((await client.expect(PacketType.PUBREC)).reasonCode, 0x99);
    await publish(client, topic, 'new', { qos: 2, packetId: 3 });
    assert.deepEqual(payloads(await receive(sub, 1)), ['new']);
    await disconnect(client);
    await disconnect(sub);
  });

  it('forwards the properties of a message unaltered, user properties in order [MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20]', async () => {
    const client = await connect(midge.port, { version: 5 });
    const topic = uniq('props');
    await subscribe(client, [[topic, 1]]);
    const properties = {
      payloadFormatIndicator: 1, contentType: 'text/plain', responseTopic: `${topic}/reply`,
      correlationData: Buffer.from([1, 2, 3]), userProperties: [['b', '2'], ['a', '1'], ['b', '3']] as [string, string][],
    };
    await publish(client, topic, 'with properties', { qos: 1, properties });
    const [got] = await receive(client, 1);
    assert.deepEqual({ ...got!.properties }, properties);
    await disconnect(client);
  });
});

/** An authorizer that refuses publishing under `denied/` and allows everything else. */
const noDenied = {
  name: 'no-denied',
  canPublish: (_client: unknown, topic: string) => !topic.startsWith('denied/'),
  canSubscribe: () => true,
  canReceive: () => true,
};

describe('03 PUBLISH the server does not authorize (MQTT 3.1.1)', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge({ broker: { authorizers: [noDenied] } });
  });
  after(() => midge.stop());

  it('acknowledges a PUBLISH it does not authorize as the QoS asks, and delivers it to nobody [MQTT-3.3.5-2]', async () => {
    const sub = await connect(midge.port);
    const pub = await connect(midge.port);
    const name = uniq('authz');
    await subscribe(sub, [[`denied/${name}`, 2], [`allowed/${name}`, 2]]);
    assert.equal(await publish(pub, `denied/${name}`, 'q1', { qos: 1 }), 0);
    assert.equal(await publish(pub, `denied/${name}`, 'q2', { qos: 2 }), 0);
    await publish(pub, `allowed/${name}`, 'marker', { qos: 1 });
    const [first] = await receive(sub, 1);
    assert.equal(first!.topic, `allowed/${name}`);
    assert.equal(pub.closed, false, 'the connection stays open');
    await disconnect(sub);
    await disconnect(pub);
  });
});

describe('03 PUBLISH the server refuses (MQTT 5)', () => {
  let midge: InProcessMidge;
  before(async () => {
    midge = await startMidge({ broker: { authorizers: [noDenied] } });
  });
  after(() => midge.stop());

  it('refuses a QoS 2 PUBLISH resent with DUP after the connection dropped before its refusal went out, instead of answering it as a message taken [MQTT-4.3.3-10] [MQTT-4.4.0-1]', async () => {
    const clientId = uniq('refused-q2');
    const session = { version: 5 as const, clientId, clean: false, properties: { sessionExpiryInterval: 60 } };
    const topic = `denied/${uniq('q2')}`;
    // The refusal waits, as every acknowledgement does, until it is safe to send: here, until the test says so.
    let release!: () => void;
    let asked = 0;
    const held = new Promise<boolean>((resolve) => { release = () => resolve(true); });
    const remove = midge.server.broker.admission.gate.add({ name: 'held by the test', check: () => { asked++; return held; } });
    const first = await connect(midge.port, session);
    sendPublish(first, topic, 'refused', 2, 7);
    await waitUntil(() => asked === 1, 'the broker to refuse the PUBLISH');
    await first.close();
    remove();
    release();
    const again = await connect(midge.port, { ...session, properties: { sessionExpiryInterval: 0 } });
    sendPublish(again, topic, 'refused', 2, 7, true);
    const pubrec = await again.waitForPacket(PacketType.PUBREC);
    assert.equal(pubrec.packetId, 7);
    assert.equal(pubrec.reasonCode, 0x87, 'Not authorized, as the first time: the message was never taken');
    await disconnect(again);
  });
});
