/**
 * The Lua script that applies one batch of the Redis store atomically (Redis runs
 * a script as one step: another client sees all of a batch or none of it).
 *
 * ARGV[1] is the store's key prefix; ARGV[2] and ARGV[3] a guard: unless ARGV[2]
 * is empty, the batch applies only while the key ARGV[2] holds ARGV[3] (a
 * cluster's generation), and fails with a `MIDGELOST` error otherwise, so that
 * nothing is acknowledged as written into a Redis that lost the cluster's state.
 * Then a flat list of operations:
 *   C cid fenceKey token   select a client; with a fence key, its writes apply only
 *                          while the owner record's `f` (or, during a hand-over,
 *                          `h`) field equals token; otherwise the client is fenced
 *   X                      delete every record of the client
 *   S field value          set a field of the client's hash
 *   D field                delete a field
 *   E                      end of the client: keep the set of clients with records exact
 *   R topic value origin   set a retained message (empty value: clear it), numbered
 *                          and announced on the retained channel
 *   N topic value origin   the same, only when the topic has no retained message
 *                          (a node writing back its copy into a Redis that lost it)
 *   A stream group id      acknowledge and delete a cluster inbox entry, so the
 *                          entry is consumed exactly when what it caused is written
 * Every operation is idempotent but the retained number (harmless if repeated), so
 * a batch resent after a lost reply does no harm. Returns the fenced client ids.
 */
export const BATCH_SCRIPT = `
local P = ARGV[1]
if ARGV[2] ~= '' and redis.call('GET', ARGV[2]) ~= ARGV[3] then
  return redis.error_reply('MIDGELOST the cluster state in Redis is gone or was replaced')
end
local function retain(topic, value, origin)
  local seq = redis.call('INCR', P .. 'retained-seq')
  if value == '' then
    redis.call('HDEL', P .. 'retained', topic)
    redis.call('HDEL', P .. 'retained-seqs', topic)
  else
    redis.call('HSET', P .. 'retained', topic, value)
    redis.call('HSET', P .. 'retained-seqs', topic, seq)
  end
  redis.call('PUBLISH', P .. 'retained', seq .. '\\0' .. origin .. '\\0' .. topic .. '\\0' .. value)
end
local fenced = {}
local i = 4
local n = #ARGV
local key = nil
local cid = nil
local skip = false
while i <= n do
  local op = ARGV[i]
  if op == 'C' then
    cid = ARGV[i + 1]
    key = P .. 'c:' .. cid
    skip = false
    local fk = ARGV[i + 2]
    if fk ~= '' then
      local tok = ARGV[i + 3]
      if tok ~= redis.call('HGET', fk, 'f') and tok ~= redis.call('HGET', fk, 'h') then
        skip = true
        fenced[#fenced + 1] = cid
      end
    end
    i = i + 4
  elseif op == 'X' then
    if not skip then redis.call('DEL', key) end
    i = i + 1
  elseif op == 'S' then
    if not skip then redis.call('HSET', key, ARGV[i + 1], ARGV[i + 2]) end
    i = i + 3
  elseif op == 'D' then
    if not skip then redis.call('HDEL', key, ARGV[i + 1]) end
    i = i + 2
  elseif op == 'E' then
    if not skip then
      if redis.call('EXISTS', key) == 1 then redis.call('SADD', P .. 'clients', cid)
      else redis.call('SREM', P .. 'clients', cid) end
    end
    i = i + 1
  elseif op == 'R' then
    retain(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'N' then
    if redis.call('HEXISTS', P .. 'retained', ARGV[i + 1]) == 0 then retain(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]) end
    i = i + 4
  elseif op == 'A' then
    redis.call('XACK', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    redis.call('XDEL', ARGV[i + 1], ARGV[i + 3])
    i = i + 4
  else
    return redis.error_reply('midge batch: unknown operation ' .. tostring(op))
  end
end
return fenced
`;
