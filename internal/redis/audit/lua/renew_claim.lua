-- Extends a claim only while it is still the caller's.
-- KEYS: the claim. ARGV: the caller's token, the new time to live in ms.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
