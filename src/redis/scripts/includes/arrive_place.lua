-- One place's holder showed up (status check, live socket, hold): returns {window end ms or '', 1
-- when the place must be claimed first, else 0}, or code.admissionPending. Marks the place arrived
-- when its window is open, so it takes a shopper slot until the window ends (again, if the arrival
-- grace had passed and the advancer let someone else in meanwhile).
-- A place given before the last rebuild that nobody has shown since (not in `members`, not ended) is
-- not answered here: its holder's account, departures and admission live in PostgreSQL, so the
-- caller claims it (queue_claim) once, after which it is an ordinary place.
-- Shared by queue_arrive (one place) and queue_arrive_many (a live tick's admitted sockets), which
-- check first that the meta hash exists. Their keys: KEYS[1] active sorted set, KEYS[2] queue meta
-- hash, KEYS[3] departed set, KEYS[4] occupied sorted set, KEYS[5] members set.
-- seq; now (ms); admitted_index: the place's index in line when the caller's view of the watermark
-- says it is admitted, else 0.
local function arrive_place(seq, now, admitted_index)
  local horizon = tonumber(redis.call('HGET', KEYS[2], 'horizon') or '0')
  if tonumber(seq) <= horizon and redis.call('SISMEMBER', KEYS[5], seq) == 0 then
    if redis.call('SISMEMBER', KEYS[3], seq) == 1 then return {'', 0} end
    return {'', 1}
  end
  local score = redis.call('ZSCORE', KEYS[1], seq)
  if not score then
    if tonumber(admitted_index) > tonumber(redis.call('HGET', KEYS[2], 'applied') or '-1') then return code.admissionPending end
    return {'', 0}
  end
  if tonumber(score) > tonumber(now) and redis.call('ZSCORE', KEYS[4], seq) ~= score then
    redis.call('ZADD', KEYS[4], score, seq)
  end
  return {score, 0}
end
