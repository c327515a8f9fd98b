-- plan_check and plan_apply: Lua in lua.go says what they take and return;
-- the encoding they read is in the package doc (plan.go).
local plan_types = {SET='string', INCR='string', HSET='hash', HDEL='hash', HINCRBY='hash',
  RPUSH='list', SADD='set', SREM='set', ZADD='zset', ZREM='zset', DEL='*'}
local plan_cards = {set='SCARD', hash='HLEN', list='LLEN', zset='ZCARD'}
-- plan_seen holds the types plan_check has read, by key: it writes nothing,
-- so a key's type stays what it read until it returns (TYPE once a key, not
-- once a check or op: each call costs Redis more than the command itself).
local plan_seen = {}
local function plan_type(key)
  local t = plan_seen[key]
  if not t then
    t = redis.call('TYPE', key)['ok']
    plan_seen[key] = t
  end
  return t
end
local function plan_typeok(key, want)
  if want == '*' then return true end
  local t = plan_type(key)
  return t == 'none' or t == want
end
-- plan_int is whether s is an integer as Redis reads one (an optional '-',
-- no leading zero or space, no exponent, unlike Lua's tonumber) of at most
-- 15 digits: Validate bounds a plan's increments of a key to 10^15 in all,
-- so INCR and HINCRBY on it cannot overflow either.
local function plan_int(s)
  if s == '0' then return true end
  local d = string.match(s, '^%-?([1-9]%d*)$')
  return d ~= nil and #d <= 15
end
-- plan_opok is whether op cmd on key, with first argument arg, can run on
-- what is stored: the key's type, and the value a counter adds to.
local function plan_opok(cmd, key, arg)
  if not plan_types[cmd] or not plan_typeok(key, plan_types[cmd]) then return false end
  local v
  if cmd == 'INCR' then
    v = redis.call('GET', key)
  elseif cmd == 'HINCRBY' then
    v = redis.call('HGET', key, arg)
  end
  return not v or plan_int(v)
end
local function plan_check(A, pos)
  plan_seen = {}
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
    if not plan_opok(cmd, key, A[pos + 4]) then return -1 end
    pos = pos + 4 + na
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
