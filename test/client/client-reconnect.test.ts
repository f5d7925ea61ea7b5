/**
 * Reconnection against a real mosquitto that dies and comes back: QoS 1 messages
 * in flight are resent with DUP on the resumed session and none is lost; a lost
 * session is rebuilt by subscribing again.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { MqttClient, type ClientOptions, type ConnectInfo, type PacketTrace } from '../../src/client/index.js';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO } from '../helpers/mosquitto.js';
import { withTimeout } from './fake-server.js';
import { restartableMosquitto } from './restartable-mosquitto.js';

const fastReconnect: ClientOptions['reconnect'] = { initialDelayMs: 50, maxDelayMs: 400, jitter: 0.2 };

/** Waits until `count` packets matching `match` were traced. */
async function traced(traces: PacketTrace[], count: number, match: (t: PacketTrace) => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (traces.filter(match).length < count) {
    if (Date.now() > deadline) throw new Error(`only ${traces.filter(match).length} of ${count} packets were written`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('reconnecting to a restarted mosquitto', () => {
  test('QoS 1 messages in flight when the broker died are resent with DUP on the resumed session, and every one arrives [MQTT-4.4.0-1] [MQTT-3.3.1-1]', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const broker = await restartableMosquitto(true);
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const sub = new MqttClient(url, { clientId: 'inflight-sub', clean: false, reconnect: fastReconnect });
    const pub = new MqttClient(url, { clientId: 'inflight-pub', clean: false, reconnect: fastReconnect });
    try {
      await broker.start();
      await sub.connect();
      await pub.connect();
      const received = new Set<string>();
      sub.on('message', (m) => received.add(m.payload.toString()));
      await sub.subscribe('inflight/#', { qos: 1 });
      await broker.save();

      broker.freeze();
      const traces: PacketTrace[] = [];
      pub.on('packet', (trace) => traces.push(trace));
      const payloads = Array.from({ length: 20 }, (_, i) => `message ${i}`);
      const publishes = payloads.map((p) => pub.publish('inflight/x', p, { qos: 1 }));
      const isPublish = (trace: PacketTrace) => trace.direction === 'out' && trace.packet.type === PacketType.PUBLISH;
      await traced(traces, payloads.length, isPublish);
      const resumed = once(pub, 'connect') as Promise<[ConnectInfo]>;
      await broker.kill();
      await broker.start();

      const [info] = await withTimeout(resumed, 10_000, 'the publisher did not reconnect');
      assert.equal(info.sessionPresent, true);
      await withTimeout(Promise.all(publishes), 10_000, 'the resent messages were not acknowledged');
      const deadline = Date.now() + 10_000;
      while (received.size < payloads.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual([...received].sort(), [...payloads].sort());
      const resent = traces.filter(isPublish).slice(payloads.length);
      assert.ok(resent.length >= payloads.length, 'each message went out again');
      assert.ok(resent.every((r) => r.packet.type === PacketType.PUBLISH && r.packet.dup), 'resends carry DUP');
    } finally {
      await Promise.all([sub.end({ timeoutMs: 200 }), pub.end({ timeoutMs: 200 })]);
      await broker.dispose();
    }
  });

  test('when the restarted broker lost the session, the client subscribes again and receives new messages', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const broker = await restartableMosquitto(false);
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const sub = new MqttClient(url, { protocolVersion: 5, clientId: 'again-sub', reconnect: fastReconnect });
    const pub = new MqttClient(url, { protocolVersion: 5, clientId: 'again-pub', reconnect: fastReconnect });
    try {
      await broker.start();
      await sub.connect();
      await sub.subscribe(['again/a', 'again/b'], { qos: 1 });
      const resubscribed = once(sub, 'resubscribe') as Promise<[number[], unknown]>;
      await broker.stop();
      await broker.start();
      const [codes] = await withTimeout(resubscribed, 10_000, 'the client did not subscribe again');
      assert.deepEqual(codes, [1, 1]);
      const messages = sub.messages();
      await pub.connect();
      await pub.publish('again/b', 'after the restart', { qos: 1 });
      const next = await withTimeout(messages.next(), 5000, 'no message after the restart');
      assert.equal(next.value?.payload.toString(), 'after the restart');
    } finally {
      await Promise.all([sub.end({ timeoutMs: 200 }), pub.end({ timeoutMs: 200 })]);
      await broker.dispose();
    }
  });
});
