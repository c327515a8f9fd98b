-- updateCaseScript (after case_index.lua) in scripts.go says what it takes and returns.
local old = redis.call('GET', KEYS[1])
if not old then return 0 end
local prevdoc = cjson.decode(old)
local prev = prevdoc['subject_ref']
if prev ~= ARGV[3] then
  redis.call('SREM', ARGV[4] .. prev .. ':cases', ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1])
local seq = redis.call('ZSCORE', KEYS[3], ARGV[2])
reindex(ARGV[5], ARGV[2], seq, prevdoc, cjson.decode(ARGV[1]))
return 1
