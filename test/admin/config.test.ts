import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { adminCall, basic, parseMetrics, writePasswordFile } from '../helpers/admin.js';
import { ROOT, spawnMidge } from '../helpers/midge.js';
import { freePort } from '../helpers/ports.js';

describe('the admin listener of midge broker -c', () => {
  it('serves the configured http listener with admin_user from password_file and admin_token, and reloads the password file on SIGHUP', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'midge-admin-conf-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const passwordFile = await writePasswordFile(dir, { ops: 'first-password', bob: 'bobs' });
    const adminPort = await freePort();
    const token = 'config-token-0123456789abcdef';
    const midge = await spawnMidge({
      config: [
        `password_file ${passwordFile}`, 'admin_user ops', `admin_token ${token}`, 'persistence false',
        'listener {port} 127.0.0.1', 'allow_anonymous true', `listener ${adminPort} 127.0.0.1`, 'protocol http', '',
      ].join('\n'),
    });
    t.after(() => midge.stop());
    assert.equal((await adminCall(adminPort, '/healthz')).status, 200);
    assert.equal((await adminCall(adminPort, '/readyz')).status, 200);
    assert.deepEqual((await adminCall(adminPort, '/api/v1/whoami', { authorization: basic('ops', 'first-password') })).json, { kind: 'user', name: 'ops' });
    assert.equal((await adminCall(adminPort, '/api/v1/whoami', { authorization: basic('bob', 'bobs') })).status, 403, 'bob is not an admin');
    const metrics = await adminCall(adminPort, '/metrics', { authorization: `Bearer ${token}` });
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(parseMetrics(metrics.text).get(`midge_build_info{version="${version}"}`), 1);

    await writePasswordFile(dir, { ops: 'second-password' });
    midge.child.kill('SIGHUP');
    const status = async (password: string) => (await adminCall(adminPort, '/api/v1/whoami', { authorization: basic('ops', password) })).status;
    // The reload is asynchronous: poll, within a bound, until the new password is accepted.
    const deadline = Date.now() + 5000;
    while ((await status('second-password')) !== 200) {
      assert.ok(Date.now() < deadline, 'the new password is accepted after SIGHUP');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await status('first-password'), 401);
  });
});
