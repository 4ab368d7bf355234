-- A join's seq becomes the account's place (see queue_place_settle.lua): returns the seq the account
-- holds, 1 when it is this join's; 0, 0 when another join holds the mark.
local function place_settle(key, join_id, seq)
  local value = redis.call('GET', key)
  if not value or value == 'join:' .. join_id then
    redis.call('SET', key, seq)
    return tonumber(seq), 1
  end
  if string.sub(value, 1, 5) == 'join:' then return 0, 0 end
  return tonumber(value), tonumber(value) == tonumber(seq) and 1 or 0
end
