-- The window end of one shopper.
-- KEYS[1] active sorted set, KEYS[2] queue meta hash, KEYS[3] departed set
-- ARGV[1] seq
-- Returns {window end ms or '', 1 if the seq was given before the last rebuild and has not left
-- (its holder may be admitted without being in the active set yet), else 0}; false when the meta
-- hash is missing (rebuild first).
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score then return {score, 0} end
local horizon = tonumber(redis.call('HGET', KEYS[2], 'horizon') or '0')
if tonumber(ARGV[1]) <= horizon and redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 0 then return {'', 1} end
return {'', 0}
