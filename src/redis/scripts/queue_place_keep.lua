-- A place claimed after a loss (queue_claim) becomes the account's place on the account's slot,
-- unless the account holds an older one (one place per account: the older stays). Replaces a join's
-- mark: that join then finds this place and ends its own seq.
-- KEYS[1] the account's place key for the event
-- ARGV[1] seq
-- Returns the seq the account holds now (ARGV[1], or the older place that stays).
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 5) ~= 'join:' and tonumber(value) <= tonumber(ARGV[1]) then return tonumber(value) end
redis.call('SET', KEYS[1], ARGV[1])
return tonumber(ARGV[1])
