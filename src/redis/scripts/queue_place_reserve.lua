-- The first step of a join, on the account's slot: the place the account holds, or the join that
-- is getting it. An account with neither is marked with this join's id (for a bounded time), so
-- concurrent joins of one account all finish the same join and get one seq (one place per account).
-- KEYS[1] the account's place key for the event
-- ARGV[1] a fresh join id, ARGV[2] how long the mark lives (ms)
-- Returns {seq, ''} when the account holds a place; {0, join id} of the join to finish (this one, or
-- one in flight).
local value = redis.call('GET', KEYS[1])
if not value then
  redis.call('SET', KEYS[1], 'join:' .. ARGV[1], 'PX', ARGV[2])
  return {0, ARGV[1]}
end
local pending = string.match(value, '^join:(.+)$')
if pending then return {0, pending} end
return {tonumber(value), ''}
