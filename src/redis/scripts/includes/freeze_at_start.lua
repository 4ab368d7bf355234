-- Freezes the pre-queue at the on-sale start, by Redis's clock, unless it is frozen already: the
-- pre-queue is every place given before the start, so its size is the counter at that moment.
-- Shared by queue_join (the first join at or after the start freezes it, atomically with its seq)
-- and queue_freeze (the advancer, when nobody joined after the start).
local function freeze_at_start(meta, counter, starts_at_ms)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now >= tonumber(starts_at_ms) and redis.call('HEXISTS', meta, 'frozen') == 0 then
    redis.call('HSET', meta, 'frozen', counter)
  end
end
