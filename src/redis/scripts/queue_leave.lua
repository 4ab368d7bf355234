-- Ends a place on the event's slot (and frees its active-shopper slot): the second step of a leave,
-- after queue_place_take forgot it on the account's slot; also how a seq no account holds (a join
-- that lost to another of the same account) is ended. Idempotent.
-- KEYS[1] departed set, KEYS[2] active sorted set, KEYS[3] members set, KEYS[4] occupied sorted set,
-- KEYS[5] queue meta hash
-- ARGV[1] seq to end, 0 for none
-- Returns {seq ended or 0, last seq given}: every place of the user up to the latter has ended (the
-- caller records that in PostgreSQL); {0, code.metaMissing} when the meta hash is missing (rebuild
-- first: the last seq given is not known).
-- @include "codes"
local counter = redis.call('HGET', KEYS[5], 'counter')
if not counter then return {0, code.metaMissing} end
local seq = ARGV[1]
if seq == '0' then return {0, tonumber(counter)} end
redis.call('SREM', KEYS[3], seq)
redis.call('SADD', KEYS[1], seq)
redis.call('ZREM', KEYS[2], seq)
redis.call('ZREM', KEYS[4], seq)
return {tonumber(seq), tonumber(counter)}
