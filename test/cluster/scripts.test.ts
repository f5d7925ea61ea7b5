/**
 * The guards of the cluster's Lua scripts, against a real redis-server: nothing is
 * written into a Redis that does not hold the node's generation, an inbox entry is
 * never added to a stream nobody reads (no consumer group), and a heartbeat
 * recreates its node's missing inbox group.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { withScripts, type ScriptCommands } from '../../src/cluster/scripts.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';

const P = 'midge:cluster:';

withRedis(() => {
  describe('the cluster scripts', () => {
    let redis: RedisServer;
    let client: Redis & ScriptCommands;
    before(async () => {
      redis = await startRedis();
      client = withScripts(new Redis(redis.url));
    });
    after(async () => {
      client.disconnect();
      await redis.remove();
    });

    it('write nothing into a Redis that lost the generation (MIDGELOST), and write once it is there', async () => {
      await assert.rejects(client.midgeClaim(P, 'gen-1', 'c1', 'a#1', '0'), /^ReplyError: MIDGELOST/);
      assert.equal(await client.exists(`${P}c:c1`), 0);
      const [generation, created] = await client.midgeGeneration(P, 'gen-1', 1000) as [string, number];
      assert.deepEqual([generation, created], ['gen-1', 1]);
      await assert.rejects(client.midgeClaim(P, 'gen-0', 'c1', 'a#1', '0'), /MIDGELOST/);
      const [token] = await client.midgeClaim(P, 'gen-1', 'c1', 'a#1', '0') as string[];
      assert.equal(token, 'a#1/1');
    });

    it('never add an inbox entry to a stream without its consumer group, and a heartbeat creates the group again', async () => {
      await client.set(`${P}generation`, 'gen-1');
      assert.equal(await client.midgeJoin(P, 'gen-1', 'b', 0, 5000), 'b#1');
      const inbox = `${P}inbox:b#1`;
      await client.xgroup('DESTROY', inbox, 'g');
      await assert.rejects(client.midgeRoute(P, 'gen-1', 'b#1', 'p', 'payload'), /NOGROUP/);
      assert.equal(await client.xlen(inbox), 0);
      assert.equal(await client.midgeHeartbeat(P, 'gen-1', 'b#1', 5000), 2);
      assert.equal(await client.midgeHeartbeat(P, 'gen-1', 'b#1', 5000), 1);
      assert.match(String(await client.midgeRoute(P, 'gen-1', 'b#1', 'p', 'payload')), /^\d+-\d+$/);
      assert.equal(await client.xlen(inbox), 1);
    });
  });
});
