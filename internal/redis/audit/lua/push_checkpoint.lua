-- pushScript in scripts.go says what it takes and returns.
local cp = tonumber(redis.call('HGET', KEYS[1], 'cp') or '-1')
if cp >= tonumber(ARGV[1]) then return 0 end
local n = redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'cp', ARGV[1])
return n
