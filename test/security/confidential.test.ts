import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { PacketType, encodePacket } from '../../src/protocol/index.js';
import { makeCertificates, serverTlsFiles, type TestCertificates } from '../helpers/certs.js';
import { startMidge, type InProcessMidge } from '../helpers/midge.js';
import { connectCollecting, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawClient, connectPacket } from '../helpers/raw-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('what arrives encrypted never leaves in clear', () => {
  let certs: TestCertificates;
  let midge: InProcessMidge;
  let plainPort: number;
  let tlsPort: number;
  let confidentialPlainPort: number;
  let tlsOptions: IClientOptions;

  before(async () => {
    certs = makeCertificates();
    const tls = serverTlsFiles(certs);
    midge = await startMidge({
      listeners: [
        { port: 0, host: '127.0.0.1', protocol: 'mqtt' },
        { port: 0, host: '127.0.0.1', protocol: 'mqtt', tls },
        { port: 0, host: '127.0.0.1', protocol: 'mqtt', tls, confidential: true },
      ],
      broker: { confidentialTopics: ['secret/#'] },
    });
    [plainPort, tlsPort, confidentialPlainPort] = midge.server.listeners.map((l) => l.port) as [number, number, number];
    tlsOptions = { protocol: 'mqtts', ca: readFileSync(certs.caCert) };
  });
  after(async () => {
    await midge.stop();
    certs.cleanup();
  });

  for (const qos of [0, 1, 2] as const) {
    it(`delivers a confidential QoS ${qos} message to a TLS subscriber and never to a plain one`, async () => {
      const secure = await connectCollecting(tlsPort, { ...tlsOptions, protocolVersion: 5 });
      const plain = await connectCollecting(plainPort, { protocolVersion: 5 });
      await secure.client.subscribeAsync('secret/#', { qos: 2 });
      const granted = await plain.client.subscribeAsync('secret/#', { qos: 2 });
      assert.equal(granted[0]!.qos, 2, 'the plain subscriber gets the SUBACK it would get anyway');
      const pub = await connectMqttJs(tlsPort, { ...tlsOptions, protocolVersion: 5 });
      await pub.publishAsync(`secret/q${qos}`, `payload-q${qos}`, { qos });
      const [m] = await secure.inbox.waitFor(1);
      assert.equal(m!.payload.toString(), `payload-q${qos}`);
      await sleep(150);
      assert.equal(plain.inbox.messages.length, 0);
      await Promise.all([endMqttJs(secure.client), endMqttJs(plain.client), endMqttJs(pub)]);
    });
  }

  it('delivers a message that is not confidential to both', async () => {
    const secure = await connectCollecting(tlsPort, { ...tlsOptions });
    const plain = await connectCollecting(plainPort, {});
    await secure.client.subscribeAsync('public/#', { qos: 1 });
    await plain.client.subscribeAsync('public/#', { qos: 1 });
    const pub = await connectMqttJs(tlsPort, { ...tlsOptions });
    await pub.publishAsync('public/news', 'hello all', { qos: 1 });
    await secure.inbox.waitFor(1);
    await plain.inbox.waitFor(1);
    await Promise.all([endMqttJs(secure.client), endMqttJs(plain.client), endMqttJs(pub)]);
  });

  it('treats everything published on a confidential listener as confidential', async () => {
    const secure = await connectCollecting(tlsPort, { ...tlsOptions });
    const plain = await connectCollecting(plainPort, {});
    await secure.client.subscribeAsync('ordinary/#', { qos: 1 });
    await plain.client.subscribeAsync('ordinary/#', { qos: 1 });
    const pub = await connectMqttJs(confidentialPlainPort, { ...tlsOptions });
    await pub.publishAsync('ordinary/topic', 'from the confidential listener', { qos: 1 });
    await secure.inbox.waitFor(1);
    await sleep(150);
    assert.equal(plain.inbox.messages.length, 0);
    await Promise.all([endMqttJs(secure.client), endMqttJs(plain.client), endMqttJs(pub)]);
  });

  it('sends retained confidential messages on subscribe only over TLS', async () => {
    const pub = await connectMqttJs(tlsPort, { ...tlsOptions });
    await pub.publishAsync('secret/retained', 'kept secret', { qos: 1, retain: true });
    const plain = await connectCollecting(plainPort, {});
    await plain.client.subscribeAsync('secret/retained', { qos: 1 });
    const secure = await connectCollecting(tlsPort, { ...tlsOptions });
    await secure.client.subscribeAsync('secret/retained', { qos: 1 });
    const [m] = await secure.inbox.waitFor(1);
    assert.equal(m!.packet.retain, true);
    await sleep(150);
    assert.equal(plain.inbox.messages.length, 0);
    await pub.publishAsync('secret/retained', '', { qos: 1, retain: true });
    await Promise.all([endMqttJs(secure.client), endMqttJs(plain.client), endMqttJs(pub)]);
  });

  it('keeps queued confidential messages for a session that resumes over plain, and delivers them over TLS', async () => {
    const first = await connectMqttJs(tlsPort, { ...tlsOptions, clientId: 'roamer', clean: false });
    await first.subscribeAsync('secret/queue', { qos: 1 });
    await first.subscribeAsync('open/queue', { qos: 1 });
    await endMqttJs(first);
    const pub = await connectMqttJs(tlsPort, { ...tlsOptions });
    await pub.publishAsync('secret/queue', 'queued secret', { qos: 1 });
    await pub.publishAsync('open/queue', 'queued public', { qos: 1 });
    const overPlain = await connectCollecting(plainPort, { clientId: 'roamer', clean: false });
    const [publicOne] = await overPlain.inbox.waitFor(1);
    assert.equal(publicOne!.topic, 'open/queue');
    await sleep(150);
    assert.equal(overPlain.inbox.messages.length, 1, 'the confidential one stays queued');
    await endMqttJs(overPlain.client);
    const overTls = await connectCollecting(tlsPort, { ...tlsOptions, clientId: 'roamer', clean: false });
    const [secretOne] = await overTls.inbox.waitFor(1);
    assert.equal(secretOne!.payload.toString(), 'queued secret');
    await Promise.all([endMqttJs(overTls.client), endMqttJs(pub)]);
    assert.ok(midge.server.broker.stats.withheldConfidential > 0, 'withheld deliveries are counted');
  });

  it('never puts a confidential payload on the plain listener: every byte it sends is checked', async () => {
    const { client: raw } = await RawClient.connect(plainPort, { version: 5, clientId: 'wiretap' });
    raw.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: '#', qos: 2 }] });
    await raw.expect(PacketType.SUBACK);
    const marker = 'TOP-SECRET-7f3a9c';
    const socket = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca: readFileSync(certs.caCert) });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.write(encodePacket(connectPacket({ version: 5, clientId: 'secret-source' }), 5));
    for (let qos = 0; qos <= 2; qos++) {
      socket.write(encodePacket({ type: PacketType.PUBLISH, topic: `secret/wire/${qos}`, payload: Buffer.from(`${marker}-${qos}`), qos: qos as 0 | 1 | 2, retain: qos === 2, dup: false, packetId: qos > 0 ? qos : undefined }, 5));
    }
    socket.write(encodePacket({ type: PacketType.PUBLISH, topic: 'visible/wire', payload: Buffer.from('not secret'), qos: 1, retain: false, dup: false, packetId: 9 }, 5));
    await raw.waitForPacket(PacketType.PUBLISH);
    await sleep(200);
    const everything = Buffer.concat(raw.receivedBytes);
    assert.equal(everything.indexOf(marker), -1, 'no confidential payload crossed the plain listener');
    assert.notEqual(everything.indexOf('not secret'), -1, 'the capture did see ordinary traffic');
    socket.destroy();
    await raw.close();
    const cleaner = await connectMqttJs(tlsPort, { ...tlsOptions });
    await cleaner.publishAsync('secret/wire/2', '', { qos: 1, retain: true });
    await endMqttJs(cleaner);
  });
});
