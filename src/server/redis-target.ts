import type { RedisOptions } from 'ioredis';
import { parseRedisEndpoint } from '../config/index.js';

/**
 * What the cluster's two Redis adapters connect to, from `cluster_redis_url`: a
 * `redis://` / `rediss://` URL as it is (ioredis reads it), or for
 * `redis+sentinel://` the options with which ioredis asks the sentinels for the
 * current primary, checks it is one, and asks again after a failover. Throws
 * with the reason for a URL that is not one of these.
 */
export function redisTarget(url: string): string | RedisOptions {
  const endpoint = parseRedisEndpoint(url);
  if (endpoint.kind === 'server') return endpoint.url;
  return {
    sentinels: endpoint.sentinels,
    name: endpoint.name,
    role: 'master',
    username: endpoint.username,
    password: endpoint.password,
    sentinelPassword: endpoint.sentinelPassword,
  };
}
