/**
 * Connections that fail before CONNECT completes leave one log line each (per source
 * a minute) with the remote address and the reason, and are counted in $SYS and
 * /metrics; every listener, the admin one included, is announced when bound.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { adminCall, parseMetrics } from '../helpers/admin.js';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { waitUntil } from '../helpers/flows.js';
import { jsonLogLines, spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { freePort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';
import { PacketType } from '../../src/protocol/index.js';

const TOKEN = 'a-long-enough-admin-token-for-tests';

/** Opens a TCP connection from `localAddress`, sends `bytes`, and resolves when the broker closes it. */
function sendAndWaitClose(port: number, localAddress: string, bytes: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tcpConnect({ port, host: '127.0.0.1', localAddress }, () => socket.write(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the broker kept the connection open for 5 s'));
    }, 5000);
    socket.on('error', () => undefined);
    socket.resume();
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A TLS handshake from `localAddress` that the broker ends; resolves once the socket closed. */
function tlsAttempt(port: number, localAddress: string, certs: TestCertificates): Promise<void> {
  return new Promise((resolve) => {
    // tls.connect hands localAddress on to net; its typings omit it.
    const options: ConnectionOptions & { localAddress: string } = { port, host: '127.0.0.1', localAddress, ca: readFileSync(certs.caCert), servername: 'localhost' };
    const socket = tlsConnect(options);
    socket.on('error', () => undefined);
    socket.resume();
    socket.on('close', () => resolve());
  });
}

function failure(midge: SpawnedMidge, address: string): Record<string, unknown> | undefined {
  return jsonLogLines(midge.output(), 'connection failed').find((l) => l.remoteAddress === address);
}

describe('failed connections', () => {
  let certs: TestCertificates;
  let midge: SpawnedMidge;
  const ports = { tls: 0, ws: 0, admin: 0 };
  before(async () => {
    certs = makeCertificates();
    Object.assign(ports, { tls: await freePort(), ws: await freePort(), admin: await freePort() });
    midge = await spawnMidge({
      config: [
        'listener {port} 127.0.0.1',
        'listener {tls} 127.0.0.1', `certfile ${certs.serverCert}`, `keyfile ${certs.serverKey}`, `cafile ${certs.caCert}`, 'require_certificate true',
        'listener {ws} 127.0.0.1', 'protocol websockets', 'websockets_path /mqtt',
        'listener {admin} 127.0.0.1', 'protocol http', `admin_token ${TOKEN}`,
        'allow_anonymous true', 'persistence false', 'sys_interval 1', 'connect_timeout 60', '',
      ].join('\n'),
      placeholders: ports,
      args: ['--log-level', 'info'],
    });
  });
  after(async () => {
    await midge.stop();
    certs.cleanup();
  });

  it('announces every listener with its protocol and address, the admin http listener too', async () => {
    await waitUntil(() => jsonLogLines(midge.output(), 'listening').length >= 4, 'four listeners are announced', 5000);
    const announced = jsonLogLines(midge.output(), 'listening').map((l) => [l.protocol, l.address, l.port]);
    assert.deepEqual(announced.sort(), [
      ['http', '127.0.0.1', ports.admin], ['mqtt', '127.0.0.1', midge.port], ['mqtts', '127.0.0.1', ports.tls], ['ws', '127.0.0.1', ports.ws],
    ].sort());
  });

  it('logs a TLS client without a certificate on a require_certificate listener, with its address and the reason', async () => {
    await tlsAttempt(ports.tls, '127.0.0.11', certs);
    await waitUntil(() => failure(midge, '127.0.0.11') !== undefined, 'the failed handshake is logged', 5000);
    const line = failure(midge, '127.0.0.11')!;
    assert.equal(line.listener, `mqtts:${ports.tls}`);
    assert.equal(line.kind, 'tls');
    assert.match(String(line.reason), /sent no certificate.*require_certificate/);
  });

  it('logs a TLS client on the plain MQTT port and closes it at once', async () => {
    await tlsAttempt(midge.port, '127.0.0.12', certs);
    await waitUntil(() => failure(midge, '127.0.0.12') !== undefined, 'the TLS client is logged', 5000);
    assert.match(String(failure(midge, '127.0.0.12')!.reason), /TLS handshake on a plain MQTT port/);
  });

  it('closes an HTTP request on the MQTT port at once (not after the connect timeout) and says what it was', async () => {
    await sendAndWaitClose(midge.port, '127.0.0.13', 'GET / HTTP/1.0\r\n\r\n');
    await waitUntil(() => failure(midge, '127.0.0.13') !== undefined, 'the HTTP request is logged', 5000);
    const line = failure(midge, '127.0.0.13')!;
    assert.equal(line.kind, 'protocol');
    assert.match(String(line.reason), /an HTTP request \("GET \/ HTTP\/1\.0"\) on an MQTT port/);
  });

  it('logs garbage from one address once a minute but counts every attempt in $SYS and /metrics', async () => {
    for (let i = 0; i < 6; i++) await sendAndWaitClose(midge.port, '127.0.0.14', Buffer.from([0xff, 0x00, 0x13, 0x37]));
    await waitUntil(() => failure(midge, '127.0.0.14') !== undefined, 'the garbage is logged', 5000);
    assert.match(String(failure(midge, '127.0.0.14')!.reason), /first byte 0xff is not a CONNECT/);
    assert.equal(jsonLogLines(midge.output(), 'connection failed').filter((l) => l.remoteAddress === '127.0.0.14').length, 1);
    // A refused WebSocket upgrade is one more kind.
    await sendAndWaitClose(ports.ws, '127.0.0.15', 'GET /elsewhere HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n'
      + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n');
    await waitUntil(() => failure(midge, '127.0.0.15') !== undefined, 'the refused upgrade is logged', 5000);
    assert.match(String(failure(midge, '127.0.0.15')!.reason), /upgrade to "\/elsewhere" refused: this listener serves "\/mqtt"/);
    const metrics = async () => parseMetrics((await adminCall(ports.admin, '/metrics', { authorization: `Bearer ${TOKEN}` })).text);
    let figures = await metrics();
    for (let i = 0; i < 100 && (figures.get('midge_connections_failed_total{kind="websocket"}') ?? 0) < 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      figures = await metrics();
    }
    assert.equal(figures.get('midge_connections_failed_total{kind="tls"}'), 1);
    assert.equal(figures.get('midge_connections_failed_total{kind="protocol"}'), 8);
    assert.equal(figures.get('midge_connections_failed_total{kind="websocket"}'), 1);
    const { client } = await RawClient.connect(midge.port, { clientId: 'sys-reader', version: 4 });
    client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '$SYS/broker/connections/failed', qos: 0 }] });
    let total = '';
    for (let i = 0; i < 10 && total !== '10'; i++) {
      const publish = await client.waitForPacket(PacketType.PUBLISH, 3000);
      total = publish.payload.toString();
    }
    assert.equal(total, '10');
    await client.close();
  });
});
