-- batchScript (after the plan functions, plan.Lua) in scripts.go says what it takes and returns.
local function has_type(key, t)
  local got = redis.call('TYPE', key)['ok']
  return got == 'none' or got == t
end
if not (has_type(KEYS[1], 'hash') and has_type(KEYS[2], 'stream') and has_type(KEYS[3], 'string') and has_type(KEYS[4], 'hash')) then
  return redis.error_reply('audit log keys of the wrong type')
end
local n = redis.call('HGET', KEYS[1], 'n') or '0'
local cur = tonumber(n)
local want = tonumber(ARGV[1])
local k = tonumber(ARGV[3])
local at = {}
local p = 5
for i = 1, k do
  at[i] = p
  p = p + 5 + tonumber(ARGV[p + 4])
end
local done = -1
if cur == want then
  done = 0
elseif cur > want and cur <= want + k and redis.call('HGET', KEYS[1], 'leaf') == ARGV[at[cur - want] + 1] then
  done = cur - want
end
if done == k then return {1, want, k, 0} end
local turn = n .. ':'
local claim = redis.call('HGET', KEYS[1], 'turn')
local now = 0
if claim or done < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local live = claim and now < tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local claimed = live and string.sub(claim, 1, #turn) == turn
if done < 0 or (claimed and claim ~= turn .. ARGV[2]) then
  if not claimed then
    redis.call('HSET', KEYS[1], 'turn', turn .. ARGV[2], 'until', now + 200)
  end
  return {0, cur, math.max(done, 0), 0}
end
local tl = tonumber(ARGV[4])
for i = 1, done do tl = tl + #ARGV[at[i] + 3] end
if redis.call('STRLEN', KEYS[3]) ~= tl then
  return redis.error_reply('audit tree out of step with the log')
end
local written, code, refused = done, 0, false
local ids, tree = {}, {}
for i = done + 1, k do
  local b = at[i]
  if tonumber(ARGV[b + 4]) > 0 then
    code = plan_check(ARGV, b + 5)
    if code ~= 0 then break end
  end
  local added = redis.pcall('XADD', KEYS[2], '0-' .. (want + i), 'entry', ARGV[b], 'leaf', ARGV[b + 1])
  if type(added) == 'table' and added.err then
    refused = true
    break
  end
  if tonumber(ARGV[b + 4]) > 0 then plan_apply(ARGV, b + 5) end
  ids[#ids + 1] = ARGV[b + 2]
  ids[#ids + 1] = want + i - 1
  tree[#tree + 1] = ARGV[b + 3]
  written = i
end
if written > done then
  for j = 1, #ids, 1000 do
    redis.call('HSET', KEYS[4], unpack(ids, j, math.min(j + 999, #ids)))
  end
  redis.call('APPEND', KEYS[3], table.concat(tree))
  redis.call('HSET', KEYS[1], 'n', want + written, 'leaf', ARGV[at[written] + 1])
  if claim then redis.call('HDEL', KEYS[1], 'turn', 'until') end
end
if refused then return {3, want, written, 0} end
if code ~= 0 then return {2, want, written, code} end
return {1, want, written, 0}
