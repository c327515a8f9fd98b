-- eraseScript in scripts.go says what it takes and returns.
local dk = redis.call('GET', KEYS[2])
local found = dk or redis.call('EXISTS', KEYS[3], KEYS[4], KEYS[5], KEYS[6]) > 0
for _, a in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  if redis.call('HGET', KEYS[1], a) == ARGV[1] then
    redis.call('HDEL', KEYS[1], a)
  end
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
if dk then return dk end
if found then return '' end
return false
