-- One hit on a rate-limit counter, as @fastify/rate-limit's Redis store counts (src/features/ratelimit):
-- INCR, and PEXPIRE to the window when the counter is new. Returns the count and the ms until it resets.
local function rate_hit(key, window_ms)
  local count = redis.call('INCR', key)
  if count == 1 then
    redis.call('PEXPIRE', key, window_ms)
    return count, tonumber(window_ms)
  end
  return count, redis.call('PTTL', key)
end
