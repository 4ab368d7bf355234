-- Counts active shoppers, dropping those whose window has ended.
-- KEYS[1] active sorted set, KEYS[2] queue meta hash
-- ARGV[1] now (ms)
-- Returns the count, or -1 when the meta hash is missing (rebuild first).
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[1])
