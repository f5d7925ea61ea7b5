/**
 * MqttClient over mqtts:// and wss:// against mosquitto, with certificates made
 * at test time: a trusted CA, a client certificate the broker requires.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test, type TestContext } from 'node:test';
import { MqttClient, type ClientOptions } from '../../src/client/index.js';
import { OPENSSL, makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { requireBinary } from '../helpers/external.js';
import { MOSQUITTO, startMosquitto, type RunningBroker } from '../helpers/mosquitto.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { withTimeout } from './fake-server.js';

interface TlsEnv {
  certs: TestCertificates;
  broker: RunningBroker;
  tlsPort: number;
  wssPort: number;
}

let shared: Promise<TlsEnv> | undefined;
const clients: MqttClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.end({ timeoutMs: 200 })));
  if (!shared) return;
  const env = await shared;
  await env.broker.stop();
  env.certs.cleanup();
});

async function env(t: TestContext): Promise<TlsEnv | undefined> {
  if (!requireBinary(t, MOSQUITTO) || !requireBinary(t, OPENSSL)) return undefined;
  shared ??= (async () => {
    const certs = makeCertificates();
    const [tlsPort, wssPort] = [await freePort(), await freePort()];
    const tlsFiles = `cafile ${certs.caCert}\ncertfile ${certs.serverCert}\nkeyfile ${certs.serverKey}\nrequire_certificate true\n`;
    // Started as root, mosquitto reads certificates only after dropping to its own
    // user, who cannot enter the private temp directory; `user root` keeps it root
    // (and means nothing when the tests run unprivileged).
    const broker = await startMosquitto(`user root\nlistener ${tlsPort} 127.0.0.1\n${tlsFiles}listener ${wssPort} 127.0.0.1\nprotocol websockets\n${tlsFiles}`);
    await waitForPort(tlsPort);
    await waitForPort(wssPort);
    return { certs, broker, tlsPort, wssPort };
  })();
  return shared;
}

function tlsOptions(certs: TestCertificates, withClientCert = true): ClientOptions['tls'] {
  return {
    ca: readFileSync(certs.caCert),
    ...(withClientCert ? { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) } : {}),
  };
}

async function roundTrip(url: string, tls: ClientOptions['tls']): Promise<string> {
  const client = new MqttClient(url, { protocolVersion: 5, reconnect: false, ...(tls ? { tls } : {}) });
  clients.push(client);
  await client.connect();
  const messages = client.messages();
  await client.subscribe('tls/echo', { qos: 1 });
  await client.publish('tls/echo', 'over TLS', { qos: 1 });
  const next = await withTimeout(messages.next(), 5000, 'no echo');
  return next.value?.payload.toString() ?? '';
}

describe('MqttClient over TLS', () => {
  test('mqtts:// with a client certificate the broker requires, the server checked against the CA and 127.0.0.1', async (t) => {
    const e = await env(t);
    if (!e) return;
    assert.equal(await roundTrip(`mqtts://127.0.0.1:${e.tlsPort}`, tlsOptions(e.certs)), 'over TLS');
  });

  test('wss:// with the same certificates', async (t) => {
    const e = await env(t);
    if (!e) return;
    assert.equal(await roundTrip(`wss://localhost:${e.wssPort}`, tlsOptions(e.certs)), 'over TLS');
  });

  test('a broker that requires a client certificate refuses a client without one', async (t) => {
    const e = await env(t);
    if (!e) return;
    const client = new MqttClient(`mqtts://127.0.0.1:${e.tlsPort}`, { reconnect: false, tls: tlsOptions(e.certs, false), connectTimeoutMs: 3000 });
    await assert.rejects(client.connect());
    assert.equal(client.connected, false);
  });

  test('a server certificate from a CA the client does not trust is refused', async (t) => {
    const e = await env(t);
    if (!e) return;
    const client = new MqttClient(`mqtts://127.0.0.1:${e.tlsPort}`, {
      reconnect: false, connectTimeoutMs: 3000,
      tls: { cert: readFileSync(e.certs.clientCert), key: readFileSync(e.certs.clientKey) },
    });
    await assert.rejects(client.connect(), /certificate/);
  });
});
