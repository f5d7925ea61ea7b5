/**
 * Bridges over TLS with a client certificate, to mosquitto over mqtts and over secure
 * WebSocket (wss://, which mosquitto's own bridges cannot dial), and what happens when
 * the remote refuses the bridge for want of a certificate.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { after, before, describe, test, type TestContext } from 'node:test';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO, startMosquitto, type RunningBroker } from '../helpers/mosquitto.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { bridgeConnected, collector, eventually, startConfigured, type ConfiguredMidge } from './helpers.js';

let certs: TestCertificates | undefined;
let cloud: RunningBroker | undefined;
let tlsPort = 0;
let wssPort = 0;
/** TLS 1.3 only (mosquitto's tls_version is the lowest), no client certificate asked for. */
let tls13Port = 0;
/** A certificate naming elsewhere.example, not the address dialled. */
let otherNamePort = 0;
const started: ConfiguredMidge[] = [];

before(async () => {
  if (!(await import('node:fs')).existsSync(MOSQUITTO)) return;
  certs = makeCertificates('edge-gateway');
  tlsPort = await freePort();
  wssPort = await freePort();
  tls13Port = await freePort();
  otherNamePort = await freePort();
  const tls = `certfile ${certs.serverCert}\nkeyfile ${certs.serverKey}\ncafile ${certs.caCert}\nrequire_certificate true\nuse_identity_as_username true\n`;
  const other = certs.issueServer('elsewhere.example');
  // The plain listener mosquitto gets first is for the test's own clients.
  // Started as root, mosquitto would drop to its own user, who may not read the certificates.
  cloud = await startMosquitto([
    'user root', `listener ${tlsPort} 127.0.0.1`, tls, `listener ${wssPort} 127.0.0.1`, 'protocol websockets', tls,
    `listener ${tls13Port} 127.0.0.1`, `certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`, `cafile ${certs.caCert}`, 'tls_version tlsv1.3',
    `listener ${otherNamePort} 127.0.0.1`, `certfile ${other.cert}`, `keyfile ${other.key}`, `cafile ${certs.caCert}`,
  ].join('\n'));
  for (const port of [tlsPort, wssPort, tls13Port, otherNamePort]) await waitForPort(port);
});
after(async () => {
  await Promise.all(started.map((m) => m.stop()));
  await cloud?.stop();
  certs?.cleanup();
});

async function edge(address: string, lines: string[], remoteClientId = 'edge-tls'): Promise<ConfiguredMidge> {
  const midge = await startConfigured([
    'listener 0 127.0.0.1', 'allow_anonymous true', 'persistence false', 'sys_interval 0',
    'connection cloud', `address ${address}`, `remote_clientid ${remoteClientId}`, 'restart_timeout 1', 'topic tls/# both 1', ...lines, '',
  ].join('\n'));
  started.push(midge);
  return midge;
}

/**
 * A TLS front for mosquitto's plain listener, as a cloud load balancer is: `options` say
 * what it speaks; `negotiated` lists each handshake's ALPN protocol and TLS version.
 */
async function tlsFront(t: TestContext, options: TlsOptions): Promise<{ port: number; negotiated: Array<[string | false | null, string | null]> }> {
  const negotiated: Array<[string | false | null, string | null]> = [];
  const front = createTlsServer({ cert: readFileSync(certs!.serverCert), key: readFileSync(certs!.serverKey), ...options }, (socket) => {
    negotiated.push([socket.alpnProtocol, socket.getProtocol()]);
    const back = netConnect(cloud!.port, '127.0.0.1');
    socket.pipe(back).pipe(socket);
    socket.on('error', () => back.destroy());
    back.on('error', () => socket.destroy());
  });
  front.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => front.close(() => resolve())));
  return { port: (front.address() as AddressInfo).port, negotiated };
}

describe('bridges over TLS', () => {
  for (const kind of ['mqtts', 'wss'] as const) {
    test(`carries messages both ways to mosquitto over ${kind} with a client certificate`, async (t) => {
      if (!requireBinary(t, MOSQUITTO)) return;
      const address = kind === 'mqtts' ? `127.0.0.1:${tlsPort}` : `wss://127.0.0.1:${wssPort}/mqtt`;
      const midge = await edge(address, [`bridge_cafile ${certs!.caCert}`, `bridge_certfile ${certs!.clientCert}`, `bridge_keyfile ${certs!.clientKey}`]);
      await bridgeConnected(midge.server);
      assert.equal(midge.server.bridges.status()[0]!.address, kind === 'mqtts' ? `mqtts://127.0.0.1:${tlsPort}` : `wss://127.0.0.1:${wssPort}/mqtt`);
      const local = await collector(midge.port, `tls/${kind}/in`);
      const remote = await collector(cloud!.port, `tls/${kind}/out`);
      try {
        await local.client.publish(`tls/${kind}/out`, `via ${kind}`, { qos: 1 });
        await remote.waitFor(1);
        assert.equal(remote.payloads()[0], `via ${kind}`);
        await remote.client.publish(`tls/${kind}/in`, `back via ${kind}`, { qos: 1 });
        await local.waitFor(1);
        assert.equal(local.payloads()[0], `back via ${kind}`);
      } finally {
        await local.client.end();
        await remote.client.end();
      }
    });
  }

  test('logs the failure and keeps retrying when the remote requires a certificate the bridge does not send', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const midge = await edge(`127.0.0.1:${tlsPort}`, [`bridge_cafile ${certs!.caCert}`]);
    await eventually(() => midge.server.bridges.status()[0]!.connectFailures >= 2, 'two failed attempts');
    const failure = midge.records.find((r) => r.message === 'bridge could not connect');
    assert.ok(failure, 'a log line says the bridge could not connect');
    assert.equal(failure.fields.bridge, 'cloud');
    assert.equal(failure.fields.address, `mqtts://127.0.0.1:${tlsPort}`);
    assert.ok(midge.records.some((r) => r.message === 'bridge reconnecting'), 'and that it tries again');
    assert.notEqual(midge.server.bridges.status()[0]!.state, 'connected');
  });

  test('bridge_tls_version is the lowest version spoken, as mosquitto reads it: tlsv1.2 reaches a TLS 1.3 remote, tlsv1.3 cannot reach a TLS 1.2 one', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const ca = `bridge_cafile ${certs!.caCert}`;
    const older = await edge(`127.0.0.1:${tls13Port}`, [ca, 'bridge_tls_version tlsv1.2'], 'edge-tls12');
    const front = await tlsFront(t, { maxVersion: 'TLSv1.2' });
    const newer = await edge(`127.0.0.1:${front.port}`, [ca, 'bridge_tls_version tlsv1.3'], 'edge-tls13');
    await bridgeConnected(older.server);
    await eventually(() => newer.server.bridges.status()[0]!.connectFailures >= 1, 'the TLS 1.3 bridge fails');
    assert.ok(newer.records.some((r) => r.message === 'bridge could not connect'));
    assert.equal(newer.server.bridges.status()[0]!.connects, 0);
    assert.deepEqual(front.negotiated, [], 'no handshake with the TLS 1.2 remote succeeded');
  });

  test('bridge_capath: the remote is verified with the CA certificates of a directory', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const dir = join(certs!.dir, 'capath');
    mkdirSync(dir);
    copyFileSync(certs!.caCert, join(dir, 'ca.crt'));
    const midge = await edge(`127.0.0.1:${tls13Port}`, [`bridge_capath ${dir}`], 'edge-capath');
    await bridgeConnected(midge.server);
    assert.equal(midge.server.bridges.status()[0]!.address, `mqtts://127.0.0.1:${tls13Port}`);
  });

  test('bridge_insecure: a remote whose certificate names another host is refused, unless bridge_insecure is true', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const ca = `bridge_cafile ${certs!.caCert}`;
    const strict = await edge(`127.0.0.1:${otherNamePort}`, [ca], 'edge-strict');
    const insecure = await edge(`127.0.0.1:${otherNamePort}`, [ca, 'bridge_insecure true'], 'edge-insecure');
    await bridgeConnected(insecure.server);
    await eventually(() => strict.server.bridges.status()[0]!.connectFailures >= 1, 'the strict bridge fails');
    assert.match(String(strict.server.bridges.status()[0]!.lastError), /127\.0\.0\.1|altnames|hostname/i);
    assert.equal(strict.server.bridges.status()[0]!.connects, 0);
  });

  test('bridge_alpn: the protocol is asked for in the TLS handshake', async (t) => {
    if (!requireBinary(t, MOSQUITTO)) return;
    const front = await tlsFront(t, { ALPNProtocols: ['x-mqtt'] });
    const midge = await edge(`127.0.0.1:${front.port}`, [`bridge_cafile ${certs!.caCert}`, 'bridge_alpn x-mqtt'], 'edge-alpn');
    await bridgeConnected(midge.server);
    assert.deepEqual(front.negotiated.map(([alpn]) => alpn), ['x-mqtt']);
    await midge.stop();
    started.splice(started.indexOf(midge), 1);
  });
});
