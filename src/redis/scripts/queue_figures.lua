-- Reads the counts the organizer's dashboard shows, changing nothing (a dashboard must not create
-- or rebuild a queue; the advancer does that within a tick).
-- KEYS[1] queue meta hash, KEYS[2] occupied sorted set
-- ARGV[1] now (ms)
-- Returns {last seq given, shoppers taking a slot after now (arrived, or within the arrival grace)};
-- {0, 0} when the meta hash is missing (nobody joined yet, or Redis lost its data and no node has
-- rebuilt it yet).
local counter = redis.call('HGET', KEYS[1], 'counter')
if not counter then return {0, 0} end
return {tonumber(counter), redis.call('ZCOUNT', KEYS[2], '(' .. ARGV[1], '+inf')}
