/**
 * The Lua script that applies one batch of the Redis store atomically (Redis runs
 * a script as one step: another client sees all of a batch or none of it).
 *
 * ARGV[1] is the store's key prefix; then a flat list of operations:
 *   C cid fenceKey token   select a client; with a fence key, its writes apply only
 *                          while the owner record's `f` (or, during a hand-over,
 *                          `h`) field equals token; otherwise the client is fenced
 *   X                      delete every record of the client
 *   S field value          set a field of the client's hash
 *   D field                delete a field
 *   E                      end of the client: keep the set of clients with records exact
 *   R topic value origin   set a retained message (empty value: clear it), numbered
 *                          and announced on the retained channel
 *   A stream group id      acknowledge and delete a cluster inbox entry, so the
 *                          entry is consumed exactly when what it caused is written
 * Every operation is idempotent but the retained number (harmless if repeated), so
 * a batch resent after a lost reply does no harm. Returns the fenced client ids.
 */
export const BATCH_SCRIPT = `
local P = ARGV[1]
local fenced = {}
local i = 2
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
    local topic = ARGV[i + 1]
    local value = ARGV[i + 2]
    local seq = redis.call('INCR', P .. 'retained-seq')
    if value == '' then
      redis.call('HDEL', P .. 'retained', topic)
      redis.call('HDEL', P .. 'retained-seqs', topic)
    else
      redis.call('HSET', P .. 'retained', topic, value)
      redis.call('HSET', P .. 'retained-seqs', topic, seq)
    end
    redis.call('PUBLISH', P .. 'retained', seq .. '\\0' .. ARGV[i + 3] .. '\\0' .. topic .. '\\0' .. value)
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
