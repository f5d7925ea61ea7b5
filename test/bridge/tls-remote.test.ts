/**
 * Bridges over TLS with a client certificate, to mosquitto over mqtts and over secure
 * WebSocket (wss://, which mosquitto's own bridges cannot dial), and what happens when
 * the remote refuses the bridge for want of a certificate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO, startMosquitto, type RunningBroker } from '../helpers/mosquitto.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { bridgeConnected, collector, eventually, startConfigured, type ConfiguredMidge } from './helpers.js';

let certs: TestCertificates | undefined;
let cloud: RunningBroker | undefined;
let tlsPort = 0;
let wssPort = 0;
const started: ConfiguredMidge[] = [];

before(async () => {
  if (!(await import('node:fs')).existsSync(MOSQUITTO)) return;
  certs = makeCertificates('edge-gateway');
  tlsPort = await freePort();
  wssPort = await freePort();
  const tls = `certfile ${certs.serverCert}\nkeyfile ${certs.serverKey}\ncafile ${certs.caCert}\nrequire_certificate true\nuse_identity_as_username true\n`;
  // The plain listener mosquitto gets first is for the test's own clients.
  // Started as root, mosquitto would drop to its own user, who may not read the certificates.
  cloud = await startMosquitto(`user root\nlistener ${tlsPort} 127.0.0.1\n${tls}listener ${wssPort} 127.0.0.1\nprotocol websockets\n${tls}`);
  await waitForPort(tlsPort);
  await waitForPort(wssPort);
});
after(async () => {
  await Promise.all(started.map((m) => m.stop()));
  await cloud?.stop();
  certs?.cleanup();
});

async function edge(address: string, lines: string[]): Promise<ConfiguredMidge> {
  const midge = await startConfigured([
    'listener 0 127.0.0.1', 'allow_anonymous true', 'persistence false', 'sys_interval 0',
    'connection cloud', `address ${address}`, 'remote_clientid edge-tls', 'restart_timeout 1', 'topic tls/# both 1', ...lines, '',
  ].join('\n'));
  started.push(midge);
  return midge;
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
});
