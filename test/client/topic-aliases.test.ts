/** Topic aliases both ways, through the pure state machine (MQTT 5.0 section 3.3.2.3.4). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketType, type PublishPacket } from '../../src/protocol/index.js';
import { OutgoingTopicAliases, type ReasonCodeError } from '../../src/client/index.js';
import { connect, eventsOf, harness, request, sentOf } from './session-harness.js';

function incoming(topic: string, topicAlias?: number): PublishPacket {
  return {
    type: PacketType.PUBLISH, topic, payload: Buffer.from('x'), qos: 0, retain: false, dup: false,
    ...(topicAlias !== undefined ? { properties: { topicAlias } } : {}),
  };
}

describe('incoming topic aliases', () => {
  test('an alias sent with a topic is remembered, and an empty topic with that alias resolves to it [MQTT-3.3.2-10]', () => {
    const { state } = harness({ properties: { topicAliasMaximum: 10 } });
    connect(state);
    const first = eventsOf(state.handle(incoming('sensors/kitchen', 10)), 'message')[0]?.message;
    const second = eventsOf(state.handle(incoming('', 10)), 'message')[0]?.message;
    assert.equal(first?.topic, 'sensors/kitchen');
    assert.equal(second?.topic, 'sensors/kitchen');
    assert.equal(second?.properties?.topicAlias, 10);
  });

  test('a new topic for the same alias replaces the mapping', () => {
    const { state } = harness({ properties: { topicAliasMaximum: 2 } });
    connect(state);
    state.handle(incoming('a', 1));
    state.handle(incoming('b', 1));
    assert.equal(eventsOf(state.handle(incoming('', 1)), 'message')[0]?.message.topic, 'b');
  });

  test('an alias above the client\'s Topic Alias Maximum closes the connection with 0x94 [MQTT-3.3.2-11]', () => {
    const { state } = harness({ properties: { topicAliasMaximum: 2 } });
    connect(state);
    const out = state.handle(incoming('a', 3));
    assert.equal(sentOf(out, PacketType.DISCONNECT)[0]?.reasonCode, 0x94);
    assert.equal(eventsOf(out, 'message').length, 0);
  });

  test('an alias when the client allowed none closes the connection with 0x94', () => {
    const { state } = harness();
    connect(state);
    assert.equal(sentOf(state.handle(incoming('a', 1)), PacketType.DISCONNECT)[0]?.reasonCode, 0x94);
  });

  test('alias 0 closes the connection with 0x94 [MQTT-3.3.2-8]', () => {
    const { state } = harness({ properties: { topicAliasMaximum: 5 } });
    connect(state);
    assert.equal(sentOf(state.handle(incoming('a', 0)), PacketType.DISCONNECT)[0]?.reasonCode, 0x94);
  });

  test('an empty topic with an alias never given a topic closes the connection with 0x82', () => {
    const { state } = harness({ properties: { topicAliasMaximum: 5 } });
    connect(state);
    assert.equal(sentOf(state.handle(incoming('', 4)), PacketType.DISCONNECT)[0]?.reasonCode, 0x82);
  });

  test('mappings do not carry over to the next connection [MQTT-3.3.2-7]', () => {
    const { state } = harness({ properties: { topicAliasMaximum: 5 } });
    connect(state);
    state.handle(incoming('a', 1));
    state.connectionLost();
    connect(state);
    assert.equal(sentOf(state.handle(incoming('', 1)), PacketType.DISCONNECT)[0]?.reasonCode, 0x82);
  });
});

describe('outgoing topic aliases', () => {
  test('with automatic aliases the first publish to a topic carries topic and alias, the next only the alias [MQTT-3.3.2-9]', () => {
    const { state } = harness({ autoTopicAlias: true });
    connect(state, { properties: { topicAliasMaximum: 4 } });
    const [first] = sentOf(state.publish(request('long/topic/name', 0)).output, PacketType.PUBLISH);
    const [second] = sentOf(state.publish(request('long/topic/name', 0)).output, PacketType.PUBLISH);
    assert.deepEqual([first?.topic, first?.properties?.topicAlias], ['long/topic/name', 1]);
    assert.deepEqual([second?.topic, second?.properties?.topicAlias], ['', 1]);
  });

  test('no alias is used when the server allows none [MQTT-3.2.2-18]', () => {
    const { state } = harness({ autoTopicAlias: true });
    connect(state);
    const [publish] = sentOf(state.publish(request('t', 0)).output, PacketType.PUBLISH);
    assert.equal(publish?.topic, 't');
    assert.equal(publish?.properties?.topicAlias, undefined);
  });

  test('aliases start again on a new connection, so a resent message names its topic in full [MQTT-3.3.2-7]', () => {
    const { state } = harness({ autoTopicAlias: true, clean: false });
    connect(state, { properties: { topicAliasMaximum: 4 } });
    state.publish(request('t', 0));
    const { output } = state.publish(request('t', 1));
    assert.equal(sentOf(output, PacketType.PUBLISH)[0]?.topic, '');
    state.connectionLost();
    const [resent] = sentOf(connect(state, { sessionPresent: true, properties: { topicAliasMaximum: 4 } }), PacketType.PUBLISH);
    assert.deepEqual([resent?.topic, resent?.dup, resent?.properties?.topicAlias], ['t', true, 1]);
  });

  test('an alias the application sets above the server\'s maximum fails the publish with 0x94 [MQTT-3.3.2-9]', () => {
    const { state } = harness();
    connect(state, { properties: { topicAliasMaximum: 2 } });
    const { output } = state.publish(request('t', 0, { properties: { topicAlias: 3 } }));
    assert.equal(output.send.length, 0);
    assert.equal((eventsOf(output, 'publish-failed')[0]?.error as ReasonCodeError).reasonCode, 0x94);
  });

  test('the least recently used alias is given to a new topic when all are taken, and never alias 0 [MQTT-3.3.2-8]', () => {
    const aliases = new OutgoingTopicAliases(2);
    assert.deepEqual(aliases.choose('a'), { topic: 'a', alias: 1 });
    assert.deepEqual(aliases.choose('b'), { topic: 'b', alias: 2 });
    assert.deepEqual(aliases.choose('a'), { topic: '', alias: 1 });
    assert.deepEqual(aliases.choose('c'), { topic: 'c', alias: 2 });
    assert.deepEqual(aliases.choose('b'), { topic: 'b', alias: 1 });
  });
});
