/**
 * Startup failures an operator can act on: certificate problems name the file and the
 * setting to check (as mosquitto's "Unable to load server key file ... Check keyfile."),
 * `--test-config` loads every file `broker` would and fails the same way, and a port in
 * use is a sentence naming the listener and what to do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/run-cli.js';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { freePort } from '../helpers/ports.js';

describe('startup errors', () => {
  let certs: TestCertificates;
  let dir: string;
  before(() => {
    certs = makeCertificates();
    dir = mkdtempSync(join(tmpdir(), 'midge-startup-'));
  });
  after(() => {
    certs.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a config with one TLS listener on a free port; returns its path. */
  async function tlsConfig(name: string, certfile: string, keyfile: string, extra = ''): Promise<string> {
    const file = join(dir, name);
    writeFileSync(file, `listener ${await freePort()} 127.0.0.1\ncertfile ${certfile}\nkeyfile ${keyfile}\nallow_anonymous true\npersistence false\n${extra}`);
    return file;
  }

  it('name the file and the setting when certfile and keyfile are swapped, in --test-config and in broker alike', async () => {
    const file = await tlsConfig('swapped.conf', certs.serverKey, certs.serverCert);
    const expected = `Unable to load server certificate file "${certs.serverKey}": it holds a private key, not a certificate (are certfile and keyfile swapped?). Check certfile.`;
    const checked = await runCli(['broker', '--test-config', '-c', file]);
    assert.notEqual(checked.code, 0);
    assert.ok(checked.stderr.includes(expected), checked.stderr);
    const run = await runCli(['broker', '-c', file]);
    assert.notEqual(run.code, 0);
    assert.ok(run.stderr.includes(expected), run.stderr);
    assert.ok(!run.stderr.includes('no start line'), run.stderr);
  });

  it('say which key does not match which certificate', async () => {
    const other = certs.issueClient('someone-else');
    const file = await tlsConfig('mismatch.conf', certs.serverCert, other.key);
    const { code, stderr } = await runCli(['broker', '--test-config', '-c', file]);
    assert.notEqual(code, 0);
    assert.ok(stderr.includes(`Server key file "${other.key}" does not match certificate file "${certs.serverCert}"`), stderr);
    assert.ok(stderr.includes('Check keyfile and certfile.'), stderr);
    assert.ok(!stderr.includes('05800074'), stderr);
  });

  it('--test-config fails on a CA file that is not a certificate, and on broken ACL and SCRAM files, naming each', async () => {
    const badCa = join(dir, 'ca.pem');
    writeFileSync(badCa, 'not a certificate\n');
    const ca = await runCli(['broker', '--test-config', '-c', await tlsConfig('ca.conf', certs.serverCert, certs.serverKey, `cafile ${badCa}\n`)]);
    assert.notEqual(ca.code, 0);
    assert.ok(ca.stderr.includes(`Unable to load CA certificates from "${badCa}"`) && ca.stderr.includes('Check cafile.'), ca.stderr);
    const acl = join(dir, 'acl');
    writeFileSync(acl, 'topic sometimes plant/#\n');
    const scram = join(dir, 'scram');
    writeFileSync(scram, 'alice:not-a-verifier\n');
    for (const [option, path] of [['acl_file', acl], ['scram_users_file', scram]] as const) {
      const file = join(dir, `${option}.conf`);
      writeFileSync(file, `listener ${await freePort()} 127.0.0.1\n${option} ${path}\n`);
      const { code, stderr } = await runCli(['broker', '--test-config', '-c', file]);
      assert.notEqual(code, 0, `${option}: ${stderr}`);
      assert.ok(stderr.includes(`${path}:1:`), stderr);
    }
  });

  it('turn a port in use into a sentence naming the listener and what to do', async (t) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    t.after(() => taken.close());
    const port = (taken.address() as { port: number }).port;
    const { code, stderr } = await runCli(['broker', '--host', '127.0.0.1', '--port', String(port), '--no-persistence']);
    assert.equal(code, 1);
    assert.ok(stderr.includes(`listener mqtt:${port} cannot listen on 127.0.0.1:${port}: port ${port} is already in use by another program`), stderr);
    assert.ok(stderr.includes('stop it, or give this listener another port'), stderr);
  });
});
