-- Gives a user a place, or the place the user already has (one place per account).
-- KEYS[1] queue meta hash, KEYS[2] users hash, KEYS[3] members set
-- ARGV[1] user id, ARGV[2] on-sale start (ms since epoch)
-- Returns {seq, created (1|0)}; {code.blockUsedUp, 0} when the reserved block is used up (reserve another);
-- {code.metaMissing, 0} when the meta hash is missing (new queue, or Redis lost its data: rebuild first).
-- The pre-queue is frozen here, atomically with the first join at or after the start, so a join
-- is in the pre-queue exactly when it got its seq before the start by Redis's clock.
-- @include "freeze_at_start"
-- @include "codes"
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then return {tonumber(existing), 0} end
local counter = redis.call('HGET', KEYS[1], 'counter')
if not counter then return {code.metaMissing, 0} end
counter = tonumber(counter)
if counter >= tonumber(redis.call('HGET', KEYS[1], 'blockEnd')) then return {code.blockUsedUp, 0} end
freeze_at_start(KEYS[1], counter, ARGV[2])
local seq = redis.call('HINCRBY', KEYS[1], 'counter', 1)
redis.call('HSET', KEYS[2], ARGV[1], seq)
redis.call('SADD', KEYS[3], seq)
return {seq, 1}
