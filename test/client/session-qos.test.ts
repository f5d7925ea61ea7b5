/**
 * The pure protocol state machine: QoS 0/1/2 flows in both directions, packet
 * identifiers and the server's Receive Maximum. No sockets, no timers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { ReasonCodeError } from '../../src/client/index.js';
import { ack, connect, eventsOf, harness, request, sent, sentOf } from './session-harness.js';

describe('outgoing QoS flows', () => {
  test('a QoS 0 publish goes out at once with DUP 0 and no packet identifier, completing when written [MQTT-4.3.1-1] [MQTT-2.2.1-2]', () => {
    const { state } = harness();
    connect(state);
    const { op, output } = state.publish(request('a', 0));
    const [publish] = sentOf(output, PacketType.PUBLISH);
    assert.equal(publish?.dup, false);
    assert.equal(publish?.packetId, undefined);
    assert.equal(output.send[0]?.completes, op);
  });

  test('a QoS 1 publish is unacknowledged until its PUBACK, which completes it and frees the packet identifier [MQTT-4.3.2-2] [MQTT-4.3.2-3]', () => {
    const { state } = harness();
    connect(state);
    const { op, output } = state.publish(request('a', 1));
    const [publish] = sentOf(output, PacketType.PUBLISH);
    assert.ok(publish?.packetId);
    assert.equal(publish.dup, false);
    assert.equal(state.inflightCount, 1);
    const done = state.handle(ack(PacketType.PUBACK, publish.packetId));
    assert.deepEqual(eventsOf(done, 'publish-done').map((e) => [e.op, e.outcome.reasonCode]), [[op, 0]]);
    assert.equal(state.inflightCount, 0);
  });

  test('a PUBACK with a reason code of 0x80 or more fails the publish with that code and reason string, without a resend [MQTT-4.4.0-2]', () => {
    const { state } = harness();
    connect(state);
    const { op, output } = state.publish(request('a', 1));
    const packetId = sentOf(output, PacketType.PUBLISH)[0]!.packetId!;
    const result = state.handle(ack(PacketType.PUBACK, packetId, 0x87, { reasonString: 'no publishing to a' }));
    const [failed] = eventsOf(result, 'publish-failed');
    assert.equal(failed?.op, op);
    assert.ok(failed?.error instanceof ReasonCodeError);
    assert.equal(failed.error.reasonCode, 0x87);
    assert.equal(failed.error.reasonString, 'no publishing to a');
    state.connectionLost();
    assert.equal(sentOf(connect(state, { sessionPresent: true }), PacketType.PUBLISH).length, 0);
  });

  test('a QoS 2 publish answers PUBREC with PUBREL of the same identifier and completes on PUBCOMP [MQTT-4.3.3-4] [MQTT-4.3.3-5]', () => {
    const { state } = harness();
    connect(state);
    const { op, output } = state.publish(request('a', 2));
    const packetId = sentOf(output, PacketType.PUBLISH)[0]!.packetId!;
    const afterPubrec = state.handle(ack(PacketType.PUBREC, packetId));
    assert.deepEqual(sentOf(afterPubrec, PacketType.PUBREL).map((p) => p.packetId), [packetId]);
    assert.equal(eventsOf(afterPubrec, 'publish-done').length, 0);
    const afterPubcomp = state.handle(ack(PacketType.PUBCOMP, packetId));
    assert.deepEqual(eventsOf(afterPubcomp, 'publish-done').map((e) => e.op), [op]);
    assert.equal(state.inflightCount, 0);
  });

  test('a QoS 2 publish refused in PUBREC ends there, with no PUBREL [MQTT-4.4.0-2]', () => {
    const { state } = harness();
    connect(state);
    const { op, output } = state.publish(request('a', 2));
    const packetId = sentOf(output, PacketType.PUBLISH)[0]!.packetId!;
    const result = state.handle(ack(PacketType.PUBREC, packetId, 0x97));
    assert.equal(sentOf(result, PacketType.PUBREL).length, 0);
    assert.deepEqual(eventsOf(result, 'publish-failed').map((e) => e.op), [op]);
  });

  test('a PUBREC for an unknown packet identifier is answered with PUBREL 0x92', () => {
    const { state } = harness();
    connect(state);
    const [pubrel] = sentOf(state.handle(ack(PacketType.PUBREC, 77)), PacketType.PUBREL);
    assert.equal(pubrel?.reasonCode, 0x92);
  });
});

describe('incoming QoS flows', () => {
  test('an incoming QoS 1 message is delivered and acknowledged with its packet identifier [MQTT-4.3.2-4] [MQTT-4.5.0-2]', () => {
    const { state } = harness();
    connect(state);
    const out = state.handle({ type: PacketType.PUBLISH, topic: 't', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 9 });
    assert.equal(eventsOf(out, 'message')[0]?.message.topic, 't');
    assert.deepEqual(sentOf(out, PacketType.PUBACK).map((p) => p.packetId), [9]);
  });

  test('an incoming QoS 2 message is delivered once though resent before PUBREL, and its identifier is new again after PUBCOMP [MQTT-4.3.3-10] [MQTT-4.3.3-11] [MQTT-4.3.3-12]', () => {
    const { state } = harness();
    connect(state);
    const publish = { type: PacketType.PUBLISH, topic: 't', payload: Buffer.from('x'), qos: 2, retain: false, dup: false, packetId: 5 } as const;
    const first = state.handle(publish);
    const again = state.handle({ ...publish, dup: true });
    assert.equal(eventsOf(first, 'message').length, 1);
    assert.equal(eventsOf(again, 'message').length, 0);
    assert.deepEqual([...sentOf(first, PacketType.PUBREC), ...sentOf(again, PacketType.PUBREC)].map((p) => p.packetId), [5, 5]);
    const released = state.handle({ type: PacketType.PUBREL, packetId: 5 });
    const [pubcomp] = sentOf(released, PacketType.PUBCOMP);
    assert.equal(pubcomp?.packetId, 5);
    assert.equal(pubcomp.reasonCode, undefined);
    assert.equal(eventsOf(state.handle(publish), 'message').length, 1);
  });

  test('a PUBREL for an unknown packet identifier is answered with PUBCOMP 0x92', () => {
    const { state } = harness();
    connect(state);
    const [pubcomp] = sentOf(state.handle({ type: PacketType.PUBREL, packetId: 3 }), PacketType.PUBCOMP);
    assert.equal(pubcomp?.reasonCode, 0x92);
  });

  test('acknowledgements go out in the order the messages arrived [MQTT-4.6.0-2] [MQTT-4.6.0-3]', () => {
    const { state } = harness();
    connect(state);
    const ids = [4, 2, 8];
    const acks = ids.flatMap((packetId, i) => sent(state.handle({
      type: PacketType.PUBLISH, topic: 't', payload: Buffer.alloc(0), qos: i === 1 ? 2 : 1, retain: false, dup: false, packetId,
    })));
    assert.deepEqual(acks.map((p) => [p.type, 'packetId' in p ? p.packetId : 0]), [[PacketType.PUBACK, 4], [PacketType.PUBREC, 2], [PacketType.PUBACK, 8]]);
  });

  test('more unreleased QoS 2 messages than the client\'s Receive Maximum close the connection with 0x93', () => {
    const { state } = harness({ properties: { receiveMaximum: 2 } });
    connect(state);
    for (const packetId of [1, 2]) {
      state.handle({ type: PacketType.PUBLISH, topic: 't', payload: Buffer.alloc(0), qos: 2, retain: false, dup: false, packetId });
    }
    const out = state.handle({ type: PacketType.PUBLISH, topic: 't', payload: Buffer.alloc(0), qos: 2, retain: false, dup: false, packetId: 3 });
    assert.equal(sentOf(out, PacketType.DISCONNECT)[0]?.reasonCode, 0x93);
    assert.equal(eventsOf(out, 'close').length, 1);
    assert.equal(state.phase, 'offline');
  });
});

describe('packet identifiers', () => {
  test('every QoS 1/2 PUBLISH, SUBSCRIBE and UNSUBSCRIBE gets a non-zero identifier no flow in progress uses [MQTT-2.2.1-3]', () => {
    const { state } = harness();
    connect(state);
    const ids = [
      ...sentOf(state.publish(request('a', 1)).output, PacketType.PUBLISH).map((p) => p.packetId),
      ...sentOf(state.publish(request('b', 2)).output, PacketType.PUBLISH).map((p) => p.packetId),
      ...sentOf(state.subscribe([{ topicFilter: 'x', qos: 0 }]).output, PacketType.SUBSCRIBE).map((p) => p.packetId),
      ...sentOf(state.unsubscribe(['x']).output, PacketType.UNSUBSCRIBE).map((p) => p.packetId),
    ];
    assert.equal(ids.length, 4);
    assert.ok(ids.every((id) => typeof id === 'number' && id > 0));
    assert.equal(new Set(ids).size, 4);
  });

  test('an identifier is handed out again only after its acknowledgement was processed', () => {
    const { state } = harness({ properties: {} });
    connect(state);
    const first = sentOf(state.publish(request('a', 1)).output, PacketType.PUBLISH)[0]!.packetId!;
    // Walk the identifier space round once while the first flow stays open.
    const seen = new Set<number>();
    for (let i = 0; i < 65_534; i++) {
      const { output } = state.publish(request('b', 1));
      const id = sentOf(output, PacketType.PUBLISH)[0]?.packetId;
      if (id !== undefined) {
        seen.add(id);
        state.handle(ack(PacketType.PUBACK, id));
      }
    }
    assert.equal(seen.has(first), false);
    state.handle(ack(PacketType.PUBACK, first));
    const reused = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const id = sentOf(state.publish(request('c', 1)).output, PacketType.PUBLISH)[0]!.packetId!;
      reused.add(id);
      state.handle(ack(PacketType.PUBACK, id));
    }
    assert.ok(reused.has(first), 'the freed identifier comes round again');
  });
});

describe('flow control', () => {
  test('no more QoS 1/2 publishes are unacknowledged than the server\'s Receive Maximum; each PUBACK lets the next one go [MQTT-3.3.4-7] [MQTT-4.9.0-2]', () => {
    const { state } = harness();
    connect(state, { properties: { receiveMaximum: 2 } });
    const outputs = [1, 2, 3, 4].map((n) => state.publish(request(`t/${n}`, 1)).output);
    const first = outputs.flatMap((o) => sentOf(o, PacketType.PUBLISH));
    assert.deepEqual(first.map((p) => p.topic), ['t/1', 't/2']);
    assert.equal(state.waitingCount, 2);
    const next = sentOf(state.handle(ack(PacketType.PUBACK, first[0]!.packetId!)), PacketType.PUBLISH);
    assert.deepEqual(next.map((p) => p.topic), ['t/3']);
    assert.equal(state.inflightCount, 2);
  });

  test('a QoS 2 message holds its quota slot until PUBCOMP, not PUBREC', () => {
    const { state } = harness();
    connect(state, { properties: { receiveMaximum: 1 } });
    const id = sentOf(state.publish(request('a', 2)).output, PacketType.PUBLISH)[0]!.packetId!;
    assert.equal(sentOf(state.publish(request('b', 2)).output, PacketType.PUBLISH).length, 0);
    assert.equal(sentOf(state.handle(ack(PacketType.PUBREC, id)), PacketType.PUBLISH).length, 0);
    assert.deepEqual(sentOf(state.handle(ack(PacketType.PUBCOMP, id)), PacketType.PUBLISH).map((p) => p.topic), ['b']);
  });

  test('SUBSCRIBE is not held back by a used-up send quota [MQTT-3.3.4-8] [MQTT-4.9.0-3]', () => {
    const { state } = harness();
    connect(state, { properties: { receiveMaximum: 1 } });
    state.publish(request('a', 1));
    state.publish(request('b', 1));
    assert.equal(sentOf(state.subscribe([{ topicFilter: 'x', qos: 1 }]).output, PacketType.SUBSCRIBE).length, 1);
  });
});

describe('subscriptions', () => {
  test('SUBACK codes complete the subscribe, one per filter in order [MQTT-3.9.3-1]', () => {
    const { state } = harness();
    connect(state);
    const { op, output } = state.subscribe([{ topicFilter: 'a', qos: 2 }, { topicFilter: 'b', qos: 1 }]);
    const packetId = sentOf(output, PacketType.SUBSCRIBE)[0]!.packetId;
    const done = eventsOf(state.handle({ type: PacketType.SUBACK, packetId, reasonCodes: [1, 0x87] }), 'subscribe-done');
    assert.deepEqual(done.map((e) => [e.op, e.reasonCodes]), [[op, [1, 0x87]]]);
    assert.deepEqual(state.activeSubscriptions, ['a']);
  });

  test('a subscribe refused for every filter fails with the SUBACK code and reason string', () => {
    const { state } = harness();
    connect(state);
    const { op, output } = state.subscribe([{ topicFilter: 'a', qos: 0 }]);
    const packetId = sentOf(output, PacketType.SUBSCRIBE)[0]!.packetId;
    const [failed] = eventsOf(state.handle({ type: PacketType.SUBACK, packetId, reasonCodes: [0x87], properties: { reasonString: 'not you' } }), 'subscribe-failed');
    assert.equal(failed?.op, op);
    assert.match(failed.error.message, /0x87 Not authorized \(not you\)/);
  });

  test('a 3.1.1 UNSUBACK, which has no codes, completes with a success code per filter', () => {
    const { state } = harness({ protocolVersion: 4 });
    connect(state);
    const { output } = state.unsubscribe(['a', 'b']);
    const packetId = sentOf(output, PacketType.UNSUBSCRIBE, 4)[0]!.packetId;
    const [done] = eventsOf(state.handle({ type: PacketType.UNSUBACK, packetId }), 'unsubscribe-done');
    assert.deepEqual(done?.reasonCodes, [0, 0]);
  });

  test('an invalid topic filter or topic name is refused before anything is sent [MQTT-4.7.1-1] [MQTT-4.7.0-1]', () => {
    const { state } = harness();
    connect(state);
    assert.throws(() => state.subscribe([{ topicFilter: 'a/#/b', qos: 0 }]), /invalid topic filter/);
    assert.throws(() => state.publish(request('a/+', 0)), /invalid topic name/);
    assert.throws(() => state.publish(request('a', 1, { properties: { subscriptionIdentifiers: [1] } })), /MQTT-3.3.4-6/);
  });
});
