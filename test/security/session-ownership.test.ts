import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ErrorWithReasonCode, IClientOptions } from 'mqtt';
import { PacketType } from '../../src/protocol/index.js';
import { SN_PROTOCOL_ID, SnMsgType, SnReturnCode } from '../../src/sn/protocol/index.js';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { connectCollecting, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { freePort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';
import { RawSnClient } from '../sn/gateway/helpers.js';

const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alice = { username: 'alice', password: 'wonderland', clientId: 'alice-phone' };
const bob = { username: 'bob', password: 'builder' };

/** Waits (bounded) for the broker's log to show a line matching `pattern`: its output is written asynchronously. */
async function logShows(broker: SpawnedMidge, pattern: RegExp, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(broker.output()) && Date.now() < deadline) await sleep(20);
  assert.match(broker.output(), pattern);
}

/** A password file with alice and bob, and an ACL that gives each their own subtree only. */
function writeSecurityFiles(dir: string): void {
  execFileSync(MOSQUITTO_PASSWD, ['-b', '-c', join(dir, 'passwd'), alice.username, alice.password]);
  execFileSync(MOSQUITTO_PASSWD, ['-b', join(dir, 'passwd'), bob.username, bob.password]);
  writeFileSync(join(dir, 'acl'), 'user alice\ntopic readwrite alice/#\nuser bob\ntopic readwrite bob/#\n');
}

/** A broker with those files, an MQTT listener and an MQTT-SN gateway (whose clients are anonymous: the ACL gives them nothing). */
async function startBroker(dir: string, extra = ''): Promise<SpawnedMidge & { snPort: number }> {
  const snPort = await freePort();
  const broker = await spawnMidge({
    cwd: dir,
    args: ['--log-level', 'info', '--no-persistence'],
    placeholders: { dir, sn: snPort },
    config: `password_file {dir}/passwd\nacl_file {dir}/acl\nallow_anonymous true\nlistener {port} 127.0.0.1\n`
      + `listener {sn} 127.0.0.1\nprotocol mqttsn\n${extra}`,
  });
  return Object.assign(broker, { snPort });
}

/** alice leaves a persistent session subscribed to alice/x, then `count` QoS 1 messages are queued for her. */
async function aliceAway(port: number, count: number, first = 1): Promise<void> {
  const phone = await connectMqttJs(port, { ...alice, clean: false });
  await phone.subscribeAsync('alice/x', { qos: 1 });
  await endMqttJs(phone);
  const sender = await connectMqttJs(port, { username: alice.username, password: alice.password });
  for (let i = first; i < first + count; i++) await sender.publishAsync('alice/x', `secret ${i}`, { qos: 1 });
  await endMqttJs(sender);
}

/** Connects as bob with alice's client id; resolves with the topics he received in `waitMs`, or the refusal's code. */
async function bobAsAlicePhone(port: number, options: IClientOptions, waitMs = 300): Promise<{ refused?: number; topics: string[] }> {
  try {
    const { client, inbox } = await connectCollecting(port, { ...bob, clientId: alice.clientId, clean: false, ...options });
    await sleep(waitMs);
    await endMqttJs(client);
    return { topics: inbox.messages.map((m) => m.topic) };
  } catch (err) {
    return { refused: (err as ErrorWithReasonCode).code, topics: [] };
  }
}

describe('a session belongs to the user that opened it', () => {
  let dir: string;
  let broker: SpawnedMidge & { snPort: number };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'midge-owner-'));
    writeSecurityFiles(dir);
    broker = await startBroker(dir);
  });
  after(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bob on alice\'s client id (v5 0x85, 3.1.1 return code 2) and leaves her queued messages for her', async () => {
    await aliceAway(broker.port, 3);
    const v5 = await bobAsAlicePhone(broker.port, { protocolVersion: 5 });
    assert.equal(v5.refused, 0x85, 'v5 CONNACK 0x85 Client Identifier not valid');
    const v311 = await bobAsAlicePhone(broker.port, { protocolVersion: 4 });
    assert.equal(v311.refused, 2, '3.1.1 CONNACK return code 2 identifier rejected');
    const clean = await bobAsAlicePhone(broker.port, { protocolVersion: 4, clean: true });
    assert.equal(clean.refused, 2, 'nor may bob discard her session with a clean start');
    await logShows(broker, /client id belongs to a session of another user.*connection refused/);
    const back = await connectCollecting(broker.port, { ...alice, clean: false });
    const got = await back.inbox.waitFor(3);
    assert.deepEqual(got.map((m) => m.payload.toString()), ['secret 1', 'secret 2', 'secret 3']);
    await endMqttJs(back.client);
  });

  it('does not let bob close alice\'s live connection by taking her client id', async () => {
    const phone = await connectMqttJs(broker.port, { ...alice, clientId: 'alice-laptop', clean: true });
    const refused = await connectMqttJs(broker.port, { ...bob, clientId: 'alice-laptop' }).then(() => undefined, (e: ErrorWithReasonCode) => e.code);
    assert.equal(refused, 2);
    await sleep(100);
    assert.equal(phone.connected, true, 'alice stays connected');
    await endMqttJs(phone);
  });

  it('refuses an anonymous MQTT-SN client on the client id of alice\'s session', async () => {
    await aliceAway(broker.port, 1, 100);
    const sn = await RawSnClient.open(broker.snPort);
    try {
      sn.send({ type: SnMsgType.CONNECT, will: false, cleanSession: false, protocolId: SN_PROTOCOL_ID, duration: 60, clientId: alice.clientId });
      const connack = await sn.expect(SnMsgType.CONNACK);
      assert.equal(connack.returnCode, SnReturnCode.REJECTED_NOT_SUPPORTED);
      await logShows(broker, /"listener":"mqttsn:\d+".*"reason":"the client id belongs to a session of another user/);
    } finally {
      await sn.close();
    }
    const back = await connectCollecting(broker.port, { ...alice, clean: false });
    const got = await back.inbox.waitFor(1);
    assert.equal(got[0]!.payload.toString(), 'secret 100');
    await endMqttJs(back.client);
  });
});

describe('session_owner client_id (Mosquitto): the client id decides, the read ACL still holds', () => {
  let dir: string;
  let broker: SpawnedMidge & { snPort: number };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'midge-owner-'));
    writeSecurityFiles(dir);
    broker = await startBroker(dir, 'session_owner client_id\n');
  });
  after(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives bob alice\'s session but none of her queued or in-flight messages, then or when he comes back', async () => {
    // alice takes two messages in flight (never acknowledged), then two more are queued.
    const { client: phone } = await RawClient.connect(broker.port, { ...alice, password: Buffer.from(alice.password), clean: false });
    phone.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'alice/x', qos: 1 }] });
    await phone.expect(PacketType.SUBACK);
    const sender = await connectMqttJs(broker.port, { username: alice.username, password: alice.password });
    await sender.publishAsync('alice/x', 'in flight 1', { qos: 1 });
    await sender.publishAsync('alice/x', 'in flight 2', { qos: 1 });
    await phone.expect(PacketType.PUBLISH);
    await phone.expect(PacketType.PUBLISH);
    await phone.close();
    await sender.publishAsync('alice/x', 'queued 1', { qos: 1 });
    await sender.publishAsync('alice/x', 'queued 2', { qos: 1 });

    // bob connects once with her client id: the session is his now (Session Present, as Mosquitto says), her messages are not.
    const { client: tap, connack } = await RawClient.connect(broker.port, {
      username: bob.username, password: Buffer.from(bob.password), clientId: alice.clientId, clean: false,
    });
    assert.equal(connack.sessionPresent, true);
    assert.ok(await tap.quietFor(300), `bob received ${JSON.stringify(tap.pending())}`);
    await tap.close();

    // The wiretap: he leaves, more of alice's messages come, he returns.
    await sender.publishAsync('alice/x', 'after bob left', { qos: 1 });
    const { client: again } = await RawClient.connect(broker.port, {
      username: bob.username, password: Buffer.from(bob.password), clientId: alice.clientId, clean: false,
    });
    assert.ok(await again.quietFor(300), `bob received ${JSON.stringify(again.pending())}`);
    await again.close();
    await endMqttJs(sender);
    await logShows(broker, /may not read were dropped/);
  });
});
