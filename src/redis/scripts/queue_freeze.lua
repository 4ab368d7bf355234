-- Freezes the pre-queue at the on-sale start (if no join did it first) and reports the counters.
-- KEYS[1] queue meta hash
-- ARGV[1] on-sale start (ms since epoch)
-- Returns {counter, frozen or -1, applied}; {-1, -1, -1} when the meta hash is missing.
local counter = redis.call('HGET', KEYS[1], 'counter')
if not counter then return {-1, -1, -1} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(ARGV[1]) and redis.call('HEXISTS', KEYS[1], 'frozen') == 0 then
  redis.call('HSET', KEYS[1], 'frozen', counter)
end
local frozen = redis.call('HGET', KEYS[1], 'frozen')
return {tonumber(counter), tonumber(frozen or '-1'), tonumber(redis.call('HGET', KEYS[1], 'applied'))}
