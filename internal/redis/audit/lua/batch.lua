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
if redis.call('EXISTS', KEYS[3]) == 1 then
  return redis.error_reply('audit tree not yet in tiles')
end
local tiles = {}
for i = 5, 4 + tonumber(ARGV[4]) do tiles[KEYS[i]] = true end
local function tile(l, idx)
  local name = KEYS[2] .. ':tile:' .. l .. ':' .. string.format('%d', math.floor(idx / 256))
  if not tiles[name] then return nil end
  return name
end
local pow = 1
for l = 0, 7 do
  local c = math.floor(cur / pow)
  local t = tile(l, c)
  if not t or redis.call('STRLEN', t) ~= (c % 256) * 32 then
    return redis.error_reply('audit tree out of step with the log')
  end
  if c < 256 then break end
  pow = pow * 256
end
for i = done + 1, k do
  local idx = want + i - 1
  local m = #ARGV[at[i] + 3] / 32
  local p2 = 1
  for j = 0, m - 1 do
    if (idx + 1) % p2 ~= 0 or not tile(j, math.floor(idx / p2)) then
      return redis.error_reply('audit tree hashes out of step with the entries')
    end
    p2 = p2 * 256
  end
  if m < 1 or m ~= math.floor(m) or (idx + 1) % p2 == 0 then
    return redis.error_reply('audit tree hashes out of step with the entries')
  end
end
local written, code, refused = done, 0, false
local ids, adds, order = {}, {}, {}
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
  local idx, h, p2 = want + i - 1, ARGV[b + 3], 1
  for j = 0, #h / 32 - 1 do
    local t = tile(j, math.floor(idx / p2))
    if not adds[t] then
      adds[t] = {}
      order[#order + 1] = t
    end
    local a = adds[t]
    a[#a + 1] = string.sub(h, j * 32 + 1, j * 32 + 32)
    p2 = p2 * 256
  end
  written = i
end
if written > done then
  for j = 1, #ids, 1000 do
    redis.call('HSET', KEYS[4], unpack(ids, j, math.min(j + 999, #ids)))
  end
  for _, t in ipairs(order) do redis.call('APPEND', t, table.concat(adds[t])) end
  redis.call('HSET', KEYS[1], 'n', want + written, 'leaf', ARGV[at[written] + 1])
  if claim then redis.call('HDEL', KEYS[1], 'turn', 'until') end
end
if refused then return {3, want, written, 0} end
if code ~= 0 then return {2, want, written, code} end
return {1, want, written, 0}
