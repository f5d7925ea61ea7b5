/**
 * `midge rr` against each broker of brokers.ts, with a responder written with the
 * client library that answers on the request's Response Topic (MQTT 5.0 section 4.10).
 */
import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import { MqttClient } from '../../src/client/index.js';
import { requireBinary } from '../helpers/external.js';
import { brokers, type BrokerFactory, type CliBroker } from './brokers.js';
import { runCli } from './run-cli.js';

/** Answers every request on `topic` with `pong: <payload>` on its response topic (or `fixedReply`), echoing correlation data. */
async function responder(url: string, topic: string, fixedReply?: string): Promise<MqttClient> {
  const client = new MqttClient(url, { protocolVersion: fixedReply ? 4 : 5, reconnect: false });
  client.on('message', (m) => {
    const replyTo = fixedReply ?? m.properties?.responseTopic;
    if (!replyTo) return;
    const correlationData = m.properties?.correlationData;
    void client.publish(replyTo, `pong: ${m.payload.toString()}`, {
      qos: 1, ...(correlationData ? { properties: { correlationData, contentType: 'text/plain' } } : {}),
    });
  });
  await client.connect();
  await client.subscribe(topic, { qos: 1 });
  return client;
}

function suite(factory: BrokerFactory): void {
  describe(`midge rr with ${factory.name}`, () => {
    let broker: Promise<CliBroker> | undefined;
    const responders: MqttClient[] = [];
    after(async () => {
      for (const r of responders) await r.end({ timeoutMs: 200 });
      await (await broker)?.stop();
    });
    async function at(t: TestContext): Promise<{ conn: string[]; url: string } | undefined> {
      if (!factory.binaries.every((b) => requireBinary(t, b))) return undefined;
      broker ??= factory.start();
      const b = await broker;
      return { conn: ['-h', b.host, '-p', String(b.port)], url: `mqtt://${b.host}:${b.port}` };
    }

    test('rr publishes the request with its response topic, prints the first response and exits 0', async (t) => {
      const env = await at(t);
      if (!env) return;
      responders.push(await responder(env.url, 'rr/service'));
      const result = await runCli(['rr', ...env.conn, '-t', 'rr/service', '-e', 'rr/replies/1', '-m', 'ping', '-W', '10']);
      assert.deepEqual([result.code, result.stdout.toString(), result.stderr], [0, 'pong: ping\n', '']);
    });

    test('-D publish correlation-data travels with the request and back; -v and -F format the response', async (t) => {
      const env = await at(t);
      if (!env) return;
      responders.push(await responder(env.url, 'rr/corr'));
      const verbose = await runCli(['rr', ...env.conn, '-t', 'rr/corr', '-e', 'rr/replies/2', '-m', 'a', '-v', '-D', 'publish', 'correlation-data', 'id-1', '-W', '10']);
      assert.equal(verbose.stdout.toString(), 'rr/replies/2 pong: a\n');
      const formatted = await runCli(['rr', ...env.conn, '-t', 'rr/corr', '-e', 'rr/replies/3', '-m', 'b', '-F', '%D %C %p', '-N', '-D', 'publish', 'correlation-data', 'id-2', '-W', '10']);
      assert.equal(formatted.stdout.toString(), 'id-2 text/plain pong: b');
    });

    test('with -V 311 there is no Response Topic property, and a responder that answers on a known topic still works', async (t) => {
      const env = await at(t);
      if (!env) return;
      responders.push(await responder(env.url, 'rr/v3', 'rr/v3/reply'));
      const result = await runCli(['rr', ...env.conn, '-V', '311', '-t', 'rr/v3', '-e', 'rr/v3/reply', '-m', 'old', '-W', '10']);
      assert.deepEqual([result.code, result.stdout.toString()], [0, 'pong: old\n']);
    });

    test('-W exits 27 with "Timed out" when nobody answers', async (t) => {
      const env = await at(t);
      if (!env) return;
      const result = await runCli(['rr', ...env.conn, '-t', 'rr/nobody', '-e', 'rr/replies/none', '-m', 'anyone?', '-W', '1']);
      assert.deepEqual([result.code, result.stderr, result.stdout.length], [27, 'midge: Timed out\n', 0]);
    });
  });
}

for (const factory of brokers) suite(factory);
