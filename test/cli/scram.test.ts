/**
 * SCRAM-SHA-256 end to end, as an operator sets it up: `midge passwd -H scram-sha-256`
 * writes the verifiers, the broker reads them from `scram_users_file`, and `midge pub`,
 * `sub` and `rr` log in with `--auth-method SCRAM-SHA-256 -u alice -P secret`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { runCli, subscribed } from './run-cli.js';

describe('SCRAM-SHA-256 from midge passwd to midge pub and sub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'midge-scram-'));
  const users = join(dir, 'users.scram');
  let midge: SpawnedMidge;
  let conn: string[];
  before(async () => {
    for (const [i, [user, password]] of [['alice', 'secret'], ['bob', 'builder']].entries()) {
      const written = await runCli(['passwd', '-H', 'scram-sha-256', ...(i === 0 ? ['-c'] : []), '-b', users, user!, password!]);
      assert.deepEqual([written.code, written.stderr], [0, '']);
    }
    midge = await spawnMidge({ cwd: dir, config: 'listener {port} 127.0.0.1\nallow_anonymous false\npersistence false\nscram_users_file users.scram\n' });
    conn = ['-h', midge.host, '-p', String(midge.port)];
  });
  after(async () => {
    await midge.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('passwd writes one verifier line per user, and no password', () => {
    const lines = readFileSync(users, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    for (const line of lines) assert.match(line, /^(alice|bob):SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    assert.doesNotMatch(readFileSync(users, 'utf8'), /secret|builder/);
  });

  test('pub --auth-method SCRAM-SHA-256 -u alice -P secret publishes, and sub with bob\'s verifier receives it', async () => {
    const sub = await subscribed([...conn, '--auth-method', 'SCRAM-SHA-256', '-u', 'bob', '-P', 'builder', '-t', 'scram/#', '-v', '-C', '1']);
    const pub = await runCli(['pub', ...conn, '--auth-method', 'scram-sha-256', '-u', 'alice', '-P', 'secret', '-t', 'scram/hello', '-m', 'proved, not sent', '-q', '1']);
    assert.deepEqual([pub.code, pub.stderr], [0, '']);
    const done = await sub.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout.toString(), 'scram/hello proved, not sent\n');
  });

  test('rr logs in the same way', async () => {
    const result = await runCli(['rr', ...conn, '--auth-method', 'SCRAM-SHA-256', '-u', 'alice', '-P', 'secret', '-t', 'scram/q', '-e', 'scram/a', '-m', '?', '-W', '1']);
    assert.deepEqual([result.code, result.stderr], [27, 'midge: Timed out\n']);
  });

  test('a wrong password exits 134 (0x86, the CONNACK reason code) with one line saying so', async () => {
    for (const tool of [['pub', '-t', 'scram/x', '-m', 'x'], ['sub', '-t', 'scram/x']]) {
      const result = await runCli([...tool, ...conn, '--auth-method', 'SCRAM-SHA-256', '-u', 'alice', '-P', 'wrong']);
      assert.deepEqual([result.code, result.stderr], [0x86, 'midge: Connection error: Connection Refused: 0x86 Bad User Name or Password (bad user name or password)\n'], tool[0]);
    }
  });

  test('an unknown user is refused in the same words as a wrong password', async () => {
    const result = await runCli(['pub', ...conn, '--auth-method', 'SCRAM-SHA-256', '-u', 'mallory', '-P', 'secret', '-t', 'scram/x', '-m', 'x']);
    assert.deepEqual([result.code, result.stderr], [0x86, 'midge: Connection error: Connection Refused: 0x86 Bad User Name or Password (bad user name or password)\n']);
  });

  test('a user added with midge passwd gets in after SIGHUP, without a restart', async () => {
    const carol = ['pub', ...conn, '--auth-method', 'SCRAM-SHA-256', '-u', 'carol', '-P', 'c4r0l', '-t', 'scram/carol', '-m', 'x'];
    assert.equal((await runCli(carol)).code, 0x86, 'not a user yet');
    const added = await runCli(['passwd', '-H', 'scram-sha-256', '-b', users, 'carol', 'c4r0l']);
    assert.equal(added.code, 0, added.stderr);
    process.kill(midge.pid!, 'SIGHUP');
    let result = await runCli(carol);
    for (let i = 0; i < 50 && result.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      result = await runCli(carol);
    }
    assert.deepEqual([result.code, result.stderr], [0, '']);
  });

  test('the flag needs -u and -P, and MQTT 5', async () => {
    const noPassword = await runCli(['pub', ...conn, '--auth-method', 'SCRAM-SHA-256', '-u', 'alice', '-t', 'a', '-m', 'x']);
    assert.deepEqual([noPassword.code, noPassword.stderr], [1, 'midge: --auth-method SCRAM-SHA-256 needs a user name (-u) and a password (-P).\n']);
    const v311 = await runCli(['pub', ...conn, '--auth-method', 'SCRAM-SHA-256', '-V', '311', '-u', 'alice', '-P', 'secret', '-t', 'a', '-m', 'x']);
    assert.equal(v311.code, 1);
    assert.match(v311.stderr, /^midge: --auth-method SCRAM-SHA-256 is MQTT 5 enhanced authentication: use -V 5/);
  });
});
