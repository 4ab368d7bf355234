-- The first step of a leave, on the account's slot: forgets the account's place (the event's slot
-- then ends it: queue_leave). A join in flight is left alone: it finishes after the leave.
-- KEYS[1] the account's place key for the event
-- Returns the seq taken, or 0 when the account holds no place.
local value = redis.call('GET', KEYS[1])
if not value or string.sub(value, 1, 5) == 'join:' then return 0 end
redis.call('DEL', KEYS[1])
return tonumber(value)
