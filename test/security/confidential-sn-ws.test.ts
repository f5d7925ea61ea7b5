import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startSnGateway, type SnGateway } from '../../src/sn/gateway/index.js';
import { makeCertificates, serverTlsFiles, type TestCertificates } from '../helpers/certs.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { connectCollecting, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { collectSn, connectSnClient, fastTimers, type SnMidge } from '../sn/gateway/helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('confidential messages stay off plain WebSocket and MQTT-SN', () => {
  let certs: TestCertificates;
  let midge: InProcessMidge;
  let gateway: SnGateway;
  let sn: SnMidge;
  let ports: { tls: number; ws: number; wss: number };

  before(async () => {
    certs = makeCertificates();
    const tls = serverTlsFiles(certs);
    midge = await startMidge({
      listeners: [
        { port: 0, host: '127.0.0.1', protocol: 'mqtt', tls },
        { port: 0, host: '127.0.0.1', protocol: 'websockets' },
        { port: 0, host: '127.0.0.1', protocol: 'websockets', tls },
      ],
      broker: { confidentialTopics: ['vault/#'] },
    });
    const [tlsPort, ws, wss] = midge.server.listeners.map((l) => l.port) as [number, number, number];
    ports = { tls: tlsPort, ws, wss };
    gateway = await startSnGateway(midge.server.broker, { ...fastTimers, port: 0, host: '127.0.0.1' });
    sn = { midge, gateway, mqttPort: tlsPort, snPort: gateway.port, host: '127.0.0.1', stop: async () => {} };
  });
  after(async () => {
    await gateway.close();
    await midge.stop();
    certs.cleanup();
  });

  it('delivers a confidential message over wss but not over plain ws or MQTT-SN, and a public one over all three', async () => {
    const ca = readFileSync(certs.caCert);
    const secureWs = await connectCollecting(ports.wss, { protocol: 'wss', path: '/mqtt', ca });
    const plainWs = await connectCollecting(ports.ws, { protocol: 'ws', path: '/mqtt' });
    const snClient = await connectSnClient(sn);
    const snInbox = collectSn(snClient);
    for (const c of [secureWs.client, plainWs.client]) await c.subscribeAsync(['vault/#', 'lobby/#'], { qos: 1 });
    await snClient.subscribe('vault/#', 1);
    await snClient.subscribe('lobby/#', 1);
    const pub = await connectMqttJs(ports.tls, { protocol: 'mqtts', ca });
    await pub.publishAsync('vault/gold', 'confidential bars', { qos: 1 });
    await pub.publishAsync('lobby/news', 'public news', { qos: 1 });
    const got = await secureWs.inbox.waitFor(2);
    assert.deepEqual(got.map((m) => m.topic).sort(), ['lobby/news', 'vault/gold']);
    await plainWs.inbox.waitFor(1);
    await snInbox.waitFor(1);
    await sleep(200);
    assert.deepEqual(plainWs.inbox.messages.map((m) => m.topic), ['lobby/news']);
    assert.deepEqual(snInbox.messages.map((m) => m.payload), ['public news']);
    await Promise.all([endMqttJs(secureWs.client), endMqttJs(plainWs.client), endMqttJs(pub), snClient.close()]);
  });
});
