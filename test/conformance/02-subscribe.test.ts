import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import {
  connect, disconnect, payloads, publish, receive, subscribe, uniq, unsubscribe, brokerWithPublisher } from '../helpers/flows.js';
import type { InProcessMidge } from '../helpers/midge.js';
import type { RawClient } from '../helpers/raw-client.js';

/**
 * Topics a subscriber must not receive are published first, then a marker that it
 * must receive: the broker routes one publisher's messages in order and writes
 * each subscriber's socket in order, so a wrong delivery would arrive before the
 * marker. That keeps "nothing else arrived" checks exact without sleeping.
 */
async function expectOnly(subscriber: RawClient, publisher: RawClient, marker: string): Promise<void> {
  await publish(publisher, marker, 'marker', { qos: 1 });
  const [first] = await receive(subscriber, 1);
  assert.equal(first!.topic, marker, `first delivery was ${first!.topic}, not the marker`);
}

describe('02 SUBSCRIBE and UNSUBSCRIBE (MQTT 3.1.1)', () => {
  let midge: InProcessMidge;
  let pub: RawClient;
  brokerWithPublisher(4, (m, p) => { midge = m; pub = p; });

  it('answers one return code per filter, in order, as for a sequence of SUBSCRIBEs, in a SUBACK with the packet identifier of the SUBSCRIBE [MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-2.3.1-7] [MQTT-3.8.4-4] [MQTT-3.8.4-5] [MQTT-3.9.3-1]', async () => {
    const sub = await connect(midge.port);
    const base = uniq('order');
    assert.deepEqual(await subscribe(sub, [[`${base}/a`, 2], [`${base}/b`, 0], [`${base}/c`, 1]]), [2, 0, 1]);
    await disconnect(sub);
  });

  it('delivers at the minimum of the published QoS and the granted QoS [MQTT-3.8.4-6]', async () => {
    const sub = await connect(midge.port);
    const base = uniq('minqos');
    await subscribe(sub, [[`${base}/q1`, 1], [`${base}/q2`, 2]]);
    await publish(pub, `${base}/q1`, 'down to 1', { qos: 2 });
    await publish(pub, `${base}/q2`, 'stays 0', { qos: 0 });
    const got = await receive(sub, 2);
    assert.deepEqual(got.map((p) => [p.topic, p.qos]), [[`${base}/q1`, 1], [`${base}/q2`, 0]]);
    await disconnect(sub);
  });

  it("matches '+' to exactly one level, an empty one included (section 4.7.1.3)", async () => {
    const sub = await connect(midge.port);
    const base = uniq('plus');
    await subscribe(sub, [[`${base}/+/c`, 0]]);
    await publish(pub, `${base}/c`, 'no level');
    await publish(pub, `${base}/b/c/d`, 'two levels');
    await publish(pub, `${base}/b/c`, 'one level');
    await publish(pub, `${base}//c`, 'empty level');
    assert.deepEqual(payloads(await receive(sub, 2)), ['one level', 'empty level']);
    await expectOnly(sub, pub, `${base}/marker/c`);
    await disconnect(sub);
  });

  it("matches a leading empty level: '/x' matches '+/+' and '/+' but not '+' (section 4.7.1.3)", async () => {
    const name = uniq('lead');
    const both = await connect(midge.port);
    const single = await connect(midge.port);
    await subscribe(both, [['+/+', 0]]);
    await subscribe(single, [['+', 0], [`${name}-marker`, 0]]);
    const slash = await connect(midge.port);
    await subscribe(slash, [['/+', 0]]);
    await publish(pub, `/${name}`, 'leading separator');
    assert.deepEqual(payloads(await receive(both, 1)), ['leading separator']);
    assert.deepEqual(payloads(await receive(slash, 1)), ['leading separator']);
    await expectOnly(single, pub, `${name}-marker`);
    for (const c of [both, single, slash]) await disconnect(c);
  });

  it("matches '#' to the parent level and any number of child levels (section 4.7.1.2)", async () => {
    const sub = await connect(midge.port);
    const base = uniq('hash');
    await subscribe(sub, [[`${base}/sport/#`, 0]]);
    await publish(pub, `${base}/sports`, 'other level');
    await publish(pub, `${base}/sport`, 'parent');
    await publish(pub, `${base}/sport/tennis`, 'child');
    await publish(pub, `${base}/sport/tennis/player1`, 'grandchild');
    assert.deepEqual(payloads(await receive(sub, 3)), ['parent', 'child', 'grandchild']);
    await expectOnly(sub, pub, `${base}/sport/marker`);
    await disconnect(sub);
  });

  it('does not match topics starting with $ to filters starting with a wildcard, but does to explicit ones, naming the topic the filter matched [MQTT-4.7.2-1] [MQTT-3.3.2-3]', async () => {
    const wild = await connect(midge.port);
    const explicit = await connect(midge.port);
    const name = uniq('dollar');
    await subscribe(wild, [['#', 0], [`+/${name}`, 0], [`+/${name}/#`, 0]]);
    await subscribe(explicit, [[`$x/${name}`, 0]]);
    await publish(pub, `$x/${name}`, 'dollar');
    const [got] = await receive(explicit, 1);
    assert.equal(got!.topic, `$x/${name}`);
    await expectOnly(wild, pub, `x/${name}`);
    await disconnect(wild);
    await disconnect(explicit);
  });

  it('matches filters to topic names byte for byte, without normalization [MQTT-4.7.3-4]', async () => {
    const sub = await connect(midge.port);
    const base = uniq('exact');
    await subscribe(sub, [[`${base}/Caf\u00e9`, 0]]);
    await publish(pub, `${base}/caf\u00e9`, 'lower case');
    await publish(pub, `${base}/Cafe\u0301`, 'decomposed');
    await publish(pub, `${base}/Caf\u00e9/`, 'trailing separator');
    await publish(pub, `${base}/Caf\u00e9`, 'exact');
    assert.deepEqual(payloads(await receive(sub, 1)), ['exact']);
    await disconnect(sub);
  });

  it('sends one copy per client for overlapping subscriptions, at the highest of their QoS [MQTT-3.3.5-1]', async () => {
    const sub = await connect(midge.port);
    const base = uniq('overlap');
    await subscribe(sub, [[`${base}/#`, 0], [`${base}/a/+`, 2], [`${base}/a/b`, 1]]);
    await publish(pub, `${base}/a/b`, 'once', { qos: 2 });
    const [got] = await receive(sub, 1);
    assert.equal(got!.qos, 2);
    await expectOnly(sub, pub, `${base}/marker`);
    await disconnect(sub);
  });

  it('replaces a subscription to an identical filter instead of adding one, and re-sends retained messages [MQTT-3.8.4-3]', async () => {
    const sub = await connect(midge.port);
    const topic = uniq('replace');
    await publish(pub, topic, 'retained', { qos: 1, retain: true });
    await subscribe(sub, [[topic, 0], [`${topic}-marker`, 1]]);
    const [first] = await receive(sub, 1);
    assert.deepEqual([first!.qos, first!.retain], [0, true]);
    assert.deepEqual(await subscribe(sub, [[topic, 1]]), [1]);
    const [again] = await receive(sub, 1);
    assert.deepEqual([again!.payload.toString(), again!.qos, again!.retain], ['retained', 1, true]);
    await publish(pub, topic, 'live', { qos: 1 });
    const [live] = await receive(sub, 1);
    assert.deepEqual([live!.payload.toString(), live!.qos], ['live', 1]);
    await expectOnly(sub, pub, `${topic}-marker`);
    await disconnect(sub);
  });

  it('answers UNSUBSCRIBE with UNSUBACK and stops delivering [MQTT-3.10.4-1] [MQTT-3.10.4-2] [MQTT-3.10.4-4]', async () => {
    const sub = await connect(midge.port);
    const base = uniq('unsub');
    await subscribe(sub, [[`${base}/gone`, 1], [`${base}/kept`, 1]]);
    await unsubscribe(sub, [`${base}/gone`]);
    await publish(pub, `${base}/gone`, 'not delivered', { qos: 1 });
    await expectOnly(sub, pub, `${base}/kept`);
    await disconnect(sub);
  });

  it('answers UNSUBSCRIBE with UNSUBACK even when no subscription is deleted [MQTT-3.10.4-5]', async () => {
    const sub = await connect(midge.port);
    const unsuback = await unsubscribe(sub, [uniq('never-subscribed')]);
    assert.equal(unsuback.type, PacketType.UNSUBACK);
    await disconnect(sub);
  });

  it('compares UNSUBSCRIBE filters character by character: a/+ does not remove a/b [MQTT-3.10.4-1]', async () => {
    const sub = await connect(midge.port);
    const base = uniq('literal');
    await subscribe(sub, [[`${base}/b`, 0]]);
    await unsubscribe(sub, [`${base}/+`]);
    await publish(pub, `${base}/b`, 'still subscribed');
    assert.deepEqual(payloads(await receive(sub, 1)), ['still subscribed']);
    await disconnect(sub);
  });

  it('handles an UNSUBSCRIBE of several filters as a sequence, with one UNSUBACK [MQTT-3.10.4-6]', async () => {
    const sub = await connect(midge.port);
    const base = uniq('multi');
    await subscribe(sub, [[`${base}/1`, 0], [`${base}/2`, 0], [`${base}/3`, 0]]);
    await unsubscribe(sub, [`${base}/1`, `${base}/2`]);
    await publish(pub, `${base}/1`, 'one');
    await publish(pub, `${base}/2`, 'two');
    await expectOnly(sub, pub, `${base}/3`);
    assert.equal(sub.pending().filter((p) => p.type === PacketType.UNSUBACK).length, 0, 'one UNSUBACK only');
    await disconnect(sub);
  });
});

describe('02 SUBSCRIBE and UNSUBSCRIBE (MQTT 5)', () => {
  let midge: InProcessMidge;
  let pub: RawClient;
  brokerWithPublisher(5, (m, p) => { midge = m; pub = p; });

  it('answers 0x8F for an invalid filter and grants the others of the same SUBSCRIBE [MQTT-3.8.4-7] [MQTT-3.9.3-1] [MQTT-4.7.1-1] [MQTT-4.7.1-2]', async () => {
    const sub = await connect(midge.port, { version: 5 });
    const base = uniq('bad');
    assert.deepEqual(await subscribe(sub, [[`${base}/#/x`, 1], [`${base}/ok`, 1], [`${base}/a+`, 0]]), [0x8f, 1, 0x8f]);
    await publish(pub, `${base}/ok`, 'granted');
    assert.deepEqual(payloads(await receive(sub, 1)), ['granted']);
    await disconnect(sub);
  });

  it('sends one copy for overlapping subscriptions at the highest QoS, with every Subscription Identifier [MQTT-3.3.4-2] [MQTT-3.3.4-3] [MQTT-3.3.4-4]', async () => {
    const sub = await connect(midge.port, { version: 5 });
    const base = uniq('ids');
    await subscribe(sub, [[`${base}/#`, 0]], { subscriptionIdentifiers: [7] });
    await subscribe(sub, [[`${base}/+`, 1]], { subscriptionIdentifiers: [9] });
    await publish(pub, `${base}/x`, 'both', { qos: 1 });
    const [got] = await receive(sub, 1);
    assert.equal(got!.qos, 1);
    assert.deepEqual([...(got!.properties?.subscriptionIdentifiers ?? [])].sort((a, b) => a - b), [7, 9]);
    await expectOnly(sub, pub, `${base}/marker`);
    await disconnect(sub);
  });

  it('does not send a No Local subscriber its own messages [MQTT-3.8.3-3]', async () => {
    const self = await connect(midge.port, { version: 5 });
    const topic = uniq('nolocal');
    await subscribe(self, [{ topicFilter: topic, qos: 1, noLocal: true }]);
    await publish(self, topic, 'own', { qos: 1 });
    await publish(pub, topic, 'other', { qos: 1 });
    assert.deepEqual(payloads(await receive(self, 1)), ['other']);
    await disconnect(self);
  });

  it('answers UNSUBSCRIBE with a reason code per filter in order, 0x11 where none existed, under its packet identifier [MQTT-3.11.3-1] [MQTT-3.11.3-2] [MQTT-2.2.1-6]', async () => {
    const sub = await connect(midge.port, { version: 5 });
    const base = uniq('unsub5');
    await subscribe(sub, [[`${base}/a`, 0], [`${base}/c`, 0]]);
    const unsuback = await unsubscribe(sub, [`${base}/a`, `${base}/b`, `${base}/c`]);
    assert.deepEqual(unsuback.reasonCodes, [0x00, 0x11, 0x00]);
    await disconnect(sub);
  });

  it('completes the QoS 2 delivery it started before an UNSUBSCRIBE, and adds no new message for the filter [MQTT-3.10.4-2] [MQTT-3.10.4-3]', async () => {
    const sub = await connect(midge.port, { version: 5 });
    const base = uniq('unsub-inflight');
    await subscribe(sub, [[`${base}/t`, 2], [`${base}/marker`, 1]]);
    await publish(pub, `${base}/t`, 'started', { qos: 2 });
    const [started] = await receive(sub, 1, { ack: false });
    await unsubscribe(sub, [`${base}/t`]);
    await publish(pub, `${base}/t`, 'after the UNSUBSCRIBE', { qos: 2 });
    sub.send({ type: PacketType.PUBREC, packetId: started!.packetId! });
    assert.equal((await sub.expect(PacketType.PUBREL)).packetId, started!.packetId);
    sub.send({ type: PacketType.PUBCOMP, packetId: started!.packetId! });
    await expectOnly(sub, pub, `${base}/marker`);
    await disconnect(sub);
  });
});
