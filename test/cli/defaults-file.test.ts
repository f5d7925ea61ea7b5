/**
 * Per-user defaults for pub, sub and rr, as mosquitto_pub/sub/rr read
 * `~/.config/mosquitto_pub`: `$XDG_CONFIG_HOME/midge_pub`, else `~/.config/midge_pub`,
 * one option per line, read before the command line. Checked against Debian's
 * mosquitto broker, beside mosquitto_pub reading the very same lines.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { requireBinary } from '../helpers/external.js';
import { mosquittoFactory, type CliBroker } from './brokers.js';
import { runCli, startCli } from './run-cli.js';

const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';

describe('the per-user defaults file of pub, sub and rr', () => {
  const dir = mkdtempSync(join(tmpdir(), 'midge-defaults-'));
  let broker: Promise<CliBroker> | undefined;
  after(async () => {
    await (await broker)?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The broker (users only: alice/secret), started by the first test that needs it. */
  async function started(t: TestContext): Promise<CliBroker | undefined> {
    if (!mosquittoFactory.binaries.every((b) => requireBinary(t, b))) return undefined;
    broker ??= mosquittoFactory.start({ users: { alice: 'secret' } });
    return broker;
  }

  /** A fresh config directory holding `files` (name -> text). */
  function configDir(files: Record<string, string>): string {
    const home = mkdtempSync(join(dir, 'cfg-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(home, name), text);
    return home;
  }

  test('pub takes host, port and credentials from $XDG_CONFIG_HOME/midge_pub, written as mosquitto_pub reads them', async (t) => {
    const b = await started(t);
    if (!b || !requireBinary(t, MOSQUITTO_PUB)) return;
    const defaults = `# the broker of this test\n-h ${b.host}\n-p ${b.port}\n-u alice\n-P secret\n`;
    const xdg = configDir({ midge_pub: defaults, mosquitto_pub: defaults });
    const sub = startCli(['sub', '-d', '-h', b.host, '-p', String(b.port), '-u', 'alice', '-P', 'secret', '-t', 'defaults/#', '-v', '-C', '3']);
    await sub.waitFor('received SUBACK');
    for (const payload of ['one message', 'two']) {
      const ours = await runCli(['pub', '-t', 'defaults/midge', '-m', payload], { env: { XDG_CONFIG_HOME: xdg } });
      assert.deepEqual([ours.code, ours.stderr], [0, '']);
    }
    const theirs = await new Promise<number | null>((resolve) => {
      spawn(MOSQUITTO_PUB, ['-t', 'defaults/mosquitto', '-m', 'same file'], { env: { ...process.env, XDG_CONFIG_HOME: xdg }, stdio: 'ignore' })
        .once('close', resolve);
    });
    assert.equal(theirs, 0, 'mosquitto_pub reads the same lines');
    const done = await sub.finished();
    assert.equal(done.stdout.toString(), 'defaults/midge one message\ndefaults/midge two\ndefaults/mosquitto same file\n');
  });

  test('without XDG_CONFIG_HOME, sub reads ~/.config/midge_sub; the command line overrides its single options and adds to its topics', async (t) => {
    const b = await started(t);
    if (!b) return;
    const home = mkdtempSync(join(dir, 'home-'));
    mkdirSync(join(home, '.config'));
    writeFileSync(join(home, '.config', 'midge_sub'), `-h ${b.host}\n-p ${b.port}\n-u alice\n-P wrong\n-t from/file\n-v\n`);
    const sub = startCli(['sub', '-d', '-P', 'secret', '-t', 'from/command-line', '-C', '2'], { HOME: home, XDG_CONFIG_HOME: '' });
    await sub.waitFor('received SUBACK');
    for (const topic of ['from/file', 'from/command-line']) {
      const pub = await runCli(['pub', '-h', b.host, '-p', String(b.port), '-u', 'alice', '-P', 'secret', '-t', topic, '-m', 'x']);
      assert.equal(pub.code, 0, pub.stderr);
    }
    assert.equal((await sub.finished()).stdout.toString(), 'from/file x\nfrom/command-line x\n');
  });

  test('rr reads midge_rr', async (t) => {
    const b = await started(t);
    if (!b) return;
    const xdg = configDir({ midge_rr: `-h ${b.host}\n-p ${b.port}\n-u alice\n-P secret\n-e defaults/answers\n` });
    const result = await runCli(['rr', '-t', 'defaults/questions', '-m', 'anyone?', '-W', '1'], { env: { XDG_CONFIG_HOME: xdg } });
    // Connected, subscribed to the response topic of the file, and waited for an answer.
    assert.deepEqual([result.code, result.stderr], [27, 'midge: Timed out\n']);
  });

  test('a line midge cannot read is refused with the file and line, before connecting', async () => {
    for (const [line, problem] of [['-Z 3', "unknown option '-Z'"], ['-q 7', 'QoS must be 0, 1 or 2'], ['-p', 'argument missing'], ['broker', "unknown option 'broker'"]]) {
      const xdg = configDir({ midge_pub: `# fine\n-t a\n${line}\n` });
      const result = await runCli(['pub', '-m', 'x'], { env: { XDG_CONFIG_HOME: xdg } });
      assert.equal(result.code, 1, line);
      assert.equal(result.stderr.split('\n').length, 2, result.stderr);
      assert.ok(result.stderr.startsWith(`midge: ${join(xdg, 'midge_pub')}:3: `), result.stderr);
      assert.ok(result.stderr.includes(problem), `${line}: ${result.stderr}`);
    }
  });
});
