-- The account's place, or the join getting it (see queue_place_reserve.lua): returns seq, '' when the
-- account holds a place; 0, the join id to finish otherwise (the key is marked with join_id if it
-- held nothing).
local function place_reserve(key, join_id, ttl_ms)
  local value = redis.call('GET', key)
  if not value then
    redis.call('SET', key, 'join:' .. join_id, 'PX', ttl_ms)
    return 0, join_id
  end
  local pending = string.match(value, '^join:(.+)$')
  if pending then return 0, pending end
  return tonumber(value), ''
end
