import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PacketType } from '../../src/protocol/index.js';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { connectCollecting, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { freePort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';

const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the broker's log shows a line containing `text`. */
async function waitForLog(broker: SpawnedMidge, text: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!broker.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`log never showed '${text}':\n${broker.output()}`);
    await sleep(25);
  }
}

describe('authentication and ACLs from a mosquitto-style configuration', () => {
  let dir: string;
  let certs: TestCertificates;
  let broker: SpawnedMidge;
  let mtlsPort: number;
  const acl = () => join(dir, 'acl');

  before(async () => {
    // Under CI a missing mosquitto_passwd fails here; elsewhere it fails too, with a clear message.
    if (!existsSync(MOSQUITTO_PASSWD)) throw new Error(`${MOSQUITTO_PASSWD} is not installed (see .ci/run)`);
    dir = mkdtempSync(join(tmpdir(), 'midge-auth-'));
    certs = makeCertificates('sensor-1');
    execFileSync(MOSQUITTO_PASSWD, ['-b', '-c', join(dir, 'passwd'), 'alice', 'wonderland']);
    execFileSync(MOSQUITTO_PASSWD, ['-b', join(dir, 'passwd'), 'bob', 'builder']);
    writeFileSync(acl(), [
      'topic read public/#',
      'user alice',
      'topic readwrite alice/#',
      'topic readwrite secret/#',
      'topic write will/alice',
      'user bob',
      'topic readwrite bob/#',
      'topic read secret/#',
      'user sensor-1',
      'topic readwrite sensors/sensor-1/#',
      'pattern readwrite devices/%c/#',
      '',
    ].join('\n'));
    mtlsPort = await freePort();
    broker = await spawnMidge({
      cwd: dir,
      args: ['--log-level', 'info', '--no-persistence'],
      placeholders: { mtls: mtlsPort, dir, ca: certs.caCert, cert: certs.serverCert, key: certs.serverKey },
      config: [
        'per_listener_settings false',
        'password_file {dir}/passwd',
        'acl_file {dir}/acl',
        'listener {port} 127.0.0.1',
        'listener {mtls} 127.0.0.1',
        'cafile {ca}',
        'certfile {cert}',
        'keyfile {key}',
        'require_certificate true',
        'use_identity_as_username true',
        '',
      ].join('\n'),
    });
  });
  after(async () => {
    await broker?.stop();
    certs?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a user from a password file written by Debian mosquitto_passwd', async () => {
    const { client, connack } = await RawClient.connect(broker.port, { username: 'alice', password: Buffer.from('wonderland') });
    assert.equal(connack.reasonCode, 0);
    await client.close();
  });

  for (const [version, bad, anonymous] of [[4, 4, 5], [5, 0x86, 0x87]] as const) {
    it(`answers bad credentials with ${bad} and anonymous clients with ${anonymous} (protocol level ${version})`, async () => {
      const wrong = await RawClient.connect(broker.port, { version, username: 'alice', password: Buffer.from('nope') });
      assert.equal(wrong.connack.reasonCode, bad);
      const unknown = await RawClient.connect(broker.port, { version, username: 'mallory', password: Buffer.from('x') });
      assert.equal(unknown.connack.reasonCode, bad);
      const anon = await RawClient.connect(broker.port, { version });
      assert.equal(anon.connack.reasonCode, anonymous);
      await Promise.all([wrong.client.waitClosed(), unknown.client.waitClosed(), anon.client.waitClosed()]);
    });
  }

  it('refuses subscriptions the ACL does not grant, in the SUBACK, and grants the rest', async () => {
    const { client } = await RawClient.connect(broker.port, { version: 5, username: 'bob', password: Buffer.from('builder') });
    // public/# is granted before the first `user` line, so to anonymous clients only (as in Mosquitto).
    client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [
      { topicFilter: 'alice/#', qos: 1 }, { topicFilter: 'bob/inbox', qos: 1 }, { topicFilter: 'secret/news', qos: 0 }, { topicFilter: 'public/news', qos: 0 },
    ] });
    const suback = await client.expect(PacketType.SUBACK);
    assert.deepEqual(suback.reasonCodes, [0x87, 1, 0, 0x87]);
    await client.close();
  });

  it('refuses a v5 publish without write access with PUBACK 0x87 and never delivers it', async () => {
    const reader = await connectCollecting(broker.port, { username: 'alice', password: 'wonderland' });
    await reader.client.subscribeAsync('secret/#', { qos: 1 });
    const { client } = await RawClient.connect(broker.port, { version: 5, username: 'bob', password: Buffer.from('builder') });
    client.send({ type: PacketType.PUBLISH, topic: 'secret/plan', payload: Buffer.from('bob was here'), qos: 1, retain: false, dup: false, packetId: 3 });
    const ack = await client.expect(PacketType.PUBACK);
    assert.equal(ack.reasonCode, 0x87);
    await sleep(150);
    assert.equal(reader.inbox.messages.length, 0);
    await client.close();
    await endMqttJs(reader.client);
  });

  it('never lets a client publish to $SYS, whatever the ACL says', async () => {
    const { client } = await RawClient.connect(broker.port, { version: 5, username: 'alice', password: Buffer.from('wonderland') });
    client.send({ type: PacketType.PUBLISH, topic: '$SYS/broker/version', payload: Buffer.from('fake'), qos: 1, retain: true, dup: false, packetId: 4 });
    assert.equal((await client.expect(PacketType.PUBACK)).reasonCode, 0x87);
    await client.close();
  });

  it('refuses a CONNECT whose will topic the client may not publish to (0x87 / 5)', async () => {
    const will = { topic: 'bob/inbox', payload: Buffer.from('x'), qos: 0 as const, retain: false };
    const v5 = await RawClient.connect(broker.port, { version: 5, username: 'alice', password: Buffer.from('wonderland'), will });
    assert.equal(v5.connack.reasonCode, 0x87);
    const v3 = await RawClient.connect(broker.port, { version: 4, username: 'alice', password: Buffer.from('wonderland'), will });
    assert.equal(v3.connack.reasonCode, 5);
    const allowed = await RawClient.connect(broker.port, { version: 4, username: 'alice', password: Buffer.from('wonderland'), will: { ...will, topic: 'will/alice' } });
    assert.equal(allowed.connack.reasonCode, 0);
    await allowed.client.close();
  });

  it('never matches a %c pattern for a client id containing + or #', async () => {
    for (const clientId of ['#', '+', 'a/b']) {
      const { client } = await RawClient.connect(broker.port, { version: 5, clientId, username: 'bob', password: Buffer.from('builder') });
      client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'devices/other/#', qos: 0 }] });
      assert.deepEqual((await client.expect(PacketType.SUBACK)).reasonCodes, [0x87], `client id ${clientId}`);
      await client.close();
    }
    const { client: honest } = await RawClient.connect(broker.port, { version: 5, clientId: 'dev-7', username: 'bob', password: Buffer.from('builder') });
    honest.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'devices/dev-7/#', qos: 0 }] });
    assert.deepEqual((await honest.expect(PacketType.SUBACK)).reasonCodes, [0]);
    await honest.close();
  });

  it('takes the user name from the client certificate and feeds it to the ACL (use_identity_as_username)', async () => {
    const tls = { protocol: 'mqtts' as const, ca: readFileSync(certs.caCert), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
    const client = await connectMqttJs(mtlsPort, { ...tls, protocolVersion: 5 });
    // Its own subtree: acknowledged. Another sensor's: PUBACK 0x87, which MQTT.js turns into an error.
    await client.publishAsync('sensors/sensor-1/temp', '21.5', { qos: 1 });
    await assert.rejects(client.publishAsync('sensors/sensor-2/temp', '0', { qos: 1 }), (e: { code?: number }) => e.code === 0x87);
    await endMqttJs(client);
  });

  it('applies a changed ACL on SIGHUP to live clients and to retained messages, without dropping them', async () => {
    const writer = await connectMqttJs(broker.port, { username: 'alice', password: 'wonderland' });
    await writer.publishAsync('secret/retained', 'for bob, for now', { qos: 1, retain: true });
    const bob = await connectCollecting(broker.port, { username: 'bob', password: 'builder' });
    await bob.client.subscribeAsync('secret/#', { qos: 1 });
    await bob.inbox.waitFor(1);
    // Bob keeps a corner of secret/ so that subscribing to secret/# is still granted.
    writeFileSync(acl(), readFileSync(acl(), 'utf8').replace('topic read secret/#', 'topic read secret/public/#'));
    broker.child.kill('SIGHUP');
    await waitForLog(broker, 'reload complete');
    await writer.publishAsync('secret/retained', 'not for bob any more', { qos: 1, retain: true });
    await sleep(200);
    assert.equal(bob.inbox.messages.length, 1, 'the live subscription no longer receives');
    const late = await connectCollecting(broker.port, { username: 'bob', password: 'builder', clientId: 'bob-late' });
    await late.client.subscribeAsync('secret/#', { qos: 1 });
    await sleep(200);
    assert.equal(late.inbox.messages.length, 0, 'retained messages follow the new ACL');
    assert.equal(bob.client.connected, true, 'bob stayed connected through the reload');
    await Promise.all([endMqttJs(writer), endMqttJs(bob.client), endMqttJs(late.client)]);
  });

  it('keeps the old rules when the new ACL file is broken, and says so', async () => {
    const good = readFileSync(acl(), 'utf8');
    writeFileSync(acl(), 'topic sideways x/#\n');
    broker.child.kill('SIGHUP');
    await waitForLog(broker, 'reload incomplete');
    const { client } = await RawClient.connect(broker.port, { version: 5, username: 'alice', password: Buffer.from('wonderland') });
    client.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'alice/#', qos: 0 }, { topicFilter: 'bob/#', qos: 0 }] });
    assert.deepEqual((await client.expect(PacketType.SUBACK)).reasonCodes, [0, 0x87]);
    await client.close();
    writeFileSync(acl(), good);
  });
});
