/**
 * What the pure state machine does across a reconnect: resending with DUP when the
 * session was resumed, publishing again or failing when it was lost, subscribing
 * again, the Clean Start flag and client identifier of the next CONNECT.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { MemoryInflightStore } from '../../src/client/index.js';
import { ack, connect, eventsOf, harness, request, sent, sentOf } from './session-harness.js';

describe('resending after a reconnect', () => {
  test('unacknowledged QoS 1/2 publishes are resent in order with DUP 1 and their original packet identifiers when the session is resumed [MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-3.3.1-1]', () => {
    const { state } = harness({ clean: false });
    connect(state);
    const first = ['a', 'b', 'c'].map((t, i) => sentOf(state.publish(request(t, i === 1 ? 2 : 1)).output, PacketType.PUBLISH)[0]!);
    state.connectionLost();
    const resent = sentOf(connect(state, { sessionPresent: true }), PacketType.PUBLISH);
    assert.deepEqual(resent.map((p) => [p.topic, p.packetId, p.dup]), first.map((p) => [p.topic, p.packetId, true]));
  });

  test('a QoS 2 message past PUBREC is resent as PUBREL, never as PUBLISH, when the session is resumed [MQTT-4.3.3-6] [MQTT-4.4.0-1]', () => {
    const { state } = harness({ clean: false });
    connect(state);
    const { op, output } = state.publish(request('a', 2));
    const id = sentOf(output, PacketType.PUBLISH)[0]!.packetId!;
    state.handle(ack(PacketType.PUBREC, id));
    state.connectionLost();
    const after = sent(connect(state, { sessionPresent: true }));
    assert.deepEqual(after.map((p) => [p.type, 'packetId' in p ? p.packetId : 0]), [[PacketType.PUBREL, id]]);
    assert.deepEqual(eventsOf(state.handle(ack(PacketType.PUBCOMP, id)), 'publish-done').map((e) => e.op), [op]);
  });

  test('when the server lost the session, unacknowledged messages are published again as new ones (DUP 0) and QoS 2 messages past PUBREC complete [MQTT-3.2.2-5] [MQTT-4.3.2-2]', () => {
    const { state } = harness({ clean: false });
    connect(state);
    const q1 = state.publish(request('one', 1));
    const q2 = state.publish(request('two', 2));
    state.handle(ack(PacketType.PUBREC, sentOf(q2.output, PacketType.PUBLISH)[0]!.packetId!));
    state.connectionLost();
    const after = connect(state, { sessionPresent: false });
    const publishes = sentOf(after, PacketType.PUBLISH);
    assert.deepEqual(publishes.map((p) => [p.topic, p.dup]), [['one', false]]);
    assert.equal(sentOf(after, PacketType.PUBREL).length, 0);
    assert.deepEqual(eventsOf(after, 'publish-done').map((e) => e.op), [q2.op]);
    assert.deepEqual(eventsOf(state.handle(ack(PacketType.PUBACK, publishes[0]!.packetId!)), 'publish-done').map((e) => e.op), [q1.op]);
  });

  test('with resendOnSessionLoss off, messages in flight fail when the server lost the session', () => {
    const { state } = harness({ resendOnSessionLoss: false });
    connect(state);
    const { op } = state.publish(request('a', 1));
    state.connectionLost();
    const after = connect(state);
    assert.equal(sentOf(after, PacketType.PUBLISH).length, 0);
    const [failed] = eventsOf(after, 'publish-failed');
    assert.equal(failed?.op, op);
    assert.equal(failed.error.code, 'SESSION_LOST');
  });

  test('messages published while offline wait for CONNACK and go out without DUP, QoS 0 included [MQTT-4.3.2-2] [MQTT-4.3.3-2]', () => {
    const { state } = harness();
    const offline = [state.publish(request('a', 0)), state.publish(request('b', 1)), state.publish(request('c', 2))];
    assert.ok(offline.every((s) => s.output.send.length === 0));
    assert.equal(state.waitingCount, 3);
    const after = sentOf(connect(state), PacketType.PUBLISH);
    assert.deepEqual(after.map((p) => [p.topic, p.qos, p.dup]), [['a', 0, false], ['b', 1, false], ['c', 2, false]]);
  });

  test('resends after a reconnect stay within the new connection\'s Receive Maximum [MQTT-4.9.0-1]', () => {
    const { state } = harness({ clean: false });
    connect(state);
    const ids = [1, 2, 3].map((n) => sentOf(state.publish(request(`t/${n}`, 1)).output, PacketType.PUBLISH)[0]!.packetId!);
    state.connectionLost();
    const after = sentOf(connect(state, { sessionPresent: true, properties: { receiveMaximum: 1 } }), PacketType.PUBLISH);
    assert.deepEqual(after.map((p) => p.packetId), [ids[0]]);
    const next = sentOf(state.handle(ack(PacketType.PUBACK, ids[0]!)), PacketType.PUBLISH);
    assert.deepEqual(next.map((p) => [p.packetId, p.dup]), [[ids[1], true]]);
  });

  test('messages left in a store by an earlier process are sent on the first connection, with their packet identifiers kept', () => {
    const store = new MemoryInflightStore();
    store.put({ kind: 'publish', sent: true, packet: { type: PacketType.PUBLISH, topic: 'old', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 42 } });
    const { state } = harness({ clean: false }, store);
    const after = sentOf(connect(state, { sessionPresent: true }), PacketType.PUBLISH);
    assert.deepEqual(after.map((p) => [p.topic, p.packetId, p.dup]), [['old', 42, true]]);
    const fresh = sentOf(state.publish(request('new', 1)).output, PacketType.PUBLISH)[0]!;
    assert.notEqual(fresh.packetId, 42);
    state.handle(ack(PacketType.PUBACK, 42));
    assert.equal(store.get(42), undefined);
  });
});

describe('subscribing again', () => {
  function subscribed(clean = true) {
    const h = harness({ clean });
    connect(h.state);
    const props = { userProperties: [['k', 'v']] as [string, string][] };
    for (const [filters, properties] of [[['a', 'b'], undefined], [['c'], props]] as const) {
      const { output } = h.state.subscribe(filters.map((topicFilter) => ({ topicFilter, qos: 1 as const })), properties);
      const packetId = sentOf(output, PacketType.SUBSCRIBE)[0]!.packetId;
      h.state.handle({ type: PacketType.SUBACK, packetId, reasonCodes: filters.map(() => 1) });
    }
    return h;
  }

  test('when the server did not keep the session every granted subscription is requested again, with its options and properties', () => {
    const { state } = subscribed();
    state.connectionLost();
    const subscribes = sentOf(connect(state, { sessionPresent: false }), PacketType.SUBSCRIBE);
    assert.deepEqual(subscribes.map((s) => s.subscriptions.map((x) => [x.topicFilter, x.qos])), [[['a', 1], ['b', 1]], [['c', 1]]]);
    assert.deepEqual(subscribes[1]?.properties?.userProperties, [['k', 'v']]);
  });

  test('when the server kept the session nothing is subscribed again', () => {
    const { state } = subscribed(false);
    state.connectionLost();
    assert.equal(sentOf(connect(state, { sessionPresent: true }), PacketType.SUBSCRIBE).length, 0);
  });

  test('an unsubscribed filter and a refused one are not subscribed again', () => {
    const { state } = subscribed();
    const unsub = state.unsubscribe(['a']);
    state.handle({ type: PacketType.UNSUBACK, packetId: sentOf(unsub.output, PacketType.UNSUBSCRIBE)[0]!.packetId, reasonCodes: [0] });
    const refused = state.subscribe([{ topicFilter: 'c', qos: 2 }]);
    state.handle({ type: PacketType.SUBACK, packetId: sentOf(refused.output, PacketType.SUBSCRIBE)[0]!.packetId, reasonCodes: [0x87] });
    state.connectionLost();
    const again = sentOf(connect(state), PacketType.SUBSCRIBE).flatMap((s) => s.subscriptions.map((x) => x.topicFilter));
    assert.deepEqual(again, ['b']);
  });

  test('resubscribing can be turned off', () => {
    const { state } = harness({ resubscribe: false });
    connect(state);
    const { output } = state.subscribe([{ topicFilter: 'a', qos: 0 }]);
    state.handle({ type: PacketType.SUBACK, packetId: sentOf(output, PacketType.SUBSCRIBE)[0]!.packetId, reasonCodes: [0] });
    state.connectionLost();
    assert.equal(sentOf(connect(state), PacketType.SUBSCRIBE).length, 0);
  });

  test('a SUBSCRIBE unacknowledged when the connection broke is sent again with its packet identifier, and completes its call', () => {
    const { state } = harness();
    connect(state);
    const { op, output } = state.subscribe([{ topicFilter: 'a', qos: 1 }]);
    const packetId = sentOf(output, PacketType.SUBSCRIBE)[0]!.packetId;
    state.connectionLost();
    const again = sentOf(connect(state), PacketType.SUBSCRIBE);
    assert.deepEqual(again.map((s) => s.packetId), [packetId]);
    assert.deepEqual(eventsOf(state.handle({ type: PacketType.SUBACK, packetId, reasonCodes: [1] }), 'subscribe-done').map((e) => e.op), [op]);
  });
});

describe('the next CONNECT', () => {
  test('CONNECT is the first packet and carries the will, the credentials and the v5 properties [MQTT-3.1.0-1]', () => {
    const { state } = harness({
      username: 'u', password: Buffer.from('p'), properties: { sessionExpiryInterval: 30 },
      will: { topic: 'w', payload: Buffer.from('gone'), qos: 1, retain: true, properties: { willDelayInterval: 5 } },
    });
    const [connectPacket] = sent(state.connect());
    assert.equal(connectPacket?.type, PacketType.CONNECT);
    if (connectPacket?.type !== PacketType.CONNECT) return;
    assert.equal(connectPacket.username, 'u');
    assert.equal(connectPacket.password?.toString(), 'p');
    assert.equal(connectPacket.properties?.sessionExpiryInterval, 30);
    assert.deepEqual([connectPacket.will?.topic, connectPacket.will?.qos, connectPacket.will?.retain, connectPacket.will?.properties?.willDelayInterval], ['w', 1, true, 5]);
  });

  test('a v5 session with a Session Expiry Interval resumes on reconnect even after a clean first start', () => {
    const { state } = harness({ clean: true, properties: { sessionExpiryInterval: 300 } });
    connect(state);
    state.connectionLost();
    const [again] = sentOf(state.connect(), PacketType.CONNECT);
    assert.equal(again?.clean, false);
  });

  test('a 3.1.1 clean session stays clean on every reconnect [MQTT-3.1.2-6]', () => {
    const { state } = harness({ protocolVersion: 4, clean: true });
    connect(state);
    state.connectionLost();
    assert.equal(sentOf(state.connect(), PacketType.CONNECT, 4)[0]?.clean, true);
  });

  test('an Assigned Client Identifier replaces an empty one and is used to reconnect [MQTT-3.2.2-16]', () => {
    const { state } = harness({ clientId: '' });
    const out = connect(state, { properties: { assignedClientIdentifier: 'auto-7' } });
    assert.equal(eventsOf(out, 'connected')[0]?.clientId, 'auto-7');
    state.connectionLost();
    assert.equal(sentOf(state.connect(), PacketType.CONNECT)[0]?.clientId, 'auto-7');
  });

  test('a refused CONNACK ends the attempt: a 3.1.1 return code or a v5 reason code of 0x80 or more', () => {
    for (const [protocolVersion, reasonCode] of [[4, 5], [5, 0x86]] as const) {
      const { state } = harness({ protocolVersion });
      state.connect();
      const out = state.handle({ type: PacketType.CONNACK, sessionPresent: false, reasonCode });
      assert.equal(eventsOf(out, 'connect-refused')[0]?.connack.reasonCode, reasonCode);
      assert.equal(state.phase, 'offline');
    }
  });
});
