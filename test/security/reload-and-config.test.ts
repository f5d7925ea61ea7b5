import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeCertificates } from '../helpers/certs.js';
import { CLI, spawnMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { freePort } from '../helpers/ports.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The SHA-256 fingerprint of the certificate a TLS listener presents now. */
function servedFingerprint(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('reload and configuration checks', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'midge-reload-'));
    dirs.push(d);
    return d;
  };
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('reloads certificates on SIGHUP while a TLS client stays connected', async () => {
    const dir = tempDir();
    const first = makeCertificates();
    const second = makeCertificates();
    copyFileSync(first.serverCert, join(dir, 'server.crt'));
    copyFileSync(first.serverKey, join(dir, 'server.key'));
    const bundle = Buffer.concat([readFileSync(first.caCert), readFileSync(second.caCert)]);
    writeFileSync(join(dir, 'ca.pem'), bundle);
    const broker = await spawnMidge({
      cwd: dir, args: ['--log-level', 'info', '--no-persistence'], placeholders: { dir },
      config: 'listener {port} 127.0.0.1\nallow_anonymous true\ncertfile {dir}/server.crt\nkeyfile {dir}/server.key\n',
    });
    try {
      const before = await servedFingerprint(broker.port, bundle);
      const client = await connectMqttJs(broker.port, { protocol: 'mqtts', ca: bundle });
      const inbox = collect(client);
      await client.subscribeAsync('reload/t', { qos: 1 });
      copyFileSync(second.serverCert, join(dir, 'server.crt'));
      copyFileSync(second.serverKey, join(dir, 'server.key'));
      broker.child.kill('SIGHUP');
      const deadline = Date.now() + 5000;
      while (!broker.output().includes('reload complete') && Date.now() < deadline) await sleep(25);
      assert.ok(broker.output().includes('reload complete'), broker.output());
      const afterReload = await servedFingerprint(broker.port, bundle);
      assert.notEqual(afterReload, before, 'new connections get the new certificate');
      await client.publishAsync('reload/t', 'still here', { qos: 1 });
      const [m] = await inbox.waitFor(1);
      assert.equal(m!.payload.toString(), 'still here');
      assert.equal(client.connected, true, 'the connected client was not dropped');
      await endMqttJs(client);
    } finally {
      await broker.stop();
      first.cleanup();
      second.cleanup();
    }
  });

  it('keeps serving the old certificate when the new files are unusable', async () => {
    const dir = tempDir();
    const certs = makeCertificates();
    copyFileSync(certs.serverCert, join(dir, 'server.crt'));
    copyFileSync(certs.serverKey, join(dir, 'server.key'));
    const broker = await spawnMidge({
      cwd: dir, args: ['--log-level', 'info', '--no-persistence'], placeholders: { dir },
      config: 'listener {port} 127.0.0.1\nallow_anonymous true\ncertfile {dir}/server.crt\nkeyfile {dir}/server.key\n',
    });
    try {
      const ca = readFileSync(certs.caCert);
      const before = await servedFingerprint(broker.port, ca);
      writeFileSync(join(dir, 'server.key'), 'not a key\n');
      broker.child.kill('SIGHUP');
      const deadline = Date.now() + 5000;
      while (!broker.output().includes('reload incomplete') && Date.now() < deadline) await sleep(25);
      assert.match(broker.output(), /certificate reload failed/);
      assert.equal(await servedFingerprint(broker.port, ca), before);
    } finally {
      await broker.stop();
      certs.cleanup();
    }
  });

  it('--test-config prints the resolved configuration with secrets redacted and exits 0', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ok.conf'), 'listener 1883 127.0.0.1\nallow_anonymous true\nadmin_token correct-horse-battery-staple\nmax_packet_size 4096\n');
    const { stdout } = await run(process.execPath, [CLI, 'broker', '--test-config', '-c', join(dir, 'ok.conf')]);
    assert.match(stdout, /max_packet_size: 4096/);
    assert.doesNotMatch(stdout, /correct-horse/);
    assert.match(stdout, /admin_token: redacted/);
  });

  it('--test-config exits non-zero with one line naming the file and line of the error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.conf'), 'listener 1883\nmax_keepalive 70000\n');
    const failed = await run(process.execPath, [CLI, 'broker', '--test-config', '-c', join(dir, 'bad.conf')]).then(() => undefined, (e: { code: number; stderr: string }) => e);
    assert.ok(failed, 'exits non-zero');
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr.trim(), /^midge: .*bad\.conf:2: .*max_keepalive/);
    assert.equal(failed.stderr.trim().split('\n').length, 1);
  });

  it('--test-config warns when a confidential topic can be published over a plain listener', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.conf'), 'listener 1883 127.0.0.1\nallow_anonymous true\nconfidential_topics secret/#\n');
    const { stderr } = await run(process.execPath, [CLI, 'broker', '--test-config', '-c', join(dir, 'c.conf')]);
    assert.match(stderr, /warning: .*secret\/#/);
  });

  it('runs from a YAML configuration', async () => {
    const dir = tempDir();
    const port = await freePort();
    const broker = await spawnMidge({
      cwd: dir, port, configName: 'midge.yaml', args: ['--no-persistence'],
      config: 'allow_anonymous: true\nmax_packet_size: 4096\nlisteners:\n  - port: {port}\n    address: 127.0.0.1\n    protocol: mqtt\n',
    });
    try {
      const client = await connectMqttJs(broker.port, { protocolVersion: 5 });
      const inbox = collect(client);
      await client.subscribeAsync('yaml/t');
      await client.publishAsync('yaml/t', 'from yaml');
      await inbox.waitFor(1);
      await endMqttJs(client);
    } finally {
      await broker.stop();
    }
  });
});
