-- linkScript in scripts.go says what it takes and returns.
local ref = false
for i = 3, #ARGV do
  ref = redis.call('HGET', KEYS[1], ARGV[i])
  if ref then break end
end
if not ref then ref = ARGV[2] end
local set = ARGV[1] .. ref .. ':aliases'
for i = 3, #ARGV do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ref) == 1 then
    redis.call('SADD', set, ARGV[i])
  end
end
return ref
