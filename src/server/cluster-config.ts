import type { Logger, Store } from '../broker/index.js';
import { RedisCluster, type ClusterTimings } from '../cluster/index.js';
import type { MidgeConfig } from '../config/index.js';
import { RedisStore } from '../persistence/index.js';
import { redisTarget } from './redis-target.js';

/** A cluster link and the store its sessions and retained messages live in. */
export interface ClusterParts {
  cluster: RedisCluster;
  store: Store;
}

/** What {@link createCluster} needs. */
export interface ClusterSettings extends Partial<ClusterTimings> {
  /** `redis://`, `rediss://`, or `redis+sentinel://` (`rediss+sentinel://`) URL: see {@link redisTarget}. */
  redisUrl: string;
  nodeId?: string | undefined;
  /** Prefix of every key in Redis; default `midge:`. */
  prefix?: string;
  /** `cluster_wait_replicas`: replicas what is acknowledged must reach first (Redis WAIT); default 0. */
  waitReplicas?: number | undefined;
  /** Where the store says it waits for replicas. */
  logger?: Logger;
}

/**
 * The two adapters a cluster node is made of, wired together: the cluster link
 * (`src/cluster`) and the Redis store (`src/persistence`), whose writes the
 * link's ownership fences. Pass both to the broker (`store`, `cluster`).
 */
export function createCluster(settings: ClusterSettings): ClusterParts {
  const { redisUrl, nodeId, prefix, waitReplicas, logger, ...timings } = settings;
  const url = redisTarget(redisUrl);
  const cluster = new RedisCluster({ url, nodeId, prefix, waitReplicas, ...timings });
  const store = new RedisStore({
    url,
    prefix,
    waitReplicas,
    logger,
    fence: cluster.fence,
    onFenced: (clientIds) => cluster.fenced(clientIds),
    onLost: () => cluster.storeLost(),
    origin: () => cluster.incarnation,
    connectionName: cluster.connectionName('store'),
  });
  cluster.attachStore(store);
  return { cluster, store };
}

/**
 * `cluster_redis_url` (`midge broker --cluster URL`): the node joins a cluster on
 * that Redis and keeps its sessions and retained messages there, whatever the
 * `persistence` settings say (a session must be resumable on any node).
 * Undefined without the key: the broker runs alone, exactly as before.
 */
export function clusterFromConfig(config: MidgeConfig, logger: Logger): ClusterParts | undefined {
  const settings = config.cluster;
  if (!settings) return undefined;
  if (!config.persistence.enabled) {
    logger.warn({}, 'persistence false is ignored in a cluster: sessions and retained messages are kept in Redis');
  }
  return createCluster({ redisUrl: settings.redisUrl, nodeId: settings.nodeId, waitReplicas: settings.waitReplicas, logger });
}
