-- lookupScript in scripts.go says what it takes and returns.
local ref, links = false, {}
for i = 3, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  links[i - 2] = v or ''
  if v and not ref then ref = v end
end
if not ref then ref = ARGV[2] end
return {ref, links, redis.call('GET', ARGV[1] .. ref .. ':datakey')}
