-- Counts the shopper slots taken, dropping shoppers whose window has ended and places whose holder
-- did not show up within the arrival grace (they stay admitted in `active`, but take no slot).
-- KEYS[1] active sorted set, KEYS[2] queue meta hash, KEYS[3] occupied sorted set
-- ARGV[1] now (ms)
-- Returns the count, or code.metaMissing when the meta hash is missing (rebuild first).
-- @include "codes"
if redis.call('EXISTS', KEYS[2]) == 0 then return code.metaMissing end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[3])
