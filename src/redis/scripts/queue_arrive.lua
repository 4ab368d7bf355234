-- The holder of a place showed up (status check, live socket, hold): returns its window end and, if
-- the window is open, marks it arrived, so it takes a shopper slot until the window ends (again, if
-- the arrival grace had passed and the advancer let someone else in meanwhile).
-- A place given before the last rebuild that nobody has shown since (not in `members`, not ended)
-- is not answered here: its holder's account, departures and admission live in PostgreSQL, so the
-- caller claims it (queue_claim) once, after which it is an ordinary place.
-- KEYS[1] active sorted set, KEYS[2] queue meta hash, KEYS[3] departed set, KEYS[4] occupied sorted set,
-- KEYS[5] members set
-- ARGV[1] seq, ARGV[2] now (ms), ARGV[3] the place's index in line when the caller's view of the
-- watermark says it is admitted, else 0
-- Returns {window end ms or '', 1 when the place must be claimed first, else 0}; code.metaMissing when the meta
-- hash is missing (rebuild first); code.admissionPending when the caller knows the place admitted and
-- Redis has not applied that admission yet (the advancer commits the watermark to PostgreSQL first).
-- @include "codes"
if redis.call('EXISTS', KEYS[2]) == 0 then return code.metaMissing end
local horizon = tonumber(redis.call('HGET', KEYS[2], 'horizon') or '0')
if tonumber(ARGV[1]) <= horizon and redis.call('SISMEMBER', KEYS[5], ARGV[1]) == 0 then
  if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return {'', 0} end
  return {'', 1}
end
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then
  if tonumber(ARGV[3]) > tonumber(redis.call('HGET', KEYS[2], 'applied') or '-1') then return code.admissionPending end
  return {'', 0}
end
if tonumber(score) > tonumber(ARGV[2]) and redis.call('ZSCORE', KEYS[4], ARGV[1]) ~= score then
  redis.call('ZADD', KEYS[4], score, ARGV[1])
end
return {score, 0}
