import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ErrorWithReasonCode } from 'mqtt';
import { spawnMidge, type SpawnedMidge } from '../helpers/midge.js';
import { connectCollecting, connectMqttJs, endMqttJs } from '../helpers/mqttjs.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';

const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
const alice = { username: 'alice', password: 'wonderland', clientId: 'alice-phone' };

withRedis(() => {
  describe('a session belongs to its user across the nodes of a cluster', () => {
    let dir: string;
    let redis: RedisServer;
    const nodes: SpawnedMidge[] = [];

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'midge-cluster-owner-'));
      execFileSync(MOSQUITTO_PASSWD, ['-b', '-c', join(dir, 'passwd'), 'alice', 'wonderland']);
      execFileSync(MOSQUITTO_PASSWD, ['-b', join(dir, 'passwd'), 'bob', 'builder']);
      writeFileSync(join(dir, 'acl'), 'user alice\ntopic readwrite alice/#\nuser bob\ntopic readwrite bob/#\n');
      redis = await startRedis();
      for (const name of ['a', 'b']) {
        nodes.push(await spawnMidge({
          args: ['--cluster', redis.url, '--cluster-node-id', name], placeholders: { dir },
          config: 'listener {port} 127.0.0.1\npassword_file {dir}/passwd\nacl_file {dir}/acl\n',
        }));
      }
    });
    after(async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await redis?.remove();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses bob on node B with the client id of alice\'s session from node A, and keeps her messages for her', async () => {
      const [a, b] = nodes as [SpawnedMidge, SpawnedMidge];
      const phone = await connectMqttJs(a.port, { ...alice, clean: false });
      await phone.subscribeAsync('alice/x', { qos: 1 });
      await endMqttJs(phone);
      const sender = await connectMqttJs(a.port, { username: alice.username, password: alice.password });
      for (const text of ['secret 1', 'secret 2']) await sender.publishAsync('alice/x', text, { qos: 1 });
      await endMqttJs(sender);
      const refused = await connectMqttJs(b.port, { username: 'bob', password: 'builder', clientId: alice.clientId, clean: false })
        .then(async (c) => { await endMqttJs(c); return 0; }, (e: ErrorWithReasonCode) => e.code);
      assert.equal(refused, 2, 'CONNACK return code 2, identifier rejected');
      const back = await connectCollecting(b.port, { ...alice, clean: false });
      const got = await back.inbox.waitFor(2);
      assert.deepEqual(got.map((m) => m.payload.toString()), ['secret 1', 'secret 2']);
      await endMqttJs(back.client);
    });

    it('does not let bob on node B close alice\'s live connection on node A, nor discard her session with a clean start', async () => {
      const [a, b] = nodes as [SpawnedMidge, SpawnedMidge];
      const tablet = { ...alice, clientId: 'alice-tablet' };
      const live = await connectCollecting(a.port, { ...tablet, clean: false });
      let closed = false;
      live.client.on('close', () => { closed = true; });
      await live.client.subscribeAsync('alice/y', { qos: 1 });
      const bobTries = (): Promise<number> => connectMqttJs(b.port, { username: 'bob', password: 'builder', clientId: tablet.clientId, clean: true })
        .then(async (c) => { await endMqttJs(c); return 0; }, (e: ErrorWithReasonCode) => e.code ?? -1);
      assert.equal(await bobTries(), 2, 'bob is refused while alice is connected');
      const sender = await connectMqttJs(a.port, { username: alice.username, password: alice.password });
      await sender.publishAsync('alice/y', 'while bob knocked', { qos: 1 });
      assert.deepEqual((await live.inbox.waitFor(1)).map((m) => m.payload.toString()), ['while bob knocked']);
      assert.equal(closed, false, 'alice\'s connection on node A stayed open');
      await endMqttJs(live.client);
      await sender.publishAsync('alice/y', 'while alice was away', { qos: 1 });
      assert.equal(await bobTries(), 2, 'bob is refused while alice is away');
      await endMqttJs(sender);
      const back = await connectCollecting(b.port, { ...tablet, clean: false });
      assert.equal(back.client.connected, true);
      const got = await back.inbox.waitFor(1);
      assert.deepEqual(got.map((m) => m.payload.toString()), ['while alice was away'], 'her session and its queue survived bob\'s clean start');
      await endMqttJs(back.client);
    });
  });
});
