import type { Redis } from 'ioredis';

/**
 * The cluster's Lua scripts. Each runs atomically in Redis, which is what makes
 * ownership a compare-and-set: a claim, an adoption, a reap or a will changing
 * hands happens entirely or not at all, and exactly one node wins a race.
 * ARGV[1] is always the key prefix (see keys.ts for the layout) and ARGV[2] the
 * generation the node works in: {@link GUARD} checks it first and takes it out of
 * ARGV, so that no script ever writes into a Redis that lost the cluster's state
 * (the error reply `MIDGELOST` makes the node rebuild, see recovery.ts). No script
 * takes KEYS, so the cluster needs one Redis (or a Sentinel-managed primary), not
 * Redis Cluster.
 */
const GUARD = `
local G = redis.call('GET', ARGV[1] .. 'generation')
if G ~= ARGV[2] then
  return redis.error_reply('MIDGELOST the cluster state in Redis is gone or was replaced (generation ' .. tostring(G) .. ', this node has ' .. ARGV[2] .. ')')
end
table.remove(ARGV, 2)
`;

const scripts = {
  /**
   * me ttl -> 1 alive, 0 sealed (declared dead: must stop), 2 alive but its inbox
   * (or the inbox's consumer group) was missing and is created again.
   */
  midgeHeartbeat: `
local P = ARGV[1]
if redis.call('EXISTS', P .. 'sealed:' .. ARGV[2]) == 1 then return 0 end
redis.call('SET', P .. 'alive:' .. ARGV[2], '1', 'PX', ARGV[3])
local created = redis.pcall('XGROUP', 'CREATE', P .. 'inbox:' .. ARGV[2], 'g', '0', 'MKSTREAM')
if type(created) == 'table' and created.err then return 1 end
return 2`,

  /**
   * nodeId floor ttl -> incarnation `nodeId#n`: a new incarnation with its inbox.
   * n is above `floor` (the last n this node had), so an incarnation counter lost
   * with Redis's data never hands out a name that was used before.
   */
  midgeJoin: `
local P = ARGV[1]
local n = redis.call('INCR', P .. 'incarnation')
if n <= tonumber(ARGV[3]) then
  n = tonumber(ARGV[3]) + 1
  redis.call('SET', P .. 'incarnation', n)
end
local me = ARGV[2] .. '#' .. n
redis.call('SET', P .. 'alive:' .. me, '1', 'PX', ARGV[4])
redis.call('SADD', P .. 'nodes', me)
redis.pcall('XGROUP', 'CREATE', P .. 'inbox:' .. me, 'g', '$', 'MKSTREAM')
return me`,

  /**
   * cid me clean [identity exclusive] -> {token, previous owner or '', previous owner alive 0/1}.
   * The last CONNECT wins, as in MQTT. The epoch goes up, which fences the previous
   * owner's writes, except those of its hand-over (token in h). The session's user is
   * kept in u; with exclusive 1 (`session_owner user`) a claim by another identity
   * changes nothing and answers {'', '', 0, 'owned'}.
   */
  midgeClaim: `
local P, cid, me = ARGV[1], ARGV[2], ARGV[3]
local key = P .. 'c:' .. cid
local owner, exclusive = ARGV[5] or '', ARGV[6] or '0'
local u = redis.call('HGET', key, 'u')
if exclusive == '1' and u and owner ~= '' and u ~= owner then return {'', '', '0', 'owned'} end
local prev = redis.call('HGET', key, 'o')
local oldf = redis.call('HGET', key, 'f')
local e = tonumber(redis.call('HGET', key, 'e') or '0') + 1
local token = me .. '/' .. e
redis.call('HSET', key, 'o', me, 'e', e, 'f', token, 'on', '0')
if owner ~= '' then redis.call('HSET', key, 'u', owner) end
if prev and prev ~= me then
  if oldf then redis.call('HSET', key, 'h', oldf) end
  redis.call('SREM', P .. 'owned:' .. prev, cid)
else
  redis.call('HDEL', key, 'h')
end
redis.call('SADD', P .. 'owned:' .. me, cid)
redis.call('SADD', P .. 'clients', cid)
if ARGV[4] == '1' then
  for _, f in ipairs(redis.call('HKEYS', key)) do
    if string.sub(f, 1, 2) == 's:' then redis.call('HDEL', key, f) end
  end
end
redis.call('HINCRBY', key, 'v', 1)
redis.call('PUBLISH', P .. 'events', me .. '\\0' .. cid)
local alive = 0
if prev and prev ~= me and redis.call('EXISTS', P .. 'alive:' .. prev) == 1 and redis.call('EXISTS', P .. 'sealed:' .. prev) == 0 then alive = 1 end
return {token, prev or '', alive}`,

  /**
   * cid me -> token, or nil when another node owns the client id. A node claims
   * again a session it holds whose owner record is gone (Redis lost it) or
   * stale; unlike a CONNECT's claim it never takes a client id from another owner.
   */
  midgeReclaim: `
local P, cid, me = ARGV[1], ARGV[2], ARGV[3]
local key = P .. 'c:' .. cid
local o = redis.call('HGET', key, 'o')
if o and o ~= me then return false end
local e = tonumber(redis.call('HGET', key, 'e') or '0') + 1
local token = me .. '/' .. e
redis.call('HSET', key, 'o', me, 'e', e, 'f', token)
redis.call('HDEL', key, 'h')
redis.call('SADD', P .. 'owned:' .. me, cid)
redis.call('SADD', P .. 'clients', cid)
redis.call('HINCRBY', key, 'v', 1)
redis.call('PUBLISH', P .. 'events', me .. '\\0' .. cid)
return token`,

  /** cid dead me -> {token, persistent 0/1}, or nil when the dead node no longer owns it. */
  midgeAdopt: `
local P, cid, dead, me = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local key = P .. 'c:' .. cid
if redis.call('HGET', key, 'o') ~= dead then return false end
local e = tonumber(redis.call('HGET', key, 'e') or '0') + 1
local token = me .. '/' .. e
redis.call('HSET', key, 'o', me, 'e', e, 'f', token, 'on', '0')
redis.call('HDEL', key, 'h')
redis.call('SREM', P .. 'owned:' .. dead, cid)
redis.call('SADD', P .. 'owned:' .. me, cid)
redis.call('HINCRBY', key, 'v', 1)
redis.call('PUBLISH', P .. 'events', me .. '\\0' .. cid)
return {token, redis.call('HGET', key, 'd') or '0'}`,

  /**
   * cid me -> {will, lost at} when the will's holder is dead (it becomes me), else nil.
   * Whoever takes it publishes it: exactly one node does.
   */
  midgeTakeWill: `
local P, cid, me = ARGV[1], ARGV[2], ARGV[3]
local key = P .. 'c:' .. cid
local w = redis.call('HGET', key, 'w')
if not w then return false end
local wi = redis.call('HGET', key, 'wi')
if wi and wi ~= me and redis.call('EXISTS', P .. 'alive:' .. wi) == 1 and redis.call('EXISTS', P .. 'sealed:' .. wi) == 0 then return false end
redis.call('HSET', key, 'wi', me)
return {w, redis.call('HGET', key, 'wt') or ''}`,

  /** cid token: the hand-over is over; the previous owner may not write any more. */
  midgeEndHandover: `
local key = ARGV[1] .. 'c:' .. ARGV[2]
if redis.call('HGET', key, 'f') == ARGV[3] then redis.call('HDEL', key, 'h') end
return 1`,

  /**
   * cid token me meta on d will lostAt all [S filter value | D filter]... -> 1, or 0 when fenced.
   * The owner's view of its session: connected, persistent, will, subscriptions
   * (all: the given ones are every subscription).
   */
  midgeSync: `
local P, cid = ARGV[1], ARGV[2]
local key = P .. 'c:' .. cid
if redis.call('HGET', key, 'f') ~= ARGV[3] then return 0 end
if ARGV[5] == '1' then
  redis.call('HSET', key, 'on', ARGV[6], 'd', ARGV[7])
  if ARGV[8] == '' then redis.call('HDEL', key, 'w', 'wi', 'wt')
  else redis.call('HSET', key, 'w', ARGV[8], 'wi', ARGV[4], 'wt', ARGV[9]) end
end
local keep = nil
if ARGV[10] == '1' then keep = {} end
local i = 11
while i <= #ARGV do
  local field = 's:' .. ARGV[i + 1]
  if ARGV[i] == 'S' then
    redis.call('HSET', key, field, ARGV[i + 2])
    if keep then keep[field] = true end
    i = i + 3
  else
    redis.call('HDEL', key, field)
    i = i + 2
  end
end
if keep then
  for _, f in ipairs(redis.call('HKEYS', key)) do
    if string.sub(f, 1, 2) == 's:' and not keep[f] then redis.call('HDEL', key, f) end
  end
end
redis.call('HINCRBY', key, 'v', 1)
redis.call('PUBLISH', P .. 'events', ARGV[4] .. '\\0' .. cid)
return 1`,

  /** cid token me -> 1 when the record was mine and is gone (the session ended). */
  midgeRelease: `
local P, cid = ARGV[1], ARGV[2]
local key = P .. 'c:' .. cid
if redis.call('HGET', key, 'f') ~= ARGV[3] then return 0 end
redis.call('DEL', key)
redis.call('SREM', P .. 'owned:' .. ARGV[4], cid)
redis.call('SREM', P .. 'clients', cid)
redis.call('PUBLISH', P .. 'events', ARGV[4] .. '\\0' .. cid)
return 1`,

  /**
   * incarnation kind payload -> entry id, or 0 when that node is gone (sealed or
   * reaped). An inbox without its consumer group is an error, not a success: an
   * entry nobody reads must never be acknowledged to its publisher.
   */
  midgeRoute: `
local P = ARGV[1]
local inbox = P .. 'inbox:' .. ARGV[2]
if redis.call('EXISTS', P .. 'sealed:' .. ARGV[2]) == 1 or redis.call('EXISTS', inbox) == 0 then return 0 end
if #redis.call('XINFO', 'GROUPS', inbox) == 0 then
  return redis.error_reply('NOGROUP the inbox ' .. inbox .. ' has no consumer group')
end
return redis.call('XADD', inbox, '*', 'k', ARGV[3], 'd', ARGV[4])`,

  /**
   * cid me token stream id: the hand-over is done here. The will this node held is
   * settled, the requester is told (a key it polls and a message on the hand-over
   * channel: not through its inbox, where the answer could wait behind messages for
   * the very session it is claiming), and the request is consumed.
   */
  midgeHandoverDone: `
local P, cid, me, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local key = P .. 'c:' .. cid
if redis.call('HGET', key, 'wi') == me then redis.call('HDEL', key, 'w', 'wi', 'wt') end
redis.call('SET', P .. 'handed:' .. cid .. '\\0' .. token, '1', 'PX', 60000)
redis.call('PUBLISH', P .. 'handed', cid .. '\\0' .. token)
redis.call('XACK', ARGV[5], 'g', ARGV[6])
redis.call('XDEL', ARGV[5], ARGV[6])
return 1`,

  /** dead me lockMs -> 1 when this node reaps the dead incarnation (and has sealed it). */
  midgeReap: `
local P, dead = ARGV[1], ARGV[2]
if redis.call('EXISTS', P .. 'alive:' .. dead) == 1 then return 0 end
if not redis.call('SET', P .. 'reap:' .. dead, ARGV[3], 'NX', 'PX', ARGV[4]) then return 0 end
redis.call('SET', P .. 'sealed:' .. dead, ARGV[3])
return 1`,

  /** dead: its inbox is drained and its sessions adopted; only the seal stays (a day). */
  midgeForget: `
local P, dead = ARGV[1], ARGV[2]
redis.call('DEL', P .. 'inbox:' .. dead, P .. 'owned:' .. dead, P .. 'reap:' .. dead)
redis.call('SREM', P .. 'nodes', dead)
redis.call('PEXPIRE', P .. 'sealed:' .. dead, 86400000)
return 1`,
} as const;

/**
 * Unguarded: prefix candidate settleMs -> {generation, created 0/1, settle ms left}.
 * The generation Redis holds, or `candidate` written as a new one when there is
 * none (a new Redis, or one that lost its data: it cannot tell which), opening a
 * settling window of `settleMs` in which every live node rebuilds into it.
 */
const GENERATION = `
local P = ARGV[1]
local g = redis.call('GET', P .. 'generation')
if g then return {g, 0, redis.call('PTTL', P .. 'settling')} end
redis.call('SET', P .. 'generation', ARGV[2])
redis.call('SET', P .. 'settling', '1', 'PX', ARGV[3])
return {ARGV[2], 1, tonumber(ARGV[3])}`;

type Arg = string | number | Buffer;

/** The scripts as commands of a connection (ioredis runs EVALSHA, loading the script on NOSCRIPT). */
export type ScriptCommands = { [K in keyof typeof scripts | 'midgeGeneration']: (...args: Arg[]) => Promise<unknown> };

/** The scripts queued in a pipeline (their replies come with `exec()`). */
export type PipelineScripts = { [K in keyof typeof scripts]: (...args: Arg[]) => unknown };

/** Defines the scripts on a connection and returns it typed with them. */
export function withScripts(redis: Redis): Redis & ScriptCommands {
  for (const [name, lua] of Object.entries(scripts)) redis.defineCommand(name, { lua: GUARD + lua, numberOfKeys: 0 });
  redis.defineCommand('midgeGeneration', { lua: GENERATION, numberOfKeys: 0 });
  return redis as Redis & ScriptCommands;
}

/** A script reply that is an array of strings (Redis returns bulk strings as strings). */
export function stringArray(reply: unknown): string[] | undefined {
  if (!Array.isArray(reply)) return undefined;
  return reply.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}
