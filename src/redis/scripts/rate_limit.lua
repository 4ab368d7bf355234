-- Fixed-window counter.
-- KEYS[1] counter key
-- ARGV[1] window (ms)
-- Returns {hits in this window, ms until the window ends}.
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}
