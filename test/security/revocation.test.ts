import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import type { IDisconnectPacket, MqttClient } from 'mqtt';
import { ScramSha256Authenticator, scramCredential } from '../../src/auth/scram/index.js';
import { PacketType } from '../../src/protocol/index.js';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { spawnMidge, startMidge, type SpawnedMidge } from '../helpers/midge.js';
import { connectCollecting, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { RawClient, connectPacket } from '../helpers/raw-client.js';
import { ScramClient } from '../helpers/scram-client.js';

const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends SIGHUP and waits for the reload to finish. */
async function reload(broker: SpawnedMidge): Promise<void> {
  const done = () => broker.output().split('reload complete').length - 1;
  const before = done();
  broker.child.kill('SIGHUP');
  const deadline = Date.now() + 5000;
  while (done() === before && Date.now() < deadline) await sleep(20);
  assert.ok(done() > before, `no 'reload complete' in:\n${broker.output()}`);
}

/** Resolves with the DISCONNECT the broker sends the client, or rejects after `timeoutMs`. */
function disconnectOf(client: MqttClient, timeoutMs = 3000): Promise<IDisconnectPacket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no DISCONNECT from the broker')), timeoutMs);
    client.once('disconnect', (packet) => {
      clearTimeout(timer);
      resolve(packet);
    });
  });
}

describe('what a SIGHUP reload takes away is gone at once', () => {
  const dirs: string[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'midge-revoke-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  /** A broker with alice and bob in a password file and the given ACL. */
  async function passwordBroker(acl: string): Promise<{ broker: SpawnedMidge; dir: string }> {
    const dir = tempDir();
    execFileSync(MOSQUITTO_PASSWD, ['-b', '-c', join(dir, 'passwd'), 'alice', 'wonderland']);
    execFileSync(MOSQUITTO_PASSWD, ['-b', join(dir, 'passwd'), 'bob', 'builder']);
    writeFileSync(join(dir, 'acl'), acl);
    const broker = await spawnMidge({
      cwd: dir, args: ['--log-level', 'info', '--no-persistence'], placeholders: { dir },
      config: 'listener {port} 127.0.0.1\npassword_file {dir}/passwd\nacl_file {dir}/acl\n',
    });
    cleanups.push(() => broker.stop());
    return { broker, dir };
  }

  it('gives bob none of what was queued for him, nor what is published later, once an ACL edit takes his read grant away', async () => {
    const { broker, dir } = await passwordBroker('user alice\ntopic readwrite news/#\nuser bob\ntopic read news/#\n');
    const bob = { username: 'bob', password: 'builder', clientId: 'bob-tablet', clean: false };
    const away = await connectMqttJs(broker.port, bob);
    await away.subscribeAsync('news/#', { qos: 1 });
    await endMqttJs(away);
    const alice = await connectMqttJs(broker.port, { username: 'alice', password: 'wonderland' });
    await alice.publishAsync('news/1', 'queued before the edit', { qos: 1 });
    writeFileSync(join(dir, 'acl'), 'user alice\ntopic readwrite news/#\nuser bob\ntopic read weather/#\n');
    await reload(broker);
    await alice.publishAsync('news/2', 'published after the edit', { qos: 1 });
    const back = await connectCollecting(broker.port, bob);
    await sleep(300);
    assert.deepEqual(back.inbox.messages.map((m) => m.payload.toString()), []);
    await Promise.all([endMqttJs(back.client), endMqttJs(alice)]);
  });

  it('disconnects a user removed from the password file (v5 DISCONNECT 0x87 with a reason) and keeps the others', async () => {
    const { broker, dir } = await passwordBroker('user alice\ntopic readwrite #\nuser bob\ntopic readwrite #\n');
    const bob = await connectMqttJs(broker.port, { username: 'bob', password: 'builder', protocolVersion: 5 });
    const alice = await connectMqttJs(broker.port, { username: 'alice', password: 'wonderland', protocolVersion: 5 });
    const kicked = disconnectOf(bob);
    execFileSync(MOSQUITTO_PASSWD, ['-D', join(dir, 'passwd'), 'bob']);
    await reload(broker);
    const packet = await kicked;
    assert.equal(packet.reasonCode, 0x87);
    assert.match(String(packet.properties?.reasonString), /removed from the password file/);
    assert.equal(alice.connected, true);
    await Promise.all([endMqttJs(alice), endMqttJs(bob, true)]);
  });

  it('disconnects a client whose certificate a new CRL revokes, and refuses it from then on', async () => {
    const dir = tempDir();
    const certs: TestCertificates = makeCertificates('sensor-1');
    cleanups.push(() => certs.cleanup());
    const other = certs.issueClient('sensor-2');
    copyFileSync(certs.writeCrl([]), join(dir, 'crl.pem'));
    const broker = await spawnMidge({
      cwd: dir, args: ['--log-level', 'info', '--no-persistence'],
      placeholders: { dir, ca: certs.caCert, cert: certs.serverCert, key: certs.serverKey },
      config: 'listener {port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\ncrlfile {dir}/crl.pem\n'
        + 'require_certificate true\nuse_identity_as_username true\n',
    });
    cleanups.push(() => broker.stop());
    const ca = readFileSync(certs.caCert);
    const tlsOptions = (cert: string, key: string) => ({
      protocol: 'mqtts' as const, protocolVersion: 5 as const, ca, cert: readFileSync(cert), key: readFileSync(key), servername: 'localhost',
    });
    const revoked = await connectMqttJs(broker.port, tlsOptions(certs.clientCert, certs.clientKey));
    const kept = await connectMqttJs(broker.port, tlsOptions(other.cert, other.key));
    const kicked = disconnectOf(revoked);
    copyFileSync(certs.writeCrl([certs.clientCert], 'crl-2.pem'), join(dir, 'crl.pem'));
    await reload(broker);
    const packet = await kicked;
    assert.equal(packet.reasonCode, 0x87);
    assert.match(String(packet.properties?.reasonString), /certificate was revoked/);
    assert.equal(kept.connected, true, 'a certificate the CRL does not name keeps its connection');
    await assert.rejects(connectMqttJs(broker.port, tlsOptions(certs.clientCert, certs.clientKey), 2000));
    await Promise.all([endMqttJs(kept), endMqttJs(revoked, true)]);
  });

  it('disconnects a client whose SCRAM user is removed from the SCRAM users file on reload', async () => {
    const METHOD = 'SCRAM-SHA-256';
    const scram = new ScramSha256Authenticator(new Map([['alice', scramCredential('wonderland', 4096)]]));
    const midge = await startMidge({ broker: { enhancedAuthenticators: [scram] } });
    cleanups.push(() => midge.stop());
    const client = await RawClient.open(midge.port, 5);
    const proof = new ScramClient('alice', 'wonderland');
    client.send(connectPacket({ version: 5, clientId: 'scram-alice', properties: { authenticationMethod: METHOD, authenticationData: proof.first() } }));
    const challenge = await client.expect(PacketType.AUTH);
    client.send({ type: PacketType.AUTH, reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: proof.final(challenge.properties!.authenticationData!) } });
    assert.equal((await client.expect(PacketType.CONNACK)).reasonCode, 0);
    // What SIGHUP does with a SCRAM users file (startFromConfig's reload): new users, then the re-check.
    scram.setUsers(new Map());
    assert.equal(midge.server.broker.disconnectRevoked(), 1);
    const disconnect = await client.expect(PacketType.DISCONNECT);
    assert.equal(disconnect.reasonCode, 0x87);
    assert.match(String(disconnect.properties?.reasonString), /removed from the SCRAM users file/);
    await client.close();
  });
});
