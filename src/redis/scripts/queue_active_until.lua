-- The window end of one shopper.
-- KEYS[1] active sorted set, KEYS[2] queue meta hash
-- ARGV[1] seq
-- Returns the window end (ms) as a string, '' when not active, or false when the meta is missing.
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
return redis.call('ZSCORE', KEYS[1], ARGV[1]) or ''
