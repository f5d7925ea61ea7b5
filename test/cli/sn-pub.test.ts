/**
 * `midge sn-pub` as a process against an in-process broker with an MQTT-SN gateway,
 * checked with an MQTT.js subscriber: -t -T -m -l -n -q (-1 to 2) -r -i --fe.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { SnMsgType } from '../../src/sn/protocol/index.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { freeUdpPort } from '../helpers/ports.js';
import { startSnMidge, uniq, waitUntil, type SnMidge } from '../sn/gateway/helpers.js';
import { runCli } from './run-cli.js';

const PREDEFINED_ID = 0x0300;
const PREDEFINED_TOPIC = `cli-predefined-${process.pid}`;

describe('midge sn-pub', () => {
  let sn: SnMidge;
  let mqtt: MqttClient;
  let inbox: ReturnType<typeof collect>;
  let conn: string[];
  before(async () => {
    sn = await startSnMidge({ predefinedTopics: new Map([[PREDEFINED_ID, PREDEFINED_TOPIC]]) });
    conn = ['-h', '127.0.0.1', '-p', String(sn.snPort), '--tretry', '1'];
    mqtt = await connectMqttJs(sn.mqttPort);
    inbox = collect(mqtt);
    await new Promise<void>((resolve) => mqtt.subscribe('#', { qos: 2 }, () => resolve()));
  });
  after(async () => {
    await endMqttJs(mqtt);
    await sn.stop();
  });

  /** The messages received on `topic` so far, as [payload, qos, retain]. */
  const on = (topic: string) => inbox.messages.filter((m) => m.topic === topic).map((m) => [m.payload.toString(), m.packet.qos, m.packet.retain]);
  /** Waits (bounded) until `count` messages arrived on `topic`. */
  const waitOn = (topic: string, count: number) => waitUntil(() => on(topic).length >= count, 3000, `${count} message(s) on ${topic}`);

  for (const qos of ['0', '1', '2']) {
    it(`publishes -m to a topic name at -q ${qos}, registering it first, and exits 0`, async () => {
      const topic = uniq('cli/sn-pub');
      const result = await runCli(['sn-pub', ...conn, '-t', topic, '-m', `hello ${qos}`, '-q', qos]);
      assert.deepEqual([result.code, result.stderr], [0, '']);
      await waitOn(topic, 1);
      assert.deepEqual(on(topic), [[`hello ${qos}`, Number(qos), false]]);
    });
  }

  it('publishes to a predefined topic id with -T, and retains it with -r', async () => {
    const result = await runCli(['sn-pub', ...conn, '-T', String(PREDEFINED_ID), '-m', 'kept', '-q', '1', '-r']);
    assert.equal(result.code, 0, result.stderr);
    const late = await connectMqttJs(sn.mqttPort);
    const lateInbox = collect(late);
    await new Promise<void>((resolve) => late.subscribe(PREDEFINED_TOPIC, { qos: 1 }, () => resolve()));
    const [got] = await lateInbox.waitFor(1);
    assert.deepEqual([got!.payload.toString(), got!.packet.retain], ['kept', true]);
    await endMqttJs(late);
  });

  it('publishes with -q -1 to a short topic name without connecting [MQTT-SN-1.2 6.8]', async () => {
    const clientsBefore = sn.midge.server.broker.stats.totalConnections;
    const result = await runCli(['sn-pub', ...conn, '-t', 'm1', '-m', 'fire and forget', '-q', '-1']);
    assert.equal(result.code, 0, result.stderr);
    await waitOn('m1', 1);
    assert.deepEqual(on('m1'), [['fire and forget', 0, false]]);
    assert.equal(sn.midge.server.broker.stats.totalConnections, clientsBefore, 'no connection was made');
  });

  it('publishes one message per line of stdin with -l, and a zero-length message with -n', async () => {
    const topic = uniq('cli/lines');
    const lines = await runCli(['sn-pub', ...conn, '-t', topic, '-l', '-q', '1'], { input: 'one\ntwo\nthree\n' });
    assert.equal(lines.code, 0, lines.stderr);
    const empty = await runCli(['sn-pub', ...conn, '-t', topic, '-n', '-q', '1']);
    assert.equal(empty.code, 0, empty.stderr);
    await waitOn(topic, 4);
    assert.deepEqual(on(topic).map(([p]) => p), ['one', 'two', 'three', '']);
  });

  it('publishes through a forwarder encapsulation with --fe', async () => {
    const topic = uniq('cli/fe');
    const result = await runCli(['sn-pub', ...conn, '--fe', '--wlnid', 'beef', '-t', topic, '-m', 'forwarded', '-q', '1', '-d']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /Received CONNACK returnCode=0/);
    await waitOn(topic, 1);
    assert.deepEqual(on(topic).map(([p]) => p), ['forwarded']);
  });

  it('refuses QoS -1 with a topic name that is neither short nor predefined, and both -t and -T', async () => {
    const long = await runCli(['sn-pub', ...conn, '-t', 'a/long/topic', '-m', 'x', '-q', '-1']);
    assert.equal(long.code, 1);
    assert.match(long.stderr, /QoS -1 needs a predefined topic id/);
    const both = await runCli(['sn-pub', ...conn, '-t', 'ab', '-T', '5', '-m', 'x']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /not both/);
  });

  it('fails at once, with the default retry timing, when nothing listens on the port (ICMP port unreachable)', async () => {
    const port = await freeUdpPort();
    // Without the ICMP answer this takes Tretry x (Nretry + 1) = 40 s, well past runCli's bound.
    const result = await runCli(['sn-pub', '-h', '127.0.0.1', '-p', String(port), '-t', 'ab', '-m', 'x', '-q', '1'], { timeoutMs: 15_000 });
    assert.deepEqual([result.code, result.stderr], [1, `midge: no MQTT-SN gateway at 127.0.0.1:${port} (port unreachable)\n`]);
  });

  it('sends a request --nretry more times, --tretry seconds apart, to a gateway that never answers, then fails with status 1', async () => {
    const silent = createSocket('udp4');
    const connects: number[] = [];
    silent.on('message', (datagram) => connects.push(datagram[1]!));
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const result = await runCli(['sn-pub', '-p', String(silent.address().port), '--tretry', '0.2', '--nretry', '2', '-t', 'ab', '-m', 'x']);
      assert.deepEqual([result.code, result.stderr], [1, 'midge: no answer from the gateway after 2 retransmissions\n']);
      assert.deepEqual(connects, [SnMsgType.CONNECT, SnMsgType.CONNECT, SnMsgType.CONNECT]);
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
