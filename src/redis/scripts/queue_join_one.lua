-- A whole join in one script, on one Redis (not a cluster: the account's key and the event's keys sit
-- in different slots): the three steps of queue_place_reserve, queue_join and queue_place_settle, in
-- one round trip. The caller keeps its join id across its retries, so the mark is its own.
-- KEYS[1] the account's place key, KEYS[2] queue meta hash, KEYS[3] members set, KEYS[4] this join's key
-- ARGV[1] join id, ARGV[2] how long the mark and the join key live (ms), ARGV[3] on-sale start (ms)
-- Returns {seq, created (1|0)}; {code.blockUsedUp or code.metaMissing, 0} (reserve or rebuild, then
-- call again with the same id); {code.joinInFlight, 0} when another join of the account holds the
-- mark (finish it with the three steps).
-- @include "freeze_at_start"
-- @include "codes"
-- @include "place_reserve"
-- @include "join_seq"
-- @include "place_settle"
local held, join_id = place_reserve(KEYS[1], ARGV[1], ARGV[2])
if held > 0 then return {held, 0} end
if join_id ~= ARGV[1] then return {code.joinInFlight, 0} end
local seq, created = join_seq(KEYS[2], KEYS[3], KEYS[4], ARGV[3], ARGV[2])
if seq <= 0 then return {seq, 0} end
place_settle(KEYS[1], join_id, seq)
return {seq, created}
