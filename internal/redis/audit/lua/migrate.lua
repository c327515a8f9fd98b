-- migrateScript in scripts.go says what it takes and returns.
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'n') or '0') ~= tonumber(ARGV[1]) or redis.call('STRLEN', KEYS[2]) ~= tonumber(ARGV[2]) then
  return redis.error_reply('the log changed while its tree was moved into tiles')
end
for i = 3, #KEYS do
  if redis.call('STRLEN', KEYS[i]) ~= tonumber(ARGV[i]) then
    return redis.error_reply('a tile is out of step with the tree string')
  end
end
redis.call('DEL', KEYS[2])
return 1
