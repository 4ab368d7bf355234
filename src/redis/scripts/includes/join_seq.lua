-- The seq of one join on the event's slot, idempotent by the join's key (see queue_join.lua): returns
-- seq, created (1|0), or a code (code.metaMissing, code.blockUsedUp), 0. Needs "codes" and
-- "freeze_at_start" included before it.
local function join_seq(meta, members, join_key, starts_at_ms, ttl_ms)
  local given = redis.call('GET', join_key)
  if given then return tonumber(given), 0 end
  local counter = redis.call('HGET', meta, 'counter')
  if not counter then return code.metaMissing, 0 end
  counter = tonumber(counter)
  if counter >= tonumber(redis.call('HGET', meta, 'blockEnd')) then return code.blockUsedUp, 0 end
  freeze_at_start(meta, counter, starts_at_ms)
  local seq = redis.call('HINCRBY', meta, 'counter', 1)
  redis.call('SADD', members, seq)
  redis.call('SET', join_key, seq, 'PX', ttl_ms)
  return seq, 1
end
