import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import type { ClusterView } from '../../src/admin/index.js';
import { silentLogger } from '../../src/broker/index.js';
import { createCluster, startServer, type MidgeServer } from '../../src/server/index.js';
import { adminCall } from '../helpers/admin.js';
import { connect, disconnect, uniq } from '../helpers/flows.js';
import { startRedis, withRedis } from '../helpers/redis.js';

const TOKEN = 'cluster-view-token-0123456789';

async function node(t: TestContext, redisUrl: string, nodeId: string): Promise<MidgeServer> {
  const { cluster, store } = createCluster({ redisUrl, nodeId });
  const server = await startServer({
    listeners: [{ port: 0, host: '127.0.0.1', protocol: 'mqtt' }], sysInterval: 0,
    broker: { store, cluster, logger: silentLogger }, admin: { port: 0, adminToken: TOKEN },
  });
  t.after(() => server.close());
  return server;
}

describe('the cluster view of the admin API', () => {
  withRedis(() => {
    it('lists the nodes of the cluster, which one answers, whether each is alive and the sessions it owns', async (t) => {
      const redis = await startRedis();
      t.after(() => redis.remove());
      const prefix = uniq('view');
      const a = await node(t, redis.url, `${prefix}-a`);
      const b = await node(t, redis.url, `${prefix}-b`);
      const client = await connect(b.listeners[0]!.port, { clientId: uniq('on-b'), clean: false });
      const read = async () => (await adminCall<ClusterView>(a.admin!.port, '/api/v1/cluster', { authorization: `Bearer ${TOKEN}` })).json;
      let view = await read();
      for (let i = 0; i < 20 && view.nodes.find((n) => !n.self)?.sessions !== 1; i++) {
        await new Promise((r) => setTimeout(r, 100));
        view = await read();
      }
      assert.equal(view.clustered, true);
      assert.equal(view.available, true);
      assert.deepEqual(view.nodes.map((n) => [n.node.split('#')[0], n.self, n.alive]), [[`${prefix}-a`, true, true], [`${prefix}-b`, false, true]]);
      assert.equal(view.nodes[1]!.sessions, 1, 'the client connected to b is owned by b');
      await disconnect(client);
    });
  });
});
