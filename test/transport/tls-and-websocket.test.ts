import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeCertificates, serverTlsFiles, type TestCertificates } from '../helpers/certs.js';
import { requireBinary } from '../helpers/external.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { collect, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';

const run = promisify(execFile);
const MOSQUITTO_PUB = '/usr/bin/mosquitto_pub';
const MOSQUITTO_SUB = '/usr/bin/mosquitto_sub';

describe('TLS, client certificates and WebSocket listeners', () => {
  let certs: TestCertificates;
  let midge: InProcessMidge;
  let ports: { tcp: number; tls: number; mtls: number; ws: number; wss: number };

  before(async () => {
    certs = makeCertificates();
    midge = await startMidge({
      listeners: [
        { port: 0, host: '127.0.0.1', protocol: 'mqtt' },
        { port: 0, host: '127.0.0.1', protocol: 'mqtt', tls: serverTlsFiles(certs) },
        { port: 0, host: '127.0.0.1', protocol: 'mqtt', tls: serverTlsFiles(certs, true) },
        { port: 0, host: '127.0.0.1', protocol: 'websockets', websocketsPath: '/mqtt' },
        { port: 0, host: '127.0.0.1', protocol: 'websockets', tls: serverTlsFiles(certs) },
      ],
    });
    const [tcp, tlsL, mtls, ws, wss] = midge.server.listeners.map((l) => l.port);
    ports = { tcp: tcp!, tls: tlsL!, mtls: mtls!, ws: ws!, wss: wss! };
  });
  after(async () => {
    await midge?.stop();
    certs?.cleanup();
  });

  it('mosquitto_pub and mosquitto_sub talk over TLS with --cafile', async (t) => {
    if (!requireBinary(t, MOSQUITTO_SUB)) return;
    const sub = run(MOSQUITTO_SUB, ['-h', '127.0.0.1', '-p', String(ports.tls), '--cafile', certs.caCert, '-t', 'tls/t', '-C', '1', '-W', '5'], { timeout: 8000 });
    await waitForSubscriber(midge, 'tls/t');
    await run(MOSQUITTO_PUB, ['-h', '127.0.0.1', '-p', String(ports.tls), '--cafile', certs.caCert, '-t', 'tls/t', '-m', 'secret', '-q', '1']);
    assert.equal((await sub).stdout.trim(), 'secret');
  });

  it('accepts a client certificate on a require_certificate listener', async (t) => {
    if (!requireBinary(t, MOSQUITTO_PUB)) return;
    const sub = run(MOSQUITTO_SUB, ['-h', '127.0.0.1', '-p', String(ports.tcp), '-t', 'mtls/t', '-C', '1', '-W', '5'], { timeout: 8000 });
    await waitForSubscriber(midge, 'mtls/t');
    await run(MOSQUITTO_PUB, ['-h', '127.0.0.1', '-p', String(ports.mtls), '--cafile', certs.caCert, '--cert', certs.clientCert, '--key', certs.clientKey, '-t', 'mtls/t', '-m', 'signed']);
    assert.equal((await sub).stdout.trim(), 'signed');
  });

  it('refuses a client without a certificate on a require_certificate listener', async (t) => {
    if (!requireBinary(t, MOSQUITTO_PUB)) return;
    await assert.rejects(
      run(MOSQUITTO_PUB, ['-h', '127.0.0.1', '-p', String(ports.mtls), '--cafile', certs.caCert, '-t', 'mtls/t', '-m', 'anonymous'], { timeout: 8000 }),
      (err: { code?: number }) => err.code !== 0,
    );
  });

  it('tells the broker who the certificate belongs to', async () => {
    const seen = new Promise<string | undefined>((resolve) => {
      const off = midge.server.broker.hooks.on('clientConnected', (e) => {
        if (e.clientId !== 'with-cert') return;
        off();
        const session = midge.server.broker.sessions.get('with-cert');
        resolve((session?.link as { info?: { certificate?: { commonName?: string } } } | undefined)?.info?.certificate?.commonName);
      });
    });
    const client = await connectMqttJs(ports.mtls, {
      protocol: 'mqtts', clientId: 'with-cert', ca: readFileSync(certs.caCert), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey),
    });
    assert.equal(await seen, 'sensor-1');
    await endMqttJs(client);
  });

  it('MQTT.js connects over ws:// on the configured path, 3.1.1 and 5.0', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const client = await connectMqttJs(ports.ws, { protocol: 'ws', path: '/mqtt', protocolVersion });
      const inbox = collect(client);
      await client.subscribeAsync('ws/t', { qos: 1 });
      await client.publishAsync('ws/t', `over websocket v${protocolVersion}`, { qos: 1 });
      const [m] = await inbox.waitFor(1);
      assert.equal(m!.payload.toString(), `over websocket v${protocolVersion}`);
      await endMqttJs(client);
    }
  });

  it('delivers large payloads byte for byte to MQTT.js over TCP, TLS, ws:// and wss://, at QoS 0 and 1', async () => {
    const ca = readFileSync(certs.caCert);
    const subscribers = await Promise.all([
      connectMqttJs(ports.tcp, { protocolVersion: 4 }),
      connectMqttJs(ports.tls, { protocol: 'mqtts', ca, protocolVersion: 5 }),
      connectMqttJs(ports.ws, { protocol: 'ws', path: '/mqtt', protocolVersion: 4 }),
      connectMqttJs(ports.wss, { protocol: 'wss', path: '/mqtt', ca, protocolVersion: 5 }),
    ]);
    const inboxes = subscribers.map(collect);
    for (const s of subscribers) await s.subscribeAsync('large/t', { qos: 1 });
    const payloads = [20_000, 70_000, 4_096, 100].map((n, i) => Buffer.alloc(n, 0x61 + i));
    const publisher = await connectMqttJs(ports.tcp, { protocolVersion: 5 });
    for (const [i, payload] of payloads.entries()) await publisher.publishAsync('large/t', payload, { qos: (i % 2) as 0 | 1 });
    for (const inbox of inboxes) {
      const got = await inbox.waitFor(payloads.length);
      assert.deepEqual(got.map((m) => m.payload.length), payloads.map((p) => p.length));
      for (const [i, m] of got.entries()) assert.ok(m.payload.equals(payloads[i]!));
    }
    for (const c of [...subscribers, publisher]) await endMqttJs(c);
  });

  it('refuses WebSocket upgrades on other paths when a path is configured', async () => {
    await assert.rejects(connectMqttJs(ports.ws, { protocol: 'ws', path: '/other' }, 2000));
  });

  it('MQTT.js connects over wss:// and exchanges messages with a plain TCP client', async () => {
    const secure = await connectMqttJs(ports.wss, { protocol: 'wss', path: '/mqtt', ca: readFileSync(certs.caCert), protocolVersion: 5 });
    const inbox = collect(secure);
    await secure.subscribeAsync('wss/t', { qos: 1 });
    const plain = await connectMqttJs(ports.tcp, { protocolVersion: 4 });
    await plain.publishAsync('wss/t', 'from tcp', { qos: 1 });
    const [m] = await inbox.waitFor(1);
    assert.equal(m!.payload.toString(), 'from tcp');
    await endMqttJs(secure);
    await endMqttJs(plain);
  });

  it('answers a plain HTTP request on a WebSocket listener with 426 instead of hanging', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.ws}/mqtt`);
    assert.equal(res.status, 426);
  });
});

/** Resolves once some session subscribes to the filter. */
async function waitForSubscriber(midge: InProcessMidge, filter: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    for (const s of midge.server.broker.sessions.values()) if (s.subscriptions.has(filter)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nobody subscribed to ${filter}`);
}
