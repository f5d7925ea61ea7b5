/**
 * `midge pub/sub` over TLS with client certificates made at test time
 * (--cafile, --capath, --cert, --key, --insecure, -L mqtts://) and over
 * WebSocket (-L ws://), against each broker of brokers.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { OPENSSL, makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { requireBinary } from '../helpers/external.js';
import { brokers, type BrokerFactory, type CliBroker } from './brokers.js';
import { runCli, subscribed } from './run-cli.js';

/** A server certificate from the test CA that names some other host, for the host name check. */
function misnamedServerCert(certs: TestCertificates): { cert: string; key: string } {
  const [key, csr, cert, ext] = ['wrong.key', 'wrong.csr', 'wrong.crt', 'wrong.ext'].map((n) => join(certs.dir, n)) as [string, string, string, string];
  writeFileSync(ext, 'subjectAltName=DNS:somewhere-else.example\nextendedKeyUsage=serverAuth\n');
  execFileSync(OPENSSL, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=somewhere-else.example', '-keyout', key, '-out', csr], { stdio: 'ignore' });
  execFileSync(OPENSSL, ['x509', '-req', '-in', csr, '-CA', certs.caCert, '-CAkey', certs.caKey, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

function suite(factory: BrokerFactory): void {
  describe(`midge pub and sub over TLS and WebSocket with ${factory.name}`, () => {
    let env: Promise<{ certs: TestCertificates; broker: CliBroker }> | undefined;
    const extra: CliBroker[] = [];
    after(async () => {
      for (const b of extra) await b.stop();
      if (!env) return;
      const { certs, broker } = await env;
      await broker.stop();
      certs.cleanup();
    });
    async function ready(t: TestContext): Promise<{ certs: TestCertificates; broker: CliBroker } | undefined> {
      if (![...factory.binaries, OPENSSL].every((b) => requireBinary(t, b))) return undefined;
      env ??= (async () => {
        const certs = makeCertificates();
        return { certs, broker: await factory.start({ tls: certs, websockets: true }) };
      })();
      return env;
    }

    test('pub and sub over TLS with --cafile, --cert and --key, the broker requiring the client certificate', async (t) => {
      const e = await ready(t);
      if (!e) return;
      const tls = ['-h', '127.0.0.1', '-p', String(e.broker.tlsPort), '--cafile', e.certs.caCert, '--cert', e.certs.clientCert, '--key', e.certs.clientKey];
      const sub = await subscribed([...tls, '-t', 'tls/a', '-C', '1']);
      const pub = await runCli(['pub', ...tls, '-t', 'tls/a', '-m', 'secret']);
      assert.deepEqual([pub.code, pub.stderr], [0, '']);
      assert.equal((await sub.finished()).stdout.toString(), 'secret\n');
    });

    test('--capath trusts the CA certificates of a directory, and -L mqtts:// turns TLS on by itself', async (t) => {
      const e = await ready(t);
      if (!e) return;
      const files = ['--cert', e.certs.clientCert, '--key', e.certs.clientKey];
      const sub = await subscribed(['-h', 'localhost', '-p', String(e.broker.tlsPort), '--capath', e.certs.dir, ...files, '-t', 'tls/b', '-C', '1']);
      const pub = await runCli(['pub', '-L', `mqtts://localhost:${e.broker.tlsPort}/tls/b`, '--cafile', e.certs.caCert, ...files, '-m', 'via url']);
      assert.equal(pub.code, 0, pub.stderr);
      assert.equal((await sub.finished()).stdout.toString(), 'via url\n');
    });

    test('without a client certificate the broker refuses the TLS connection: exit 1, one line', async (t) => {
      const e = await ready(t);
      if (!e) return;
      const result = await runCli(['pub', '-h', '127.0.0.1', '-p', String(e.broker.tlsPort), '--cafile', e.certs.caCert, '-t', 'tls/c', '-m', 'x']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^midge: .+\n$/);
    });

    test('a server certificate naming another host fails the check, unless --insecure', async (t) => {
      const e = await ready(t);
      if (!e) return;
      const wrong = misnamedServerCert(e.certs);
      const other = await factory.start({ tls: { caCert: e.certs.caCert, serverCert: wrong.cert, serverKey: wrong.key } });
      extra.push(other);
      const args = ['pub', '-h', '127.0.0.1', '-p', String(other.tlsPort), '--cafile', e.certs.caCert, '--cert', e.certs.clientCert, '--key', e.certs.clientKey, '-t', 'tls/d', '-m', 'x'];
      const checked = await runCli(args);
      assert.equal(checked.code, 1);
      assert.match(checked.stderr, /^midge: .*(altnames|host|IP).*\n$/i);
      const insecure = await runCli([...args, '--insecure']);
      assert.deepEqual([insecure.code, insecure.stderr], [0, '']);
    });

    test('-L ws://host:port/topic carries pub and sub over WebSocket', async (t) => {
      const e = await ready(t);
      if (!e) return;
      const url = `ws://127.0.0.1:${e.broker.wsPort}`;
      const sub = await subscribed(['-L', `${url}/ws/topic`, '-C', '1', '-v']);
      const pub = await runCli(['pub', '-L', `${url}/ws/topic`, '-m', 'over websocket', '-q', '1']);
      assert.deepEqual([pub.code, pub.stderr], [0, '']);
      assert.equal((await sub.finished()).stdout.toString(), 'ws/topic over websocket\n');
    });
  });
}

for (const factory of brokers) suite(factory);
