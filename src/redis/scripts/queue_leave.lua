-- A user leaves the line or ends shopping: frees the place (and an active-shopper slot).
-- KEYS[1] users hash, KEYS[2] departed set, KEYS[3] active sorted set, KEYS[4] members set,
-- KEYS[5] occupied sorted set
-- ARGV[1] user id
-- Returns the seq freed, or 0 when the user had no place.
local seq = redis.call('HGET', KEYS[1], ARGV[1])
if not seq then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[4], seq)
redis.call('SADD', KEYS[2], seq)
redis.call('ZREM', KEYS[3], seq)
redis.call('ZREM', KEYS[5], seq)
return tonumber(seq)
