/**
 * Interoperability with Debian's Mosquitto 2.0: files written by mosquitto_passwd are read by
 * midge, and files written by `midge passwd` are read by the mosquitto broker.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { AuthenticationResult, ConnectCredentials } from '../../src/broker/ports/auth.js';
import { PasswordFileAuthenticator } from '../../src/auth/index.js';
import { runPasswd } from '../../src/cli/commands/passwd.js';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO } from '../helpers/mosquitto.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { runProcess, tempDir } from './fixtures.js';

const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';

function login(username: string, password: string): ConnectCredentials {
  return { clientId: 'c1', username, password: Buffer.from(password), protocolVersion: 4, listener: 'default', remoteAddress: '127.0.0.1' };
}

const allowed: AuthenticationResult = { outcome: 'allow' };

async function mosquittoPasswd(args: string[]): Promise<void> {
  const result = await runProcess(MOSQUITTO_PASSWD, args);
  assert.equal(result.code, 0, `mosquitto_passwd ${args.join(' ')}: ${result.stderr}`);
}

/** Starts Debian's broker with the password file and no anonymous access; stops it (by pid) after the test. */
async function startBrokerWithPasswords(t: TestContext, dir: string, passwordFile: string): Promise<number> {
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  // Started as root, mosquitto switches to the `mosquitto` user, which cannot read a 0600 file
  // we own; `user root` keeps it as it was started.
  const keepUser = process.getuid?.() === 0 ? 'user root\n' : '';
  await writeFile(config, `${keepUser}listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${passwordFile}\npersistence false\n`);
  const broker = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  broker.stderr.on('data', (chunk: Buffer) => { log += chunk.toString(); });
  const exited = new Promise<void>((resolve) => broker.once('exit', () => resolve()));
  t.after(async () => {
    if (broker.exitCode === null && broker.signalCode === null) {
      process.kill(broker.pid as number, 'SIGTERM');
      const timer = setTimeout(() => broker.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  });
  try {
    await waitForPort(port, '127.0.0.1', 10_000);
  } catch (err) {
    throw new Error(`mosquitto did not start: ${log || String(err)}`);
  }
  return port;
}

function publish(port: number, username: string, password: string) {
  return runProcess(MOSQUITTO_PUB, ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-u', username, '-P', password, '-t', 'midge/test', '-m', 'hi']);
}

describe('Mosquitto interoperability', () => {
  it('verifies $7$ entries written by mosquitto_passwd', async (t) => {
    if (!requireBinary(t, MOSQUITTO_PASSWD)) return;
    const file = join(await tempDir(t), 'users.pw');
    await mosquittoPasswd(['-b', '-c', file, 'alice', 'secret']);
    await mosquittoPasswd(['-I', '2000', '-b', file, 'bob', 'hunter2']);
    const auth = await PasswordFileAuthenticator.open({ path: file });
    assert.deepEqual(await auth.authenticate(login('alice', 'secret')), allowed);
    assert.deepEqual(await auth.authenticate(login('bob', 'hunter2')), allowed);
    assert.equal((await auth.authenticate(login('alice', 'Secret'))).outcome, 'deny');
    assert.equal((await auth.authenticate(login('bob', 'secret'))).outcome, 'deny');
  });

  it('verifies $6$ entries written by mosquitto_passwd -H sha512', async (t) => {
    if (!requireBinary(t, MOSQUITTO_PASSWD)) return;
    const file = join(await tempDir(t), 'users.pw');
    await mosquittoPasswd(['-H', 'sha512', '-b', '-c', file, 'carol', 'pa55 word']);
    const auth = await PasswordFileAuthenticator.open({ path: file });
    assert.deepEqual(await auth.authenticate(login('carol', 'pa55 word')), allowed);
    assert.equal((await auth.authenticate(login('carol', 'pa55word'))).outcome, 'deny');
  });

  it('writes files the mosquitto broker accepts: right passwords connect, wrong ones are refused', async (t) => {
    if (!requireBinary(t, MOSQUITTO) || !requireBinary(t, MOSQUITTO_PUB)) return;
    const dir = await tempDir(t);
    const file = join(dir, 'users.pw');
    const defaults = { hash: 'sha512-pbkdf2', iterations: 210_000 } as const;
    await runPasswd({ ...defaults, create: true, batch: true, file, username: 'alice', password: 'secret' });
    await runPasswd({ ...defaults, hash: 'sha512', batch: true, file, username: 'bob', password: 'hunter2' });
    const port = await startBrokerWithPasswords(t, dir, file);

    const good = await publish(port, 'alice', 'secret');
    assert.equal(good.code, 0, `alice was refused: ${good.stderr}`);
    const sha512 = await publish(port, 'bob', 'hunter2');
    assert.equal(sha512.code, 0, `bob was refused: ${sha512.stderr}`);
    const wrong = await publish(port, 'alice', 'hunter2');
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /not authori[sz]ed/i);
  });
});
