/**
 * `midge pub` and `midge sub` run as processes against each broker of brokers.ts:
 * message sources (-m -f -s -l -n), -r -q -V -i -I -k -L, -D properties, will,
 * persistent sessions (-c -x) and the subscriber's -v -N -C -R -T -U -E.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import type { BrokerFactory, CliBroker } from './brokers.js';
import { runCli, subscribed } from './run-cli.js';

/** Registers this file's tests against one broker (a test file per broker keeps each within the file timeout). */
export function suite(factory: BrokerFactory): void {
  describe(`midge pub and sub with ${factory.name}`, () => {
    let broker: Promise<CliBroker> | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'midge-cli-'));
    after(async () => {
      await (await broker)?.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    async function at(t: TestContext): Promise<string[] | undefined> {
      if (!factory.binaries.every((b) => requireBinary(t, b))) return undefined;
      broker ??= factory.start();
      const b = await broker;
      return ['-h', b.host, '-p', String(b.port)];
    }

    test('pub -m sends a message that sub -v prints as "topic payload"; sub -C 1 then exits 0', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const sub = await subscribed([...conn, '-t', 'cli/m', '-v', '-C', '1']);
      const pub = await runCli(['pub', ...conn, '-t', 'cli/m', '-m', 'hello world']);
      assert.deepEqual([pub.code, pub.stderr], [0, '']);
      const done = await sub.finished();
      assert.equal(done.code, 0);
      assert.equal(done.stdout.toString(), 'cli/m hello world\n');
    });

    test('pub -f sends a file byte for byte, and sub -N prints the payload without an end of line', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const file = join(dir, 'bytes.bin');
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      writeFileSync(file, bytes);
      const sub = await subscribed([...conn, '-t', 'cli/f', '-N', '-C', '1']);
      assert.equal((await runCli(['pub', ...conn, '-t', 'cli/f', '-f', file])).code, 0);
      assert.deepEqual((await sub.finished()).stdout, bytes);
    });

    test('pub -s sends the whole of stdin as one message', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const sub = await subscribed([...conn, '-t', 'cli/s', '-C', '1']);
      assert.equal((await runCli(['pub', ...conn, '-t', 'cli/s', '-s'], { input: 'line one\nline two\n' })).code, 0);
      assert.equal((await sub.finished()).stdout.toString(), 'line one\nline two\n\n');
    });

    test('pub -l sends a message per line of stdin, keeping a \\r and sending an empty line as an empty message', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const sub = await subscribed([...conn, '-t', 'cli/l', '-v', '-C', '4']);
      const pub = await runCli(['pub', ...conn, '-t', 'cli/l', '-l', '-q', '1'], { input: 'one\n\nthree\r\nfour' });
      assert.equal(pub.code, 0);
      assert.equal((await sub.finished()).stdout.toString(), 'cli/l one\ncli/l (null)\ncli/l three\r\ncli/l four\n');
    });

    test('pub -r retains a message that a later sub sees flagged retained, -R hides it, and pub -n -r clears it', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      assert.equal((await runCli(['pub', ...conn, '-t', 'cli/r', '-m', 'kept', '-r', '-q', '1'])).code, 0);
      const seen = await runCli(['sub', ...conn, '-t', 'cli/r', '-C', '1', '-F', '%r %p']);
      assert.equal(seen.stdout.toString(), '1 kept\n');
      const hidden = await runCli(['sub', ...conn, '-t', 'cli/r', '-R', '-E']);
      assert.deepEqual([hidden.code, hidden.stdout.toString()], [0, '']);
      assert.equal((await runCli(['pub', ...conn, '-t', 'cli/r', '-n', '-r'])).code, 0);
      const cleared = await runCli(['sub', ...conn, '-t', 'cli/r', '-W', '1']);
      assert.deepEqual([cleared.code, cleared.stdout.toString()], [27, '']);
    });

    test('pub -q and sub -q set the QoS end to end, shown by %q', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const sub = await subscribed([...conn, '-t', 'cli/q/#', '-q', '2', '-C', '3', '-F', '%t %q']);
      for (const qos of ['0', '1', '2']) assert.equal((await runCli(['pub', ...conn, '-t', `cli/q/${qos}`, '-m', 'x', '-q', qos])).code, 0);
      assert.equal((await sub.finished()).stdout.toString(), 'cli/q/0 0\ncli/q/1 1\ncli/q/2 2\n');
    });

    test('-V 31, mqttv311 and 5 connect with protocol levels 3, 4 and 5; -i, -I and -k set the CONNECT fields', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const cases = [['-V', '31', '-i', 'cli-v31'], ['-V', 'mqttv311', '-I', 'cli-prefix-'], ['-V', '5', '-i', 'cli-v5', '-k', '30']];
      const levels = [];
      for (const flags of cases) {
        const pub = await runCli(['pub', ...conn, '-d', '-t', 'cli/v', '-m', 'x', ...flags]);
        assert.equal(pub.code, 0, pub.stderr);
        levels.push(/sending CONNECT \(p(\d), c1, k(\d+), id '([^']*)'\)/.exec(pub.stderr)?.slice(1));
      }
      assert.deepEqual(levels[0], ['3', '60', 'cli-v31']);
      assert.match(levels[1]?.[2] ?? '', /^cli-prefix-\d+$/);
      assert.deepEqual(levels[2], ['5', '30', 'cli-v5']);
    });

    test('-L mqtt://host:port/topic names the broker and the topic', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const [, host, , port] = conn;
      const sub = await subscribed(['-L', `mqtt://${host}:${port}/cli/url/%23`, '-C', '1', '-v']);
      assert.equal((await runCli(['pub', '-L', `mqtt://${host}:${port}/cli/url/x`, '-m', 'via url'])).code, 0);
      assert.equal((await sub.finished()).stdout.toString(), 'cli/url/x via url\n');
    });

    test('-D sets v5 properties that arrive as published: user properties in order, content type, correlation data, response topic', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const sub = await subscribed([...conn, '-V', '5', '-t', 'cli/d', '-C', '1', '-F', '%P|%C|%D|%R|%E|%F']);
      const pub = await runCli(['pub', ...conn, '-V', '5', '-t', 'cli/d', '-m', '{}',
        '-D', 'publish', 'user-property', 'b', '2', '-D', 'publish', 'user-property', 'a', '1',
        '-D', 'publish', 'content-type', 'application/json', '-D', 'publish', 'correlation-data', 'req-7',
        '-D', 'publish', 'response-topic', 'cli/reply', '-D', 'publish', 'payload-format-indicator', '1',
        '-D', 'connect', 'user-property', 'client', 'cli']);
      assert.equal(pub.code, 0, pub.stderr);
      const line = (await sub.finished()).stdout.toString();
      assert.match(line, /^b:2 a:1\|application\/json\|req-7\|cli\/reply\| *\|1\n$/);
    });

    test('-c with -i keeps the session, so QoS 1 messages sent while the subscriber was away arrive when it returns (-x sets the v5 expiry)', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      for (const version of [['-V', '311'], ['-V', '5', '-x', '60']]) {
        const id = `cli-persist-${version[1]}`;
        const first = await runCli(['sub', ...conn, ...version, '-c', '-i', id, '-q', '1', '-t', 'cli/persist', '-E']);
        assert.equal(first.code, 0, first.stderr);
        assert.equal((await runCli(['pub', ...conn, '-t', 'cli/persist', '-m', `while away ${version[1]}`, '-q', '1'])).code, 0);
        const back = await runCli(['sub', ...conn, ...version, '-c', '-i', id, '-q', '1', '-t', 'cli/persist', '-C', '1']);
        assert.equal(back.stdout.toString(), `while away ${version[1]}\n`);
        await runCli(['sub', ...conn, ...version, '-i', id, '-t', 'cli/persist', '-E']);
      }
    });

    test('--will-topic, --will-payload, --will-qos and --will-retain: the broker publishes the will when the client dies', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const watcher = await subscribed([...conn, '-t', 'cli/will', '-C', '1', '-F', '%t %p %q %r', '-q', '1']);
      const doomed = await subscribed([...conn, '-t', 'cli/nothing', '--will-topic', 'cli/will', '--will-payload', 'gone', '--will-qos', '1', '--will-retain']);
      await doomed.stop('SIGKILL');
      assert.equal((await watcher.finished()).stdout.toString(), 'cli/will gone 1 0\n');
      const retained = await runCli(['sub', ...conn, '-t', 'cli/will', '-C', '1', '-F', '%r %p']);
      assert.equal(retained.stdout.toString(), '1 gone\n');
      await runCli(['pub', ...conn, '-t', 'cli/will', '-n', '-r']);
    });

    test('sub -T filters topics out, -U drops a subscription of a kept session, and -E exits once subscribed', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      await runCli(['sub', ...conn, '-c', '-i', 'cli-unsub', '-t', 'cli/u/old', '-E']);
      const sub = await subscribed([...conn, '-c', '-i', 'cli-unsub', '-t', 'cli/u/#', '-U', 'cli/u/old', '-T', 'cli/u/hidden', '-v', '-C', '1']);
      for (const topic of ['cli/u/hidden', 'cli/u/shown']) assert.equal((await runCli(['pub', ...conn, '-t', topic, '-m', topic])).code, 0);
      assert.equal((await sub.finished()).stdout.toString(), 'cli/u/shown cli/u/shown\n');
      await runCli(['sub', ...conn, '-i', 'cli-unsub', '-t', 'cli/u/#', '-E']);
    });

    test('--retained-only prints the retained messages and exits at the first fresh one; --remove-retained clears what it receives', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      for (const n of ['1', '2']) await runCli(['pub', ...conn, '-t', `cli/ro/${n}`, '-m', `old ${n}`, '-r']);
      const only = await subscribed([...conn, '-t', 'cli/ro/#', '--retained-only', '-v']);
      assert.equal((await runCli(['pub', ...conn, '-t', 'cli/ro/3', '-m', 'fresh'])).code, 0);
      const done = await only.finished();
      assert.equal(done.code, 0);
      assert.deepEqual(done.stdout.toString().split('\n').filter(Boolean).sort(), ['cli/ro/1 old 1', 'cli/ro/2 old 2']);
      const removed = await runCli(['sub', ...conn, '-t', 'cli/ro/#', '--remove-retained', '-T', 'cli/ro/2', '-W', '1']);
      assert.equal(removed.stdout.toString(), 'old 1\n');
      const left = await runCli(['sub', ...conn, '-t', 'cli/ro/#', '-v', '-W', '1']);
      assert.equal(left.stdout.toString(), 'cli/ro/2 old 2\n');
      await runCli(['pub', ...conn, '-t', 'cli/ro/2', '-n', '-r']);
    });

    test('sub stops cleanly on SIGTERM and SIGINT, sending DISCONNECT and exiting 0', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const sub = await subscribed([...conn, '-t', 'cli/signal']);
        const done = await sub.stop(signal);
        assert.equal(done.code, 0, done.stderr);
        assert.match(done.stderr, /sending DISCONNECT/);
      }
    });

    test('pub --repeat sends the message that many times', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const sub = await subscribed([...conn, '-t', 'cli/repeat', '-C', '3']);
      assert.equal((await runCli(['pub', ...conn, '-t', 'cli/repeat', '-m', 'again', '--repeat', '3', '--repeat-delay', '0.01'])).code, 0);
      assert.equal((await sub.finished()).stdout.toString(), 'again\nagain\nagain\n');
    });

    test('-d prints every packet sent and received on stderr, and stdout keeps only the messages', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const pub = await runCli(['pub', ...conn, '-d', '-t', 'cli/debug', '-m', 'x', '-q', '1', '-i', 'cli-debug']);
      assert.equal(pub.stdout.length, 0);
      const lines = pub.stderr.trim().split('\n').map((l) => l.replace(/ \(.*$/, ''));
      assert.deepEqual(lines, [
        'Client cli-debug sending CONNECT', 'Client cli-debug received CONNACK', 'Client cli-debug sending PUBLISH',
        'Client cli-debug received PUBACK', 'Client cli-debug sending DISCONNECT',
      ]);
    });
  });
}

