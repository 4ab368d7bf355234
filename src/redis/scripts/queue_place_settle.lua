-- The last step of a join, on the account's slot: the seq the join got becomes the account's place,
-- unless the account holds another place by now (then that one stands and the caller ends the seq).
-- KEYS[1] the account's place key for the event
-- ARGV[1] join id, ARGV[2] the seq it was given
-- Returns {seq the account holds, 1 when it is this join's}; {0, 0} when another join holds the mark
-- (this one's lapsed meanwhile): reserve again and finish that one.
local value = redis.call('GET', KEYS[1])
if not value or value == 'join:' .. ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return {tonumber(ARGV[2]), 1}
end
if string.sub(value, 1, 5) == 'join:' then return {0, 0} end
return {tonumber(value), tonumber(value) == tonumber(ARGV[2]) and 1 or 0}
