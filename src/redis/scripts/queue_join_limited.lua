-- queue_join_one with the join's rate limits counted first, in the same script: a new join on one Redis
-- is one round trip (docs/scaling.md). Counts as the rate-limit plugin's store does (rate_hit), so the
-- counters are the ones the plugin's hook would count; every limit is counted, over or not, as the hook's
-- parallel checks do.
-- KEYS[1] to KEYS[4] as queue_join_one; KEYS[5] and KEYS[6] the join's two counters (per IP, per account)
-- ARGV[1] to ARGV[3] as queue_join_one; ARGV[4] the limits' window (ms); ARGV[5] and ARGV[6] their maxima
-- Returns what queue_join_one returns, or {code.rateLimited, ms until the longest exceeded window resets}
-- (nothing else done).
-- @include "freeze_at_start"
-- @include "codes"
-- @include "rate_hit"
-- @include "place_reserve"
-- @include "join_seq"
-- @include "place_settle"
local wait_ms = -1
for i, key in ipairs({KEYS[5], KEYS[6]}) do
  local count, ttl = rate_hit(key, ARGV[4])
  if count > tonumber(ARGV[4 + i]) and ttl > wait_ms then wait_ms = ttl end
end
if wait_ms >= 0 then return {code.rateLimited, wait_ms} end
local held, join_id = place_reserve(KEYS[1], ARGV[1], ARGV[2])
if held > 0 then return {held, 0} end
if join_id ~= ARGV[1] then return {code.joinInFlight, 0} end
local seq, created = join_seq(KEYS[2], KEYS[3], KEYS[4], ARGV[3], ARGV[2])
if seq <= 0 then return {seq, 0} end
place_settle(KEYS[1], join_id, seq)
return {seq, created}
