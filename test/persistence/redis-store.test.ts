import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { Store } from '../../src/broker/index.js';
import { RedisStore, type RedisStoreOptions } from '../../src/persistence/index.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import { delivery, message, session, storeContract } from './store-contract.js';

withRedis(() => {
  let redis: RedisServer;
  let prefixes = 0;
  before(async () => {
    redis = await startRedis();
  });
  after(() => redis.remove());

  // Each store of a test has its own key prefix on the shared server; a reopened store keeps it.
  storeContract('redis', {
    create: () => new RedisStore({ url: redis.url, prefix: `contract${++prefixes}:` }),
    reopen: (closed: Store) => new RedisStore({ url: redis.url, prefix: (closed as RedisStore).prefix.replace(/store:$/, '') }),
  });
});

withRedis(() => {
  describe('RedisStore', () => {
    let redis: RedisServer;
    let client: Redis;
    let prefixes = 0;
    const stores: RedisStore[] = [];
    before(async () => {
      redis = await startRedis();
      client = new Redis(redis.url);
    });
    after(async () => {
      for (const s of stores) await s.close();
      client.disconnect();
      await redis.remove();
    });

    async function open(options: Partial<RedisStoreOptions> & { prefix: string }): Promise<RedisStore> {
      const store = new RedisStore({ url: redis.url, ...options });
      stores.push(store);
      await store.open();
      await store.restore();
      return store;
    }

    it('loads one session whose deliveries two nodes wrote with colliding message ids, each with its own message', async () => {
      const prefix = `load${++prefixes}:`;
      const a = await open({ prefix });
      const b = await open({ prefix });
      const first = message({ id: 7, payload: Buffer.from('from a') });
      const second = message({ id: 7, payload: Buffer.from('from b') });
      a.saveSession(session('c1'));
      a.saveMessage(first);
      a.saveDelivery(delivery('c1', 1, first));
      await a.commit();
      b.saveMessage(second);
      b.saveDelivery(delivery('c1', 2, second, { packetId: 4, state: 'sent' }));
      b.saveSession(session('other'));
      await b.commit();
      const state = await a.loadSession('c1');
      assert.deepEqual(state.sessions.map((s) => s.clientId), ['c1']);
      const bySeq = new Map(state.deliveries.map((d) => [d.seq, d]));
      const payload = (seq: number) => state.messages.find((m) => m.id === bySeq.get(seq)!.messageId)!.payload.toString();
      assert.equal(payload(1), 'from a');
      assert.equal(payload(2), 'from b');
      assert.equal(bySeq.get(2)!.packetId, 4);
      assert.notEqual(bySeq.get(1)!.messageId, bySeq.get(2)!.messageId);
    });

    it('drops and reports the writes of a node whose token is no longer the owner\'s, and applies the owner\'s and the hand-over\'s', async () => {
      const prefix = `fence${++prefixes}:`;
      const tokens = new Map<string, string>();
      const fenced: string[] = [];
      const store = await open({
        prefix,
        fence: { key: (clientId) => `${prefix}owner:${clientId}`, token: (clientId) => tokens.get(clientId) },
        onFenced: (ids) => fenced.push(...ids),
      });
      await client.hset(`${prefix}owner:mine`, 'f', 'me/2');
      await client.hset(`${prefix}owner:moving`, 'f', 'other/5', 'h', 'me/4');
      await client.hset(`${prefix}owner:lost`, 'f', 'other/9');
      tokens.set('mine', 'me/2').set('moving', 'me/4').set('lost', 'me/8');
      for (const clientId of ['mine', 'moving', 'lost', 'unowned']) store.saveSession(session(clientId));
      await store.commit();
      assert.deepEqual(fenced.sort(), ['lost', 'unowned']);
      assert.deepEqual((await store.loadSession('mine')).sessions, [session('mine')]);
      assert.deepEqual((await store.loadSession('moving')).sessions, [session('moving')]);
      assert.deepEqual((await store.loadSession('lost')).sessions, []);
    });

    it('acknowledges and deletes an inbox entry in the commit that holds what it caused', async () => {
      const prefix = `ack${++prefixes}:`;
      const store = await open({ prefix });
      const stream = `${prefix}inbox`;
      await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
      const id = await client.xadd(stream, '*', 'k', 'v');
      await client.xreadgroup('GROUP', 'g', 'reader', 'COUNT', 10, 'STREAMS', stream, '>');
      store.stageAck(stream, 'g', id!);
      store.saveSession(session('c1'));
      assert.equal(store.pending, true);
      await store.commit();
      const pending = await client.xpending(stream, 'g') as [number, ...unknown[]];
      assert.equal(pending[0], 0);
      assert.equal(await client.xlen(stream), 0);
    });

    it('numbers and announces every retained change, and loads the retained messages with their numbers', async () => {
      const prefix = `ret${++prefixes}:`;
      const store = await open({ prefix, origin: () => 'node-x' });
      const sub = new Redis(redis.url);
      const heard: Buffer[] = [];
      sub.on('messageBuffer', (_channel: Buffer, payload: Buffer) => heard.push(payload));
      await sub.subscribe(store.retainedChannel);
      const kept = message({ topic: 'r/kept', retain: true });
      store.setRetained(kept.topic, kept);
      store.setRetained('r/gone', message({ topic: 'r/gone', retain: true }));
      await store.commit();
      store.setRetained('r/gone', undefined);
      await store.commit();
      const loaded = await store.loadRetained();
      assert.deepEqual(loaded.retained.map((r) => r.message), [kept]);
      assert.equal(loaded.seq, 3);
      assert.equal(loaded.retained[0]!.seq, 1);
      const deadline = Date.now() + 5000;
      while (heard.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const fields = heard.map((p) => p.toString('latin1').split('\0').slice(0, 3));
      assert.deepEqual(fields, [['1', 'node-x', 'r/kept'], ['2', 'node-x', 'r/gone'], ['3', 'node-x', 'r/gone']]);
      assert.equal(heard[2]!.length, '3\0node-x\0r/gone\0'.length);
      sub.disconnect();
    });
  });
});
