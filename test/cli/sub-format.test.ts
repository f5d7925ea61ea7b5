/**
 * `midge sub -F` next to mosquitto_sub -F on the same retained message: the
 * bytes must be the same (time fields and the expiry countdown left out).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { requireBinary } from '../helpers/external.js';
import { brokers, type BrokerFactory, type CliBroker } from './brokers.js';
import { runCli } from './run-cli.js';

const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';
const run = promisify(execFile);

function suite(factory: BrokerFactory): void {
  describe(`midge sub -F next to mosquitto_sub -F with ${factory.name}`, () => {
    let broker: Promise<CliBroker> | undefined;
    after(async () => (await broker)?.stop());
    async function at(t: TestContext): Promise<string[] | undefined> {
      if (![...factory.binaries, MOSQUITTO_SUB].every((b) => requireBinary(t, b))) return undefined;
      broker ??= factory.start();
      const b = await broker;
      return ['-h', b.host, '-p', String(b.port)];
    }

    async function both(conn: string[], args: string[]): Promise<[Buffer, Buffer]> {
      const theirs = await run(MOSQUITTO_SUB, [...conn, ...args], { encoding: 'buffer', timeout: 10_000 });
      const ours = await runCli(['sub', ...conn, ...args]);
      assert.equal(ours.code, 0, ours.stderr);
      return [ours.stdout, theirs.stdout];
    }

    test('message fields, v5 properties, widths, precision, padding and escapes print byte for byte as mosquitto_sub prints them', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      const pub = await runCli(['pub', ...conn, '-V', '5', '-t', 'fmt/x', '-m', 'hello', '-r', '-q', '1',
        '-D', 'publish', 'user-property', 'a', '1', '-D', 'publish', 'user-property', 'b', '2',
        '-D', 'publish', 'content-type', 'text/plain', '-D', 'publish', 'correlation-data', 'cd1',
        '-D', 'publish', 'response-topic', 'rt', '-D', 'publish', 'payload-format-indicator', '1']);
      assert.equal(pub.code, 0, pub.stderr);
      const format = '%t|%p|%q|%r|%l|%x|%X|%%|\\t|\\\\|%5p|%-7t|%03l|%P|%C|%D|%R|%F|%A|%S|%8x|%-10X|%.2t|%-5l|@@';
      const [ours, theirs] = await both(conn, ['-V', '5', '-t', 'fmt/x', '-C', '1', '-F', format]);
      assert.equal(ours.toString('latin1'), theirs.toString('latin1'));
      const [oursN, theirsN] = await both(conn, ['-t', 'fmt/x', '-C', '1', '-N', '-v']);
      assert.deepEqual(oursN, theirsN);
      await runCli(['pub', ...conn, '-t', 'fmt/x', '-n', '-r']);
    });

    test('%j has the fields mosquitto_sub gives a 3.1.1 message', async (t) => {
      const conn = await at(t);
      if (!conn) return;
      await runCli(['pub', ...conn, '-t', 'fmt/j', '-m', 'say "hi"', '-r', '-q', '1']);
      const [ours, theirs] = await both(conn, ['-t', 'fmt/j', '-C', '1', '-F', '%j']);
      const withoutTime = (b: Buffer) => {
        const { tst, ...rest } = JSON.parse(b.toString()) as Record<string, unknown>;
        assert.match(String(tst), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z[+-]\d{4}$/);
        return rest;
      };
      assert.deepEqual(withoutTime(ours), withoutTime(theirs));
      await runCli(['pub', ...conn, '-t', 'fmt/j', '-n', '-r']);
    });
  });
}

for (const factory of brokers) suite(factory);
