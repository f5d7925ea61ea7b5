import type { Logger } from '../../src/broker/index.js';
import type { RedisCluster } from '../../src/cluster/index.js';
import { createCluster, startServer, type MidgeServer } from '../../src/server/index.js';
import { adminCall } from '../helpers/admin.js';
import { ClusterClient } from './cluster-client.js';

/** A cluster node in the test's own process, so the test can look at its broker. */
export interface Node {
  server: MidgeServer;
  port: number;
  adminPort: number;
  cluster: RedisCluster;
}

/** Options of {@link startNode} beyond the Redis to join and the node's name. */
export interface NodeOptions {
  /** `cluster_wait_replicas`. */
  waitReplicas?: number;
}

/**
 * Starts a node (`redisUrl`: `redis://` or `redis+sentinel://`) with short heartbeats (200 ms, dead after 1 s), so that outages
 * outlast the liveness keys and a test sees the whole story in seconds.
 */
export async function startNode(redisUrl: string, nodeId: string, options: NodeOptions = {}): Promise<Node> {
  const { cluster, store } = createCluster({ redisUrl, nodeId, heartbeatMs: 200, deadAfterMs: 1000, ...options });
  const server = await startServer({
    listeners: [{ port: 0, host: '127.0.0.1', protocol: 'mqtt' }],
    broker: { store, cluster, logger: process.env.CLUSTER_TEST_LOG ? consoleLogger(nodeId) : undefined },
    sysInterval: 0,
    admin: { port: 0, topicTreeSize: 0 },
  });
  return { server, port: server.listeners[0]!.port, adminPort: server.admin!.port, cluster };
}

/** `/readyz` of a node: its status and why it is not ready. */
export async function ready(node: Node): Promise<{ status: number; reasons: string[] }> {
  const answer = await adminCall<{ notReadyBecause: string[] }>(node.adminPort, '/readyz');
  return { status: answer.status, reasons: answer.json.notReadyBecause };
}

/** `CLUSTER_TEST_LOG=1`: the nodes' log lines on stderr, for debugging a test. */
function consoleLogger(nodeId: string): Logger {
  const line = (level: string) => (fields: object, message: string) => process.stderr.write(`${Date.now() % 100_000} ${nodeId} ${level} ${message} ${JSON.stringify(fields)}\n`);
  return { error: line('ERROR'), warn: line('WARN'), info: line('info'), debug: () => {} };
}

/**
 * An MQTT 5 client of `node`, kept in `clients` for the test to close: a clean
 * session, or (clean false) a persistent one that outlives it by 10 minutes.
 */
export async function connectTo(clients: ClusterClient[], node: Node, clientId: string, clean = true): Promise<ClusterClient> {
  const client = await ClusterClient.connect(node.port, { clientId, version: 5, clean, properties: clean ? {} : { sessionExpiryInterval: 600 } });
  clients.push(client);
  return client;
}
