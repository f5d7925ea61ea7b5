import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRedisEndpoint } from '../../src/config/index.js';
import { redisTarget } from '../../src/server/redis-target.js';

describe('cluster_redis_url', () => {
  it('reads a redis+sentinel:// URL into its sentinels (default port 26379), primary name and passwords', () => {
    assert.deepEqual(parseRedisEndpoint('redis+sentinel://app:p%40ss@s1:26380,s2,[::1]:26381/prod?sentinelPassword=sw'), {
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26380 }, { host: 's2', port: 26379 }, { host: '::1', port: 26381 }],
      name: 'prod', username: 'app', password: 'p@ss', sentinelPassword: 'sw',
    });
    assert.deepEqual(parseRedisEndpoint('redis+sentinel://:pw@s1/prod'), {
      kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], name: 'prod', username: undefined, password: 'pw', sentinelPassword: undefined,
    });
  });

  it('leaves redis:// and rediss:// URLs to the Redis client as they are', () => {
    assert.deepEqual(parseRedisEndpoint('rediss://:pw@cache:6380/1'), { kind: 'server', url: 'rediss://:pw@cache:6380/1' });
    assert.equal(redisTarget('redis://cache:6379'), 'redis://cache:6379');
  });

  it('gives ioredis the sentinels, the primary\'s name and the role it must have', () => {
    assert.deepEqual(redisTarget('redis+sentinel://:pw@s1:1,s2:2/prod'), {
      sentinels: [{ host: 's1', port: 1 }, { host: 's2', port: 2 }], name: 'prod', role: 'master',
      username: undefined, password: 'pw', sentinelPassword: undefined,
    });
  });
});
