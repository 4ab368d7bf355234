-- Activates a place given before the last rebuild whose admission (found in PostgreSQL's log) came
-- after it: its holder has just shown up, so it is an arrived shopper for the rest of its window; or,
-- with the window over, remembers that it is over.
-- KEYS[1] active sorted set, KEYS[2] occupied sorted set, KEYS[3] departed set
-- ARGV[1] seq, ARGV[2] window end (ms), ARGV[3] now (ms)
-- Returns 1 when activated, 0 when the window is over.
if tonumber(ARGV[2]) <= tonumber(ARGV[3]) then
  redis.call('SADD', KEYS[3], ARGV[1])
  return 0
end
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 1 then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) end
return 1
