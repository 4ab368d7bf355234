-- Marks a range of places admitted: each place someone holds becomes an active shopper until the
-- window end, and takes a shopper slot until the end of its arrival grace (longer once its holder
-- shows up: see queue_active_until). Places nobody holds (left, or never given: the unused rest of a
-- block lost with Redis's data) take no shopper slot; a place given before the last rebuild is
-- activated when its holder shows up (queue_claim). Idempotent: places at or below `applied` are
-- skipped.
-- KEYS[1] queue meta hash, KEYS[2] active sorted set, KEYS[3] members set, KEYS[4] occupied sorted set
-- ARGV[1] watermark before, ARGV[2] watermark after, ARGV[3] window end (ms), ARGV[4] grace end (ms),
-- ARGV[5..] the seq at each place from ARGV[1] + 1 to ARGV[2], in order
-- Returns 1, or code.metaMissing when the meta hash is missing (rebuild first).
-- @include "codes"
local applied = redis.call('HGET', KEYS[1], 'applied')
if not applied then return code.metaMissing end
applied = tonumber(applied)
local from = tonumber(ARGV[1])
for i = 5, #ARGV do
  if from + i - 4 > applied and redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[i])
    redis.call('ZADD', KEYS[4], ARGV[4], ARGV[i])
  end
end
if tonumber(ARGV[2]) > applied then redis.call('HSET', KEYS[1], 'applied', ARGV[2]) end
return 1
