-- Freezes the pre-queue at the on-sale start (if no join did it first) and reports the counters.
-- KEYS[1] queue meta hash
-- ARGV[1] on-sale start (ms since epoch)
-- Returns {counter, frozen or -1, applied}; {code.metaMissing, -1, -1} when the meta hash is missing.
-- @include "freeze_at_start"
-- @include "codes"
local counter = redis.call('HGET', KEYS[1], 'counter')
if not counter then return {code.metaMissing, -1, -1} end
freeze_at_start(KEYS[1], counter, ARGV[1])
local frozen = redis.call('HGET', KEYS[1], 'frozen')
return {tonumber(counter), tonumber(frozen or '-1'), tonumber(redis.call('HGET', KEYS[1], 'applied'))}
