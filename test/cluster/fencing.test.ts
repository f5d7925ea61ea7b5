/**
 * A node whose writes for a session are fenced off (its owner record in Redis
 * holds another token) does not go on serving the session as if nothing
 * happened: when another node owns the client id, the connection here is closed
 * with DISCONNECT 0x8E (Session taken over) and the session leaves this node;
 * when the record is gone (lost in a failover, say), the node claims the client
 * id again and writes its records in full.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ReasonCode } from '../../src/protocol/index.js';
import { until } from '../durability/stream-client.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import type { ClusterClient} from './cluster-client.js';
import { awaitRoute } from './cluster-client.js';
import { connectTo, startNode, type Node } from './in-process.js';

withRedis(() => {
  describe('a session whose writes are fenced off', () => {
    let redis: RedisServer | undefined;
    let raw: Redis | undefined;
    const nodes: Node[] = [];
    const clients: ClusterClient[] = [];
    after(async () => {
      raw?.disconnect();
      await Promise.all(clients.map((c) => c.destroy()));
      await Promise.all(nodes.map((n) => n.server.close()));
      await redis?.remove();
    });
    const connect = (node: Node, clientId: string, clean = true) => connectTo(clients, node, clientId, clean);

    it('is closed with 0x8E when another node owns the client id, and claimed again when its record is gone', async () => {
      redis = await startRedis();
      raw = new Redis(redis.url);
      const [a, b] = [await startNode(redis.url, 'a'), await startNode(redis.url, 'b')];
      nodes.push(a, b);
      const publisher = await connect(a, 'fence-pub', false);
      const taken = await connect(b, 'fence-taken', false);
      const gone = await connect(b, 'fence-gone', false);
      await taken.subscribe([{ topicFilter: 'fence/taken', qos: 1 }]);
      await gone.subscribe([{ topicFilter: 'fence/gone', qos: 1 }]);
      await awaitRoute(a.port, taken, 'fence/taken');
      await awaitRoute(a.port, gone, 'fence/gone');

      // What a node finds after a lost claim or a hand-over it never saw: the record names another owner.
      await raw.hset('midge:cluster:c:fence-taken', 'o', a.cluster.incarnation, 'f', `${a.cluster.incarnation}/99`);
      await publisher.publish('fence/taken', 'into a fenced session', 1);
      await taken.waitClosed();
      assert.equal(taken.disconnectPacket?.reasonCode, ReasonCode.SessionTakenOver);
      await until(() => b.server.broker.sessions.get('fence-taken') === undefined, 10_000, () => 'the session to leave node B');

      // The record is gone altogether: node B claims the client id again and writes it in full.
      await raw.del('midge:cluster:c:fence-gone');
      await publisher.publish('fence/gone', 'one', 1);
      await until(() => gone.payloads('fence/gone').length >= 1, 10_000, () => 'the first message');
      const owner = async () => raw!.hget('midge:cluster:c:fence-gone', 'o');
      const deadline = Date.now() + 10_000;
      while ((await owner()) !== b.cluster.incarnation && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await owner(), b.cluster.incarnation);
      assert.notEqual(await raw.hget('midge:cluster:c:fence-gone', 's:fence/gone'), null);
      assert.equal(await raw.hexists('midge:store:c:fence-gone', 'rec'), 1);
      assert.equal(gone.closed, false);
    });
  });
});
