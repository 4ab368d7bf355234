-- Gives a join of an account its seq on the event's slot: the second step of a join, after the
-- account's place was marked with the join's id (queue_place_reserve) on the account's slot.
-- Idempotent by the join's id: every call for one id (a retry, or a concurrent join of the same
-- account that found the mark) gets the same seq while the join key lives.
-- KEYS[1] queue meta hash, KEYS[2] members set, KEYS[3] this join's key
-- ARGV[1] on-sale start (ms since epoch), ARGV[2] how long the join key lives (ms)
-- Returns {seq, created (1|0)}; {code.blockUsedUp, 0} when the reserved block is used up (reserve another);
-- {code.metaMissing, 0} when the meta hash is missing (new queue, or Redis lost its data: rebuild first).
-- The pre-queue is frozen here, atomically with the first join at or after the start, so a join
-- is in the pre-queue exactly when it got its seq before the start by Redis's clock.
-- @include "freeze_at_start"
-- @include "codes"
local given = redis.call('GET', KEYS[3])
if given then return {tonumber(given), 0} end
local counter = redis.call('HGET', KEYS[1], 'counter')
if not counter then return {code.metaMissing, 0} end
counter = tonumber(counter)
if counter >= tonumber(redis.call('HGET', KEYS[1], 'blockEnd')) then return {code.blockUsedUp, 0} end
freeze_at_start(KEYS[1], counter, ARGV[1])
local seq = redis.call('HINCRBY', KEYS[1], 'counter', 1)
redis.call('SADD', KEYS[2], seq)
redis.call('SET', KEYS[3], seq, 'PX', ARGV[2])
return {seq, 1}
