/**
 * The pure state machine against what the server announces and does: Maximum
 * QoS, Retain Available, Maximum Packet Size, Server Keep Alive, keep alive
 * timing, protocol errors and server DISCONNECT.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MalformedPacketError, PacketType } from '../../src/protocol/index.js';
import { ReasonCodeError } from '../../src/client/index.js';
import { connect, eventsOf, harness, request, sentOf } from './session-harness.js';

describe('server limits from CONNACK', () => {
  test('a publish above the server\'s Maximum QoS fails with 0x9B and is not sent [MQTT-3.2.2-11]', () => {
    const { state } = harness();
    connect(state, { properties: { maximumQoS: 1 } });
    const { op, output } = state.publish(request('a', 2));
    assert.equal(sentOf(output, PacketType.PUBLISH).length, 0);
    const [failed] = eventsOf(output, 'publish-failed');
    assert.equal(failed?.op, op);
    assert.equal((failed?.error as ReasonCodeError).reasonCode, 0x9b);
    assert.equal(sentOf(state.publish(request('b', 1)).output, PacketType.PUBLISH).length, 1);
  });

  test('a retained publish fails with 0x9A when the server says Retain Available 0 [MQTT-3.2.2-14]', () => {
    const { state } = harness();
    connect(state, { properties: { retainAvailable: 0 } });
    const { output } = state.publish(request('a', 0, { retain: true }));
    assert.equal(sentOf(output, PacketType.PUBLISH).length, 0);
    assert.equal((eventsOf(output, 'publish-failed')[0]?.error as ReasonCodeError).reasonCode, 0x9a);
  });

  test('a packet larger than the server\'s Maximum Packet Size is not sent and its publish fails with 0x95 [MQTT-3.2.2-15]', () => {
    const { state } = harness();
    connect(state, { properties: { maximumPacketSize: 64 } });
    const big = state.publish(request('a', 1, { payload: Buffer.alloc(100) }));
    assert.equal(big.output.send.length, 0);
    assert.equal((eventsOf(big.output, 'publish-failed')[0]?.error as ReasonCodeError).reasonCode, 0x95);
    assert.equal(state.inflightCount, 0);
    const small = state.publish(request('a', 1, { payload: Buffer.alloc(10) }));
    assert.ok(small.output.send.every((f) => f.bytes.length <= 64));
    assert.equal(sentOf(small.output, PacketType.PUBLISH).length, 1);
  });

  test('a topic above 65,535 bytes is refused [MQTT-4.7.3-3], and a property the codec cannot encode fails only its own publish', () => {
    const { state } = harness();
    connect(state);
    assert.throws(() => state.publish(request('t'.repeat(70_000), 0)), /65,535/);
    const huge = state.publish(request('a', 1, { properties: { userProperties: [['k', 'v'.repeat(70_000)]] } }));
    assert.equal(huge.output.send.length, 0);
    assert.equal(eventsOf(huge.output, 'publish-failed')[0]?.error.code, 'INVALID_ARGUMENT');
    assert.equal(state.inflightCount, 0);
    assert.equal(sentOf(state.publish(request('a', 1)).output, PacketType.PUBLISH).length, 1);
  });

  test('defaults apply when CONNACK carries no properties (MQTT 5.0 section 3.2.2.3)', () => {
    const { state } = harness();
    const [connected] = eventsOf(connect(state), 'connected');
    assert.deepEqual(connected?.limits, {
      receiveMaximum: 65_535, maximumQoS: 2, retainAvailable: true, topicAliasMaximum: 0,
      wildcardSubscriptionAvailable: true, subscriptionIdentifiersAvailable: true, sharedSubscriptionAvailable: true, keepAlive: 60,
    });
  });
});

describe('keep alive', () => {
  test('PINGREQ goes out once a keep-alive interval passes without another packet [MQTT-3.1.2-20]', () => {
    const { state, advance } = harness({ keepAlive: 10 });
    connect(state);
    advance(9_999);
    assert.equal(state.tick().send.length, 0);
    advance(1);
    assert.deepEqual(state.tick().send.map((f) => f.packet.type), [PacketType.PINGREQ]);
  });

  test('every packet sent restarts the interval, so a busy client sends no PINGREQ', () => {
    const { state, advance } = harness({ keepAlive: 10 });
    connect(state);
    advance(8_000);
    state.publish(request('a', 0));
    advance(8_000);
    assert.equal(state.tick().send.length, 0);
    assert.equal(state.nextTickAt(), 1000 + 16_000 + 2_000);
  });

  test('Server Keep Alive replaces the client\'s keep alive [MQTT-3.2.2-21]', () => {
    const { state, advance } = harness({ keepAlive: 60 });
    const [connected] = eventsOf(connect(state, { properties: { serverKeepAlive: 5 } }), 'connected');
    assert.equal(connected?.limits.keepAlive, 5);
    advance(5_000);
    assert.deepEqual(state.tick().send.map((f) => f.packet.type), [PacketType.PINGREQ]);
  });

  test('a PINGRESP that does not come within the ping timeout closes the connection', () => {
    const { state, advance } = harness({ keepAlive: 10, pingTimeoutMs: 3_000 });
    connect(state);
    advance(10_000);
    state.tick();
    advance(2_999);
    assert.equal(eventsOf(state.tick(), 'close').length, 0);
    advance(1);
    const [closed] = eventsOf(state.tick(), 'close');
    assert.equal(closed?.error.code, 'KEEPALIVE_TIMEOUT');
    assert.equal(state.phase, 'offline');
  });

  test('a PINGRESP in time keeps the connection', () => {
    const { state, advance } = harness({ keepAlive: 10, pingTimeoutMs: 3_000 });
    connect(state);
    advance(10_000);
    state.tick();
    state.handle({ type: PacketType.PINGRESP });
    advance(5_000);
    assert.equal(eventsOf(state.tick(), 'close').length, 0);
    assert.equal(state.phase, 'connected');
  });

  test('keep alive 0 turns the mechanism off', () => {
    const { state, advance } = harness({ keepAlive: 0 });
    connect(state);
    advance(1_000_000);
    assert.equal(state.nextTickAt(), undefined);
    assert.equal(state.tick().send.length, 0);
  });
});

describe('protocol errors and server DISCONNECT', () => {
  test('a packet other than CONNACK before CONNACK is a protocol error [MQTT-3.2.0-1]', () => {
    const { state } = harness();
    state.connect();
    const out = state.handle({ type: PacketType.PINGRESP });
    assert.equal(eventsOf(out, 'close')[0]?.error.code, 'PROTOCOL_ERROR');
  });

  test('a second CONNACK is answered with DISCONNECT 0x82 and a reason string, then the connection closes [MQTT-3.2.0-2]', () => {
    const { state } = harness();
    connect(state);
    const out = state.handle({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0 });
    const [disconnect] = sentOf(out, PacketType.DISCONNECT);
    assert.equal(disconnect?.reasonCode, 0x82);
    assert.match(disconnect?.properties?.reasonString ?? '', /second CONNACK/);
    assert.equal(eventsOf(out, 'close').length, 1);
    assert.equal(state.publish(request('a', 0)).output.send.length, 0, 'nothing is sent after DISCONNECT [MQTT-3.14.4-1]');
  });

  test('bytes that do not decode end the connection with the codec\'s reason code', () => {
    const { state } = harness();
    connect(state);
    const out = state.fail(new MalformedPacketError('bad'));
    assert.equal(sentOf(out, PacketType.DISCONNECT)[0]?.reasonCode, 0x81);
  });

  test('a 3.1.1 connection closes on a protocol error without a DISCONNECT, which 3.1.1 servers do not expect', () => {
    const { state } = harness({ protocolVersion: 4 });
    connect(state);
    const out = state.handle({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0 });
    assert.equal(out.send.length, 0);
    assert.equal(eventsOf(out, 'close').length, 1);
  });

  test('a server DISCONNECT reports its reason code and reason string and ends the connection', () => {
    const { state } = harness();
    connect(state);
    const out = state.handle({ type: PacketType.DISCONNECT, reasonCode: 0x8e, properties: { reasonString: 'taken over' } });
    assert.equal(eventsOf(out, 'server-disconnect').length, 1);
    const error = eventsOf(out, 'close')[0]?.error;
    assert.ok(error instanceof ReasonCodeError);
    assert.equal(error.reasonCode, 0x8e);
    assert.equal(error.reasonString, 'taken over');
    assert.equal(state.phase, 'offline');
  });

  test('AUTH from a server the client gave no authentication method is a protocol error [MQTT-4.12.0-6]', () => {
    const { state } = harness();
    connect(state);
    assert.equal(eventsOf(state.handle({ type: PacketType.AUTH, reasonCode: 0x18 }), 'close').length, 1);
  });

  test('a client DISCONNECT can carry a reason code, such as 0x04 to have the will published', () => {
    const { state } = harness();
    connect(state);
    const [disconnect] = sentOf(state.disconnect(0x04), PacketType.DISCONNECT);
    assert.equal(disconnect?.reasonCode, 0x04);
    assert.equal(state.phase, 'offline');
  });
});
