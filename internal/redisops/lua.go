package redisops

// Lua defines plan_check and plan_apply, for a script that executes plans;
// it reads key names from the script's KEYS.
//
// plan_check(A, pos) checks the plan encoded at A[pos…]: it returns 0 when
// every check holds and every key an op writes is missing or of the type its
// command needs, i for the first check (1-based) that does not hold, and -1
// for a key of the wrong type, an unknown check or command. It writes
// nothing, so a script may stop after it with nothing done.
//
// plan_apply(A, pos) runs the plan's ops, in order. Called only after
// plan_check returned 0 in the same script run, its commands cannot fail on a
// key's type.
const Lua = `
local plan_types = {SET='string', INCR='string', HSET='hash', HDEL='hash', HINCRBY='hash',
  RPUSH='list', SADD='set', SREM='set', ZADD='zset', ZREM='zset', DEL='*'}
local plan_cards = {set='SCARD', hash='HLEN', list='LLEN', zset='ZCARD'}
local function plan_type(key)
  return redis.call('TYPE', key)['ok']
end
local function plan_typeok(key, want)
  if want == '*' then return true end
  local t = plan_type(key)
  return t == 'none' or t == want
end
local function plan_check(A, pos)
  local nc, no = tonumber(A[pos]), tonumber(A[pos + 1])
  pos = pos + 2
  for i = 1, nc do
    local kind, key, field = A[pos], KEYS[tonumber(A[pos + 1])], A[pos + 2]
    local absentok, n, nv = A[pos + 3] == '1', tonumber(A[pos + 4]), tonumber(A[pos + 5])
    local vals = {}
    for j = 1, nv do vals[j] = A[pos + 5 + j] end
    pos = pos + 6 + nv
    local ok = false
    if kind == 'absent' then
      ok = redis.call('EXISTS', key) == 0
    elseif kind == 'equal' then
      if not plan_typeok(key, 'string') then return -1 end
      local v = redis.call('GET', key)
      if v then ok = (v == vals[1]) else ok = absentok end
    elseif kind == 'field' then
      if not plan_typeok(key, 'hash') then return -1 end
      local v = redis.call('HGET', key, field)
      if not v then
        ok = absentok
      elseif nv == 0 then
        ok = true
      else
        for j = 1, nv do if v == vals[j] then ok = true end end
      end
    elseif kind == 'nofield' then
      if not plan_typeok(key, 'hash') then return -1 end
      ok = redis.call('HEXISTS', key, field) == 0
    elseif kind == 'count' then
      local t = plan_type(key)
      local c = 0
      if t ~= 'none' then
        if not plan_cards[t] then return -1 end
        c = redis.call(plan_cards[t], key)
      end
      ok = (c == n)
    else
      return -1
    end
    if not ok then return i end
  end
  for i = 1, no do
    local cmd, key, na = A[pos], KEYS[tonumber(A[pos + 1])], tonumber(A[pos + 3])
    pos = pos + 4 + na
    if not plan_types[cmd] then return -1 end
    if not plan_typeok(key, plan_types[cmd]) then return -1 end
  end
  return 0
end
local function plan_apply(A, pos)
  local nc, no = tonumber(A[pos]), tonumber(A[pos + 1])
  pos = pos + 2
  for i = 1, nc do pos = pos + 6 + tonumber(A[pos + 5]) end
  local replies = {}
  for i = 1, no do
    local cmd, key, ref, na = A[pos], KEYS[tonumber(A[pos + 1])], tonumber(A[pos + 2]), tonumber(A[pos + 3])
    local args = {}
    if ref > 0 then args[1] = replies[ref] end
    for j = 1, na do args[#args + 1] = A[pos + 3 + j] end
    pos = pos + 4 + na
    replies[i] = redis.call(cmd, key, unpack(args))
  end
end
`
