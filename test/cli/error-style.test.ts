/**
 * One error style across every subcommand: a single `midge: ...` line on stderr and the
 * exit status mosquitto's programs use (1 for usage errors, 3 for a configuration the
 * broker refuses, 27 for -W, the CONNACK code for a refused connection). And `midge sub`
 * describes refused subscriptions as mosquitto_sub does.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { runCli, type CliResult } from './run-cli.js';

/** Exactly one line on stderr, `midge: ` and the message; no stack trace, nothing on stdout. */
function assertOneMidgeLine(result: CliResult, pattern: RegExp): void {
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line expected, got: ${result.stderr}`);
  assert.match(lines[0]!, /^midge: /);
  assert.match(lines[0]!.slice('midge: '.length), pattern);
  assert.equal(result.stdout.length, 0);
}

describe('every subcommand reports an error as one "midge: ..." line with mosquitto\'s exit status', { concurrency: 2 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'midge-error-style-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const badConf = join(dir, 'bad.conf');
  writeFileSync(badConf, 'listener 1883 127.0.0.1\nlisener 1884\n');

  const cases: [string, string[], number, RegExp][] = [
    ['an unknown command', ['frob'], 1, /^unknown command 'frob'/],
    ['broker with an unknown flag', ['broker', '-Z'], 1, /^unknown option '-Z'$/],
    ['broker with a configuration it refuses (mosquitto exits 3)', ['broker', '-c', badConf, '--test-config'], 3, /bad\.conf:2: unknown option 'lisener' \(did you mean 'listener'\?\)$/],
    ['broker with a missing configuration file', ['broker', '-c', join(dir, 'none.conf')], 3, /cannot read config file/],
    ['pub with a bad value', ['pub', '-t', 'a', '-m', 'x', '-q', '3'], 1, /QoS must be 0, 1 or 2/],
    ['pub without a message', ['pub', '-t', 'a'], 1, /^Both topic and message must be supplied\.$/],
    ['sub without a topic', ['sub'], 1, /^You must specify a topic to subscribe to\.$/],
    ['rr without a response topic', ['rr', '-t', 'a', '-m', 'x'], 1, /^All of topic, message, and response topic must be supplied\.$/],
    ['passwd without a file', ['passwd'], 1, /^missing required argument 'passwordfile'$/],
    ['passwd on a missing file', ['passwd', '-b', join(dir, 'none'), 'bob', 'pw'], 1, /^Unable to open password file .*none: no such file/],
    ['bench with an unknown subcommand', ['bench', 'frob'], 1, /^unknown command 'frob'$/],
    ['bench with a bad protocol version', ['bench', 'pub', '-V', '6'], 1, /argument '6' is invalid/],
    ['sn-pub without a message', ['sn-pub', '-t', 'ab'], 1, /^A message must be supplied/],
    ['sn-sub with a bad QoS', ['sn-sub', '-t', 'a', '-q', '-1'], 1, /QoS must be 0, 1 or 2/],
  ];
  for (const [what, args, status, pattern] of cases) {
    test(`${what} exits ${status}`, async () => {
      const result = await runCli(args);
      assert.equal(result.code, status, result.stderr);
      assertOneMidgeLine(result, pattern);
    });
  }
});

/** Runs a program to completion (bounded), for mosquitto_sub. */
function run(command: string, args: string[]): Promise<CliResult> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not finish; stderr: ${stderr}`));
    }, 10_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

describe('midge sub describes refused subscriptions as mosquitto_sub does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'midge-suback-'));
  let midge: SpawnedMidge;
  let conn: string[];
  before(async () => {
    // Anonymous clients may read allowed/# only, so SUBSCRIBE to anything else is refused.
    writeFileSync(join(dir, 'acl'), 'topic read allowed/#\n');
    midge = await spawnMidge({ cwd: dir, config: 'listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nacl_file acl\n' });
    conn = ['-h', midge.host, '-p', String(midge.port)];
  });
  after(async () => {
    await midge.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('3.1.1: every filter refused is "All subscription requests were denied.", word for word mosquitto_sub\'s, with no v5 reason name', async (t) => {
    const ours = await runCli(['sub', ...conn, '-V', '311', '-t', 'denied/a', '-t', 'denied/b']);
    assert.equal(ours.code, 1);
    assertOneMidgeLine(ours, /^All subscription requests were denied\.$/);
    if (!requireBinary(t, '/usr/bin/mosquitto_sub')) return;
    const theirs = await run('/usr/bin/mosquitto_sub', [...conn, '-V', 'mqttv311', '-t', 'denied/a', '-t', 'denied/b']);
    assert.equal(theirs.stderr, ours.stderr.slice('midge: '.length));
  });

  test('v5: the same sentence, with the reason code the broker gave', async () => {
    const result = await runCli(['sub', ...conn, '-V', '5', '-t', 'denied/a']);
    assert.equal(result.code, 1);
    assertOneMidgeLine(result, /^All subscription requests were denied\. \(0x87 Not authorized\)$/);
  });

  test('one filter refused among others is a warning, and the rest go ahead', async () => {
    const v3 = await runCli(['sub', ...conn, '-V', '311', '-t', 'denied/a', '-t', 'allowed/a', '-E']);
    assert.deepEqual([v3.code, v3.stderr], [0, "midge: warning: subscription to 'denied/a' was denied.\n"]);
    const v5 = await runCli(['sub', ...conn, '-V', '5', '-t', 'denied/a', '-t', 'allowed/a', '-E']);
    assert.deepEqual([v5.code, v5.stderr], [0, "midge: warning: subscription to 'denied/a' was denied. (0x87 Not authorized)\n"]);
  });
});
