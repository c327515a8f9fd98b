-- rosterRecordsScript in scripts.go says what it takes and returns.
local on = false
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('ZSCORE', KEYS[2], id) then on = true break end
end
if not on then return false end
local ids = redis.call('LRANGE', KEYS[3], 0, -1)
if #ids == 0 then return {{}, {}} end
return {ids, redis.call('HMGET', KEYS[4], unpack(ids))}
