import type { ClusterLease, ClusterLeases } from '../broker/index.js';
import type { ClusterContext } from './context.js';

/**
 * me name ttl -> the fencing token when this incarnation holds the lease now (taken, or
 * already its own), nil when another live holder has it or this incarnation was sealed.
 * ARGV[1] is the key prefix, as for every script of the cluster.
 */
const ACQUIRE = `
local P, me, name, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', P .. 'sealed:' .. me) == 1 then return nil end
local key = P .. 'lease:' .. name
local held = redis.call('GET', key)
if held then
  local at = string.find(held, '|', 1, true)
  if string.sub(held, 1, at - 1) ~= me then return nil end
  redis.call('PEXPIRE', key, ttl)
  return tonumber(string.sub(held, at + 1))
end
local token = redis.call('INCR', P .. 'lease-token:' .. name)
redis.call('SET', key, me .. '|' .. token, 'PX', ttl)
return token`;

/** me|token name ttl me -> 1 renewed, 0 lost (expired, taken, or its holder was declared dead). */
const RENEW = `
local key = ARGV[1] .. 'lease:' .. ARGV[3]
if redis.call('GET', key) ~= ARGV[2] then return 0 end
if redis.call('EXISTS', ARGV[1] .. 'sealed:' .. ARGV[5]) == 1 then return 0 end
redis.call('PEXPIRE', key, ARGV[4])
return 1`;

/** me|token name -> deleted when still held with that token. */
const RELEASE = `
local key = ARGV[1] .. 'lease:' .. ARGV[3]
if redis.call('GET', key) == ARGV[2] then redis.call('DEL', key) end
return 1`;

/**
 * Leases in Redis: `lease:NAME` holds `incarnation|token` with a time to live, the token
 * from a counter that only grows (`lease-token:NAME`). A node declared dead (sealed) can
 * take none, and loses those it held when they expire.
 */
export class RedisLeases implements ClusterLeases {
  constructor(private readonly ctx: ClusterContext) {}

  async acquire(name: string, ttlMs: number): Promise<ClusterLease | undefined> {
    const { redis, keys } = this.ctx;
    const me = this.ctx.me;
    const token = await redis.eval(ACQUIRE, 0, keys.prefix, me, name, String(ttlMs)) as number | null;
    if (token === null) return undefined;
    const value = `${me}|${token}`;
    return {
      name,
      token,
      renew: async () => (await redis.eval(RENEW, 0, keys.prefix, value, name, String(ttlMs), me)) === 1,
      release: async () => {
        await redis.eval(RELEASE, 0, keys.prefix, value, name);
      },
    };
  }
}
