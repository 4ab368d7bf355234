-- A user leaves the line or ends shopping: frees the place (and an active-shopper slot).
-- KEYS[1] users hash, KEYS[2] departed set, KEYS[3] active sorted set, KEYS[4] members set,
-- KEYS[5] occupied sorted set, KEYS[6] queue meta hash
-- ARGV[1] user id
-- Returns {seq freed or 0 when Redis knows no place of the user, last seq given}: every place of the
-- user up to the latter has ended (the caller records that in PostgreSQL); {0, code.metaMissing} when the meta hash
-- is missing (rebuild first: the last seq given is not known).
-- @include "codes"
local counter = redis.call('HGET', KEYS[6], 'counter')
if not counter then return {0, code.metaMissing} end
local seq = redis.call('HGET', KEYS[1], ARGV[1])
if not seq then return {0, tonumber(counter)} end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[4], seq)
redis.call('SADD', KEYS[2], seq)
redis.call('ZREM', KEYS[3], seq)
redis.call('ZREM', KEYS[5], seq)
return {tonumber(seq), tonumber(counter)}
