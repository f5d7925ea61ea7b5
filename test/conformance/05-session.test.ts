import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { connect, disconnect, payloads, publish, receive, subscribe, uniq, waitUntil, brokerWithPublisher } from '../helpers/flows.js';
import type { InProcessMidge } from '../helpers/midge.js';
import { RawClient, type RawConnectOptions } from '../helpers/raw-client.js';

/** Connects and returns the client with its CONNACK's Session Present flag. */
async function resume(port: number, options: RawConnectOptions): Promise<{ client: RawClient; present: boolean }> {
  const { client, connack } = await RawClient.connect(port, options);
  assert.equal(connack.reasonCode, 0);
  return { client, present: connack.sessionPresent };
}

/** Publishes a marker the client is subscribed to and checks it is the first thing to arrive. */
async function expectNothingBefore(client: RawClient, pub: RawClient, marker: string): Promise<void> {
  await subscribe(client, [[marker, 0]]);
  await publish(pub, marker, 'marker');
  const [first] = await receive(client, 1);
  assert.equal(first!.topic, marker, `${first!.topic} arrived before the marker`);
}

/** Waits until the broker has seen the client's connection close (its session has no link). */
function offline(midge: InProcessMidge, clientId: string): Promise<void> {
  return waitUntil(() => midge.server.broker.sessions.get(clientId)?.link === undefined, `${clientId} is offline`);
}

describe('05 sessions (MQTT 3.1.1)', () => {
  let midge: InProcessMidge;
  let pub: RawClient;
  brokerWithPublisher(4, (m, p) => { midge = m; pub = p; });

  it('answers Session Present 0 for a new persistent session and 1 when it is resumed [MQTT-3.2.2-2] [MQTT-3.2.2-3] [MQTT-3.1.2-4]', async () => {
    const clientId = uniq('persistent');
    const first = await resume(midge.port, { clientId, clean: false });
    assert.equal(first.present, false);
    await disconnect(first.client);
    const second = await resume(midge.port, { clientId, clean: false });
    assert.equal(second.present, true);
    await disconnect(second.client);
  });

  it('keeps subscriptions and QoS 1 and 2 messages of a disconnected persistent session and sends them in order on return [MQTT-3.1.2-4] [MQTT-3.1.2-5] [MQTT-4.5.0-1] [MQTT-4.6.0-6]', async () => {
    const clientId = uniq('queued');
    const topic = uniq('queued/topic');
    const first = await connect(midge.port, { clientId, clean: false });
    await subscribe(first, [[topic, 2]]);
    await disconnect(first);
    for (let i = 0; i < 5; i++) await publish(pub, topic, `m${i}`, { qos: ((i % 2) + 1) as 1 | 2 });
    const { client, present } = await resume(midge.port, { clientId, clean: false });
    assert.equal(present, true);
    const got = await receive(client, 5);
    assert.deepEqual(payloads(got), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.deepEqual(got.map((p) => p.qos), [1, 2, 1, 2, 1]);
    await disconnect(client);
  });

  it('drops QoS 0 messages for an offline session and counts them (midge keeps only QoS 1 and 2 [MQTT-3.1.2-5])', async () => {
    const clientId = uniq('offline0');
    const topic = uniq('offline0/topic');
    const first = await connect(midge.port, { clientId, clean: false });
    await subscribe(first, [[topic, 2]]);
    await disconnect(first);
    await offline(midge, clientId);
    const stats = midge.server.broker.stats;
    const before = stats.droppedByReason.get('offline-qos0') ?? 0;
    await publish(pub, topic, 'lost', { qos: 0 });
    await publish(pub, topic, 'kept', { qos: 1 });
    assert.equal(stats.droppedByReason.get('offline-qos0'), before + 1);
    const { client } = await resume(midge.port, { clientId, clean: false });
    assert.deepEqual(payloads(await receive(client, 1)), ['kept']);
    await disconnect(client);
  });

  it('discards the previous session for Clean Session 1 and does not reuse its state afterwards [MQTT-3.1.2-6] [MQTT-3.2.2-1]', async () => {
    const clientId = uniq('cleaned');
    const topic = uniq('cleaned/topic');
    const first = await connect(midge.port, { clientId, clean: false });
    await subscribe(first, [[topic, 1]]);
    await disconnect(first);
    await publish(pub, topic, 'queued for the old session', { qos: 1 });
    const clean = await resume(midge.port, { clientId, clean: true });
    assert.equal(clean.present, false);
    await publish(pub, topic, 'no subscription any more', { qos: 1 });
    await expectNothingBefore(clean.client, pub, uniq('marker'));
    await disconnect(clean.client);
    const after = await resume(midge.port, { clientId, clean: false });
    assert.equal(after.present, false, 'the clean session ended with its connection');
    await disconnect(after.client);
  });

  it('resends an unacknowledged QoS 1 PUBLISH with DUP 1 and its original packet identifier [MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-2.3.1-4]', async () => {
    const clientId = uniq('resend1');
    const topic = uniq('resend1/topic');
    const first = await connect(midge.port, { clientId, clean: false });
    await subscribe(first, [[topic, 1]]);
    await publish(pub, topic, 'unacked', { qos: 1 });
    const [original] = await receive(first, 1, { ack: false });
    assert.equal(original!.dup, false);
    await first.close();
    const { client } = await resume(midge.port, { clientId, clean: false });
    const again = await client.expect(PacketType.PUBLISH);
    assert.deepEqual([again.payload.toString(), again.dup, again.packetId, again.qos], ['unacked', true, original!.packetId, 1]);
    client.send({ type: PacketType.PUBACK, packetId: again.packetId! });
    assert.ok(await client.quietFor(100), 'acknowledged: not sent again');
    await disconnect(client);
  });

  it('resends an unacknowledged QoS 2 PUBLISH with DUP 1, and after PUBREC the PUBREL instead of the PUBLISH [MQTT-4.4.0-1] [MQTT-4.3.3-1]', async () => {
    const clientId = uniq('resend2');
    const topic = uniq('resend2/topic');
    const first = await connect(midge.port, { clientId, clean: false });
    await subscribe(first, [[topic, 2]]);
    await publish(pub, topic, 'qos 2', { qos: 2 });
    const original = await first.expect(PacketType.PUBLISH);
    await first.close();

    const second = await connect(midge.port, { clientId, clean: false });
    const again = await second.expect(PacketType.PUBLISH);
    assert.deepEqual([again.dup, again.packetId, again.qos], [true, original.packetId, 2]);
    second.send({ type: PacketType.PUBREC, packetId: again.packetId! });
    assert.equal((await second.expect(PacketType.PUBREL)).packetId, original.packetId);
    await second.close();

    const third = await connect(midge.port, { clientId, clean: false });
    assert.equal((await third.expect(PacketType.PUBREL)).packetId, original.packetId, 'PUBREL resent, not the PUBLISH');
    third.send({ type: PacketType.PUBCOMP, packetId: original.packetId! });
    assert.ok(await third.quietFor(100), 'complete: nothing resent');
    await disconnect(third);
  });

  it('resends in-flight messages in their original order, before messages queued later [MQTT-4.6.0-1] [MQTT-4.6.0-6]', async () => {
    const clientId = uniq('resend-order');
    const topic = uniq('resend-order/topic');
    const first = await connect(midge.port, { clientId, clean: false });
    await subscribe(first, [[topic, 1]]);
    for (let i = 0; i < 4; i++) await publish(pub, topic, `m${i}`, { qos: 1 });
    const sent = await receive(first, 4, { ack: false });
    first.send({ type: PacketType.PUBACK, packetId: sent[1]!.packetId! });
    await first.close();
    await offline(midge, clientId);
    await publish(pub, topic, 'm4', { qos: 1 });
    const { client } = await resume(midge.port, { clientId, clean: false });
    const got = await receive(client, 4);
    assert.deepEqual(payloads(got), ['m0', 'm2', 'm3', 'm4']);
    assert.deepEqual(got.map((p) => p.dup), [true, true, true, false]);
    await disconnect(client);
  });

  it('remembers inbound QoS 2 packet identifiers across a reconnect, so a resent PUBLISH is not delivered twice [MQTT-4.3.3-2] [MQTT-4.1.0-1]', async () => {
    const clientId = uniq('inbound2');
    const topic = uniq('inbound2/topic');
    const sub = await connect(midge.port);
    await subscribe(sub, [[topic, 2]]);
    const first = await connect(midge.port, { clientId, clean: false });
    first.send({ type: PacketType.PUBLISH, topic, payload: Buffer.from('once'), qos: 2, retain: false, dup: false, packetId: 5 });
    await first.expect(PacketType.PUBREC);
    await first.close();
    const second = await connect(midge.port, { clientId, clean: false });
    second.send({ type: PacketType.PUBLISH, topic, payload: Buffer.from('once'), qos: 2, retain: false, dup: true, packetId: 5 });
    assert.equal((await second.expect(PacketType.PUBREC)).packetId, 5);
    second.send({ type: PacketType.PUBREL, packetId: 5 });
    assert.equal((await second.expect(PacketType.PUBCOMP)).packetId, 5);
    assert.deepEqual(payloads(await receive(sub, 1)), ['once']);
    await expectNothingBefore(sub, pub, uniq('marker'));
    await disconnect(second);
    await disconnect(sub);
  });

  it('hands a persistent session to a new connection that takes over the client id [MQTT-3.1.4-2] [MQTT-3.1.4-3]', async () => {
    const clientId = uniq('taken');
    const topic = uniq('taken/topic');
    const old = await connect(midge.port, { clientId, clean: false });
    await subscribe(old, [[topic, 1]]);
    const { client, present } = await resume(midge.port, { clientId, clean: false });
    assert.equal(present, true);
    await old.waitClosed();
    await publish(pub, topic, 'to the new connection', { qos: 1 });
    assert.deepEqual(payloads(await receive(client, 1)), ['to the new connection']);
    await disconnect(client);
  });
});

describe('05 sessions (MQTT 5)', () => {
  let midge: InProcessMidge;
  let pub: RawClient;
  brokerWithPublisher(5, (m, p) => { midge = m; pub = p; });

  it('ends a session with Session Expiry Interval 0 when its connection closes (section 3.1.2.11.2)', async () => {
    const clientId = uniq('expiry0');
    const first = await connect(midge.port, { version: 5, clientId, clean: false });
    await subscribe(first, [[uniq('expiry0/topic'), 1]]);
    await disconnect(first);
    const again = await resume(midge.port, { version: 5, clientId, clean: false });
    assert.equal(again.present, false);
    await disconnect(again.client);
  });

  it('keeps a session with a Session Expiry Interval and its queued messages after the connection closes [MQTT-3.1.2-23] [MQTT-3.2.2-3]', async () => {
    const clientId = uniq('expiry');
    const topic = uniq('expiry/topic');
    const properties = { sessionExpiryInterval: 60 };
    const first = await connect(midge.port, { version: 5, clientId, clean: false, properties });
    await subscribe(first, [[topic, 1]]);
    await first.close();
    await publish(pub, topic, 'waiting', { qos: 1 });
    const { client, present } = await resume(midge.port, { version: 5, clientId, clean: false, properties });
    assert.equal(present, true);
    assert.deepEqual(payloads(await receive(client, 1)), ['waiting']);
    await disconnect(client);
  });

  it('discards a session once its Session Expiry Interval has passed [MQTT-4.1.0-2]', async () => {
    const clientId = uniq('expired');
    const first = await connect(midge.port, { version: 5, clientId, clean: false, properties: { sessionExpiryInterval: 1 } });
    await subscribe(first, [[uniq('expired/topic'), 1]]);
    await disconnect(first);
    await new Promise((r) => setTimeout(r, 1300));
    const again = await resume(midge.port, { version: 5, clientId, clean: false });
    assert.equal(again.present, false);
    await disconnect(again.client);
  });

  it('discards an existing session for Clean Start 1 [MQTT-3.1.2-4] [MQTT-3.2.2-2]', async () => {
    const clientId = uniq('cleanstart');
    const topic = uniq('cleanstart/topic');
    const properties = { sessionExpiryInterval: 60 };
    const first = await connect(midge.port, { version: 5, clientId, clean: false, properties });
    await subscribe(first, [[topic, 1]]);
    await disconnect(first);
    await publish(pub, topic, 'discarded', { qos: 1 });
    const again = await resume(midge.port, { version: 5, clientId, clean: true, properties });
    assert.equal(again.present, false);
    await expectNothingBefore(again.client, pub, uniq('marker'));
    await disconnect(again.client);
  });

  it('resends no more in-flight messages on resume than the Receive Maximum the client now states, the rest as acknowledgements come [MQTT-3.3.4-9] [MQTT-4.4.0-1]', async () => {
    const clientId = uniq('resume-quota');
    const topic = uniq('resume-quota/topic');
    const first = await connect(midge.port, { version: 5, clientId, clean: false, properties: { sessionExpiryInterval: 60, receiveMaximum: 5 } });
    await subscribe(first, [[topic, 1]]);
    for (let i = 0; i < 5; i++) await publish(pub, topic, `m${i}`, { qos: 1 });
    await receive(first, 5, { ack: false });
    await first.close();
    const again = await connect(midge.port, { version: 5, clientId, clean: false, properties: { sessionExpiryInterval: 60, receiveMaximum: 2 } });
    const resent = await receive(again, 2, { ack: false });
    assert.ok(await again.quietFor(100), 'no third PUBLISH before an acknowledgement');
    again.send({ type: PacketType.PUBACK, packetId: resent[0]!.packetId! });
    const [third] = await receive(again, 1, { ack: false });
    assert.deepEqual([third!.payload.toString(), third!.dup], ['m2', true]);
    await again.close();
  });

  it('treats a PUBLISH the client answered with a failure reason code as acknowledged: no PUBREL, and no resend on resume [MQTT-4.4.0-2] [MQTT-4.3.3-4]', async () => {
    const clientId = uniq('refused-acks');
    const base = uniq('refused-acks/topic');
    const properties = { sessionExpiryInterval: 60 };
    const first = await connect(midge.port, { version: 5, clientId, clean: false, properties });
    await subscribe(first, [[`${base}/1`, 1], [`${base}/2`, 2]]);
    await publish(pub, `${base}/1`, 'refused at QoS 1', { qos: 1 });
    await publish(pub, `${base}/2`, 'refused at QoS 2', { qos: 2 });
    const refused = await receive(first, 2, { ack: false });
    first.send({ type: PacketType.PUBACK, packetId: refused[0]!.packetId!, reasonCode: 0x80 });
    first.send({ type: PacketType.PUBREC, packetId: refused[1]!.packetId!, reasonCode: 0x80 });
    await expectNothingBefore(first, pub, uniq('marker'));
    await first.close();
    await offline(midge, clientId);
    const { client, present } = await resume(midge.port, { version: 5, clientId, clean: false, properties });
    assert.equal(present, true);
    await expectNothingBefore(client, pub, uniq('marker'));
    await disconnect(client);
  });

  it('resends a QoS 2 PUBLISH already sent even after its Message Expiry Interval has passed [MQTT-4.3.3-7] [MQTT-4.4.0-1]', async () => {
    const clientId = uniq('expired-inflight');
    const topic = uniq('expired-inflight/topic');
    const properties = { sessionExpiryInterval: 60 };
    const first = await connect(midge.port, { version: 5, clientId, clean: false, properties });
    await subscribe(first, [[topic, 2]]);
    await publish(pub, topic, 'short-lived', { qos: 2, properties: { messageExpiryInterval: 1 } });
    const [sent] = await receive(first, 1, { ack: false });
    await first.close();
    await offline(midge, clientId);
    await new Promise((r) => setTimeout(r, 1100));
    const again = await connect(midge.port, { version: 5, clientId, clean: false, properties });
    const [resent] = await receive(again, 1, { ack: false });
    assert.deepEqual([resent!.payload.toString(), resent!.dup, resent!.packetId], ['short-lived', true, sent!.packetId]);
    await again.close();
  });
});
