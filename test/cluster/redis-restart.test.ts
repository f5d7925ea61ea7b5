/**
 * After Redis restarts (with its data, or without it), a node says it is ready
 * (`/readyz`) only once messages routed to it are read again and other nodes'
 * session changes are heard: a load balancer that sends a client to it at that
 * moment, and a publisher on the other node, see their messages delivered. (It
 * used to turn ready while its inbox connection still waited out a read lost
 * with the old Redis, and deliver what was routed to it up to 5 s later.)
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ReasonCode, type PacketOf, type PacketType } from '../../src/protocol/index.js';
import { startRedis, withRedis, type RedisServer } from '../helpers/redis.js';
import { until } from '../durability/stream-client.js';
import type { ClusterClient } from './cluster-client.js';
import { awaitRoute } from './cluster-client.js';
import { connectTo, ready, startNode, type Node } from './in-process.js';

withRedis(() => {
  describe('a node after Redis restarted', () => {
    const servers: RedisServer[] = [];
    const nodes: Node[] = [];
    const clients: ClusterClient[] = [];
    after(async () => {
      await Promise.all(clients.map((c) => c.destroy()));
      await Promise.all(nodes.map((n) => n.server.close()));
      await Promise.all(servers.map((s) => s.remove()));
    });

    for (const appendonly of [true, false]) {
      const how = appendonly ? 'with its data (appendonly yes)' : 'empty (appendonly no)';
      it(`turns ready only once it reads its inbox and hears the others again: Redis restarted ${how}`, async () => {
        const redis = await startRedis({ appendonly });
        servers.push(redis);
        const tag = appendonly ? 'kept' : 'empty';
        const [a, b] = [await startNode(redis.url, `${tag}-a`), await startNode(redis.url, `${tag}-b`)];
        nodes.push(a, b);
        const subscriber = await connectTo(clients, b, `${tag}-sub`, false);
        await subscriber.subscribe([{ topicFilter: `${tag}/#`, qos: 1 }]);
        await awaitRoute(a.port, subscriber, `${tag}/probe`);

        const both = [a, b].map((n) => n.server.broker.readiness);
        await redis.kill9();
        await until(() => both.every((r) => !r.ready), 10_000, () => 'the nodes to notice');
        await redis.restart();
        await untilReady(() => both.every((r) => r.ready), 20_000, () => `both nodes ready again (${both.map((r) => r.reasons.join(',')).join(' / ')})`);

        // The moment they are: every node's inbox and events connections are back and in use.
        const raw = new Redis(redis.url);
        const list = String(await raw.client('LIST'));
        raw.disconnect();
        for (const node of [`${tag}-a`, `${tag}-b`]) {
          assert.equal(lastCommand(list, `midge:${node}:inbox`), 'xreadgroup', `${node}'s inbox is not being read:\n${list}`);
          assert.equal(lastCommand(list, `midge:${node}:events`), 'subscribe', `${node} does not hear the others:\n${list}`);
        }
        // And a client sent there then finds routes working, both ways.
        const publisher = await connectTo(clients, a, `${tag}-pub`);
        const ack = await publisher.publish(`${tag}/after`, 'routed', 1) as PacketOf<typeof PacketType.PUBACK>;
        assert.equal(ack.reasonCode ?? ReasonCode.Success, ReasonCode.Success);
        await subscriber.waitForCount(`${tag}/after`, 1);
        const late = await connectTo(clients, a, `${tag}-late`);
        await late.subscribe([{ topicFilter: `${tag}/back`, qos: 1 }]);
        await awaitRoute(b.port, late, `${tag}/back`);
        assert.equal((await ready(a)).status, 200);
        assert.equal((await ready(b)).status, 200);
      });
    }
  });
});

/** As `until`, checking every millisecond: the test looks at the very moment the condition turns true. */
async function untilReady(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The last command (CLIENT LIST `cmd`) of the connection named `name`, or 'none' when there is none. */
function lastCommand(list: string, name: string): string {
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  return line?.match(/ cmd=(\S+)/)?.[1] ?? 'none';
}
