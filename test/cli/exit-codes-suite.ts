/**
 * Exit statuses and error lines of `midge pub/sub/rr`: the CONNACK code for a
 * refused connection (as mosquitto's tools), 27 for -W, 1 with one line for
 * anything else, never a stack trace.
 */
import assert from 'node:assert/strict';
import { after, describe, test, type TestContext } from 'node:test';
import { ConnectionRefusedError, MqttClient } from '../../src/client/index.js';
import { requireBinary } from '../helpers/external.js';
import { freePort } from '../helpers/ports.js';
import type { BrokerFactory, CliBroker } from './brokers.js';
import { runCli, type CliResult } from './run-cli.js';

/** One line on stderr, no stack trace. */
function assertOneLine(result: CliResult, pattern: RegExp): void {
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected, got: ${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

/** Usage errors need no broker. */
export function usageSuite(): void {
  // Each case is one short process; two at a time halves the wait on a 2-core machine.
  describe('usage errors, before any connection', { concurrency: 2 }, () => {
    const cases: [string, string[], RegExp][] = [
      ['an unknown flag', ['pub', '-Z'], /unknown option '-Z'/],
      ['QoS 3', ['pub', '-t', 'a', '-m', 'x', '-q', '3'], /QoS must be 0, 1 or 2/],
      ['a port that is not a number', ['sub', '-t', 'a', '-p', 'abc'], /port must be between 1 and 65535/],
      ['protocol version 6', ['pub', '-t', 'a', '-m', 'x', '-V', '6'], /Use 3.1, 3.1.1 or 5/],
      ['a keep alive above 65535', ['pub', '-t', 'a', '-m', 'x', '-k', '70000'], /keep alive must be between 0 and 65535/],
      ['a bad session expiry interval', ['pub', '-t', 'a', '-m', 'x', '-x', 'soon'], /session expiry interval/],
      ['no message', ['pub', '-t', 'a'], /^midge: Both topic and message must be supplied\.$/],
      ['two message sources', ['pub', '-t', 'a', '-m', 'x', '-n'], /^midge: Only one type of message can be sent at once\.$/],
      ['a wildcard in a publish topic', ['pub', '-t', 'a/#', '-m', 'x'], /^midge: Invalid publish topic 'a\/#', does it contain '\+' or '#'\?$/],
      ['a bad subscription filter', ['sub', '-t', 'a/#/b'], /^midge: Invalid subscription topic 'a\/#\/b'/],
      ['sub without a topic', ['sub'], /^midge: You must specify a topic to subscribe to\.$/],
      ['rr without a response topic', ['rr', '-t', 'a', '-m', 'x'], /^midge: All of topic, message, and response topic must be supplied\.$/],
      ['-c without a client id', ['sub', '-t', 'a', '-c'], /^midge: You must provide a client id if you are using the -c option\.$/],
      ['-i with -I', ['pub', '-t', 'a', '-m', 'x', '-i', 'a', '-I', 'b'], /^midge: -i and -I argument cannot be used together\.$/],
      ['a will payload without a will topic', ['pub', '-t', 'a', '-m', 'x', '--will-payload', 'p'], /^midge: Will payload given, but no will topic given\.$/],
      ['a certificate without its key', ['pub', '-t', 'a', '-m', 'x', '--cert', '/nonexistent'], /^midge: Both certfile and keyfile must be provided/],
      ['an unknown -D property', ['pub', '-t', 'a', '-m', 'x', '-V', '5', '-D', 'publish', 'colour', 'red'], /^midge: Invalid property name colour/],
      ['a -D property the packet cannot carry', ['pub', '-t', 'a', '-m', 'x', '-V', '5', '-D', 'publish', 'session-expiry-interval', '5'], /not allowed for publish/],
      ['-D without MQTT v5', ['pub', '-t', 'a', '-m', 'x', '-D', 'publish', 'content-type', 'x'], /^midge: -D properties need MQTT v5/],
      ['a -L URL of another scheme', ['pub', '-L', 'http://localhost/a', '-m', 'x'], /^midge: unsupported URL scheme\.$/],
      ['a -L URL without a topic', ['pub', '-L', 'mqtt://localhost', '-m', 'x'], /topic missing/],
      ['a file that cannot be read', ['pub', '-t', 'a', '-f', '/nonexistent/file'], /^midge: Unable to read file "\/nonexistent\/file"\.$/],
    ];
    for (const [what, args, pattern] of cases) {
      test(`${what} exits 1 with one line`, async () => {
        const result = await runCli(args);
        assert.equal(result.code, 1);
        assertOneLine(result, pattern);
        assert.equal(result.stdout.length, 0);
      });
    }
  
    test('--quiet keeps the error line back but not the exit status', async () => {
      const result = await runCli(['pub', '-t', 'a', '--quiet']);
      assert.deepEqual([result.code, result.stderr], [1, '']);
    });
  
    test('nothing listening on the port exits 1 with "midge: Connection refused"', async () => {
      const port = await freePort();
      const result = await runCli(['pub', '-h', '127.0.0.1', '-p', String(port), '-t', 'a', '-m', 'x']);
      assert.equal(result.code, 1);
      assertOneLine(result, /^midge: Connection refused$/);
    });
  });
}

/** Registers this file's tests against one broker (a test file per broker keeps each within the file timeout). */
export function suite(factory: BrokerFactory): void {
  describe(`exit statuses with ${factory.name}`, () => {
    let broker: Promise<CliBroker> | undefined;
    after(async () => (await broker)?.stop());
    async function at(t: TestContext): Promise<string[] | undefined> {
      if (!factory.binaries.every((b) => requireBinary(t, b))) return undefined;
      broker ??= factory.start({ users: { alice: 'secret' } });
      const b = await broker;
      return ['-h', b.host, '-p', String(b.port)];
    }

    /** The code the broker answers these credentials with, found with the library. */
    async function refusalCode(conn: string[], protocolVersion: 4 | 5, password: string): Promise<number> {
      const client = new MqttClient(`mqtt://${conn[1]}:${conn[3]}`, { protocolVersion, username: 'alice', password, reconnect: false });
      const error = await client.connect().then(() => client.end().then(() => undefined), (e: unknown) => e);
      assert.ok(error instanceof ConnectionRefusedError, 'the broker refused the connection');
      return error.returnCode;
    }

    for (const [version, protocolVersion] of [['311', 4], ['5', 5]] as const) {
      test(`a wrong password with -V ${version} exits with the CONNACK code the broker sent, and says so in one line`, async (t) => {
        const conn = await at(t);
        if (!conn) return;
        const expected = await refusalCode(conn, protocolVersion, 'wrong');
        assert.ok(protocolVersion === 4 ? expected === 4 || expected === 5 : expected >= 0x80);
        for (const tool of [['pub', '-t', 'a', '-m', 'x'], ['sub', '-t', 'a'], ['rr', '-t', 'a', '-e', 'b', '-m', 'x']]) {
          const result = await runCli([...tool, ...conn, '-V', version, '-u', 'alice', '-P', 'wrong']);
          assert.equal(result.code, expected, `${tool[0]}: ${result.stderr}`);
          assertOneLine(result, /^midge: Connection error: Connection Refused: /);
        }
      });
    }

    test('no credentials at all are refused too, and the right ones are accepted with exit 0', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const anonymous = await runCli(['pub', ...conn, '-t', 'a', '-m', 'x']);
      assert.ok(anonymous.code === 4 || anonymous.code === 5, anonymous.stderr);
      const ok = await runCli(['pub', ...conn, '-t', 'a', '-m', 'x', '-u', 'alice', '-P', 'secret']);
      assert.deepEqual([ok.code, ok.stderr], [0, '']);
    });

    test('sub -W exits 27 with "Timed out" when no message comes', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const result = await runCli(['sub', ...conn, '-u', 'alice', '-P', 'secret', '-t', 'exit/nothing', '-W', '1']);
      assert.equal(result.code, 27);
      assertOneLine(result, /^midge: Timed out$/);
    });
  });
}

