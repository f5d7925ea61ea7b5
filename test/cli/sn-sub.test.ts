/**
 * `midge sn-sub` as a process against an in-process broker with an MQTT-SN gateway, fed
 * by MQTT.js and by `midge sn-pub`: -t -T -q -v -1 -C -W -c --sleep; and `midge broker
 * --mqttsn-port` as a process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { spawnMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { freeUdpPort } from '../helpers/ports.js';
import { startSnMidge, uniq, type SnMidge } from '../sn/gateway/helpers.js';
import { runCli, startCli } from './run-cli.js';

const PREDEFINED_ID = 0x0401;
const PREDEFINED_TOPIC = `cli-sub-predefined-${process.pid}`;

function publishMqtt(client: MqttClient, topic: string, payload: string): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
}

describe('midge sn-sub', () => {
  let sn: SnMidge;
  let mqtt: MqttClient;
  let conn: string[];
  before(async () => {
    sn = await startSnMidge({ predefinedTopics: new Map([[PREDEFINED_ID, PREDEFINED_TOPIC]]) });
    conn = ['-h', '127.0.0.1', '-p', String(sn.snPort), '--tretry', '1'];
    mqtt = await connectMqttJs(sn.mqttPort);
  });
  after(async () => {
    await endMqttJs(mqtt);
    await sn.stop();
  });

  it('prints "topic: payload" with -v for each message of a wildcard subscription and exits 0 after -C messages', async () => {
    const base = uniq('cli/sub');
    const sub = startCli(['sn-sub', ...conn, '-d', '-t', `${base}/#`, '-v', '-C', '2', '-q', '1']);
    await sub.waitFor('Received SUBACK');
    await publishMqtt(mqtt, `${base}/a`, 'first');
    const pub = await runCli(['sn-pub', ...conn, '-t', `${base}/b`, '-m', 'second', '-q', '1']);
    assert.equal(pub.code, 0, pub.stderr);
    const done = await sub.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.toString(), `${base}/a: first\n${base}/b: second\n`);
  });

  it('subscribes to a predefined topic id with -T and exits after one message with -1', async () => {
    const sub = startCli(['sn-sub', ...conn, '-d', '-T', String(PREDEFINED_ID), '-1']);
    await sub.waitFor('Received SUBACK');
    await publishMqtt(mqtt, PREDEFINED_TOPIC, 'by id');
    const done = await sub.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.toString(), 'by id\n');
  });

  it('exits with status 27 when -W runs out before a message, after a DISCONNECT the gateway acknowledged [MQTT-SN-1.2 6.12]', async () => {
    const broker = sn.midge.server.broker;
    const before = broker.stats.connectedClients;
    const result = await runCli(['sn-sub', ...conn, '-d', '-t', uniq('cli/silent'), '-W', '1']);
    assert.equal(result.code, 27);
    assert.match(result.stderr, /^midge: Timed out$/m);
    assert.match(result.stderr, /Sending DISCONNECT[^\n]*\nReceived DISCONNECT/);
    // Gone at once: not left for the keep alive to find out (when its will would be published).
    assert.equal(broker.stats.connectedClients, before);
  });

  it('with --sleep, sleeps between wake-ups and prints what was published while it slept [MQTT-SN-1.2 6.14]', async () => {
    const topic = uniq('cli/sleepy');
    const sub = startCli(['sn-sub', ...conn, '-d', '-t', topic, '-q', '1', '--sleep', '1', '-C', '2']);
    await sub.waitFor('Received DISCONNECT');
    await publishMqtt(mqtt, topic, 'while asleep 1');
    await publishMqtt(mqtt, topic, 'while asleep 2');
    const done = await sub.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.toString(), 'while asleep 1\nwhile asleep 2\n');
    assert.match(done.stderr, /Sending PINGREQ clientId=/, 'it woke up with PINGREQ and its client id');
  });

  it('with -c keeps its session, so a message published while it was gone is printed on the next run', async () => {
    const topic = uniq('cli/persistent');
    const id = uniq('cli-persistent');
    const first = await runCli(['sn-sub', ...conn, '-i', id, '-c', '-q', '1', '-t', topic, '-W', '1']);
    assert.equal(first.code, 27);
    await publishMqtt(mqtt, topic, 'kept for you');
    const second = await runCli(['sn-sub', ...conn, '-i', id, '-c', '-q', '1', '-t', topic, '-1']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.toString(), 'kept for you\n');
  });
});

describe('midge broker --mqttsn-port', () => {
  it('runs an MQTT-SN gateway beside the MQTT listener, so sn-pub reaches an MQTT subscriber', async () => {
    const snPort = await freeUdpPort();
    const broker = await spawnMidge({ args: ['--no-persistence', '--mqttsn-port', String(snPort)] });
    try {
      const mqtt = await connectMqttJs(broker.port);
      const inbox = collect(mqtt);
      await new Promise<void>((resolve) => mqtt.subscribe('cli/broker', { qos: 1 }, () => resolve()));
      const pub = await runCli(['sn-pub', '-p', String(snPort), '--tretry', '0.5', '-t', 'cli/broker', '-m', 'through the gateway', '-q', '1']);
      assert.equal(pub.code, 0, pub.stderr);
      const [got] = await inbox.waitFor(1);
      assert.equal(got!.payload.toString(), 'through the gateway');
      await endMqttJs(mqtt);
    } finally {
      await broker.stop();
    }
  });
});
