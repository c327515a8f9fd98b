-- Gives a claim up only while it is still the caller's.
-- KEYS: the claim. ARGV: the caller's token.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
