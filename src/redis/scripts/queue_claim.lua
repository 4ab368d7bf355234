-- Makes a place its holder's place again on the event's slot, now that the holder showed its token
-- (status, live socket, hold, or a join or leave that presents it) and the account's slot does not
-- name it (Redis lost it with its data): the caller then re-seeds account -> seq (queue_place_keep).
-- One place per account: if the account holds another place, the older of the two stays and the
-- newer ends. A place whose holder left or checked out (PostgreSQL's departures), or whose window is
-- over, ends instead.
-- KEYS[1] queue meta hash, KEYS[2] members set, KEYS[3] departed set, KEYS[4] active sorted set,
-- KEYS[5] occupied sorted set
-- ARGV[1] the account's place on its own slot ('' when none), ARGV[2] seq, ARGV[3] 1 when PostgreSQL
-- records that the account left after this place was given, ARGV[4] window end (ms) when the
-- admission log says the place was admitted, '' while it waits, ARGV[5] now (ms), ARGV[6] the
-- place's index in line ('' before the draw)
-- Returns the window end when admitted (its holder is here: arrived), 0 when held and still waiting,
-- code.placeEnded when the place has ended, code.metaMissing when the meta hash is missing (rebuild
-- first), code.readAgain when the place
-- was read as waiting but its admission has been applied since (read PostgreSQL again).
-- @include "codes"
if redis.call('EXISTS', KEYS[1]) == 0 then return code.metaMissing end
local seq = ARGV[2]
if ARGV[4] == '' then
  local applied = tonumber(redis.call('HGET', KEYS[1], 'applied') or '0')
  if (ARGV[6] == '' and applied > 0) or (ARGV[6] ~= '' and applied >= tonumber(ARGV[6])) then return code.readAgain end
end

local function finish(place)
  redis.call('SADD', KEYS[3], place)
  redis.call('SREM', KEYS[2], place)
  redis.call('ZREM', KEYS[4], place)
  redis.call('ZREM', KEYS[5], place)
end

if redis.call('SISMEMBER', KEYS[3], seq) == 1 then return code.placeEnded end
local owner = ARGV[1] ~= '' and ARGV[1] or nil
if owner ~= seq then
  local over = ARGV[4] ~= '' and tonumber(ARGV[4]) <= tonumber(ARGV[5])
  if ARGV[3] == '1' or over or (owner and tonumber(owner) < tonumber(seq)) then
    finish(seq)
    return code.placeEnded
  end
  if owner then finish(owner) end
  redis.call('SADD', KEYS[2], seq)
end
if ARGV[4] == '' then return 0 end
redis.call('ZADD', KEYS[4], 'NX', ARGV[4], seq)
local score = redis.call('ZSCORE', KEYS[4], seq)
if tonumber(score) > tonumber(ARGV[5]) then redis.call('ZADD', KEYS[5], score, seq) end
return tonumber(score)
