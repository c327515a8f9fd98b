-- createCaseScript (after case_index.lua) in scripts.go says what it takes and returns.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
local n = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], n, ARGV[2])
redis.call('SADD', KEYS[4], ARGV[2])
reindex(ARGV[3], ARGV[2], n, nil, cjson.decode(ARGV[1]))
return 1
