-- The ACL probe: tries every command the broker runs (but those only a
-- client sends: PING, SELECT, MULTI, EXEC, EVAL, EVALSHA, SCRIPT LOAD) as
-- the broker's Redis user, so that /readyz can name what the user's ACL
-- lacks. A script runs its commands with its caller's permissions, and
-- Redis checks them before running the command: a command the ACL denies
-- answers with its refusal, one allowed changes nothing:
--   reads and deletions go to KEYS[3], which never exists;
--   writes go to a key of the wrong type (WRONGTYPE), or, for SET, to an
--   existing key with NX.
-- KEYS[1] a string, KEYS[2] a hash, both created once (SET NX, HSETNX) and
-- then left alone; KEYS[3] absent. All three carry one hash tag.
-- It returns a flat list: command, refusal, command, refusal, ...; empty
-- when every command may run.
local s, h, none = KEYS[1], KEYS[2], KEYS[3]
local denied = {}
local function try(cmd, ...)
  local r = redis.pcall(cmd, ...)
  if type(r) == 'table' and r.err and not string.find(r.err, 'WRONGTYPE', 1, true) then
    denied[#denied + 1] = cmd
    denied[#denied + 1] = r.err
    return false
  end
  return true
end

-- What the rest relies on: the two keys, of the expected types. If the user
-- may not make them, say so and try nothing that could write.
local ok = try('SET', s, '1', 'NX')
ok = try('HSETNX', h, 'f', '1') and ok
ok = try('TYPE', s) and ok
if not ok then
  return denied
end
-- The deletions below (GETDEL, DEL, HDEL, LREM, SREM, ZREM, PEXPIRE) change
-- nothing only while KEYS[3] does not exist: if anything made it, stop here.
if redis.call('TYPE', s).ok ~= 'string' or redis.call('TYPE', h).ok ~= 'hash'
    or redis.call('TYPE', none).ok ~= 'none' then
  return { 'probe keys', s .. ' must be a string, ' .. h .. ' a hash and ' .. none .. ' absent: delete the three' }
end

for _, c in ipairs({
  { 'GET', none }, { 'EXISTS', none }, { 'STRLEN', none }, { 'GETRANGE', none, '0', '0' },
  { 'MGET', none }, { 'GETDEL', none }, { 'DEL', none },
  { 'HGET', none, 'f' }, { 'HMGET', none, 'f' }, { 'HGETALL', none }, { 'HEXISTS', none, 'f' },
  { 'HLEN', none }, { 'HDEL', none, 'f' }, { 'PEXPIRE', none, '1000' },
  { 'LRANGE', none, '0', '0' }, { 'LLEN', none }, { 'LREM', none, '0', 'x' },
  { 'SMEMBERS', none }, { 'SISMEMBER', none, 'm' }, { 'SCARD', none }, { 'SREM', none, 'm' },
  { 'ZSCORE', none, 'm' }, { 'ZRANGE', none, '0', '0' }, { 'ZCARD', none }, { 'ZREM', none, 'm' },
  { 'ZRANGEBYSCORE', none, '0', '0' }, { 'ZREVRANGEBYSCORE', none, '0', '0' },
  { 'XLEN', none }, { 'XRANGE', none, '-', '+', 'COUNT', '1' }, { 'XREVRANGE', none, '+', '-', 'COUNT', '1' },
  { 'SCAN', '0', 'MATCH', none, 'COUNT', '1' }, { 'TIME' },
  -- writes that cannot happen: an existing key with NX, or the wrong type
  { 'SET', h, '1', 'NX' }, { 'APPEND', h, 'x' }, { 'SETRANGE', h, '0', 'x' }, { 'INCR', h },
  { 'HSET', s, 'f', 'v' }, { 'HINCRBY', s, 'f', '1' },
  { 'RPUSH', s, 'x' }, { 'SADD', s, 'm' }, { 'ZADD', s, '1', 'm' }, { 'XADD', s, '*', 'f', 'v' },
}) do
  try(unpack(c))
end
return denied
