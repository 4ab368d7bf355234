-- The first step of a join, on the account's slot: the place the account holds, or the join that
-- is getting it. An account with neither is marked with this join's id (for a bounded time), so
-- concurrent joins of one account all finish the same join and get one seq (one place per account).
-- KEYS[1] the account's place key for the event
-- ARGV[1] a fresh join id, ARGV[2] how long the mark lives (ms)
-- Returns {seq, ''} when the account holds a place; {0, join id} of the join to finish (this one, or
-- one in flight).
-- @include "place_reserve"
return {place_reserve(KEYS[1], ARGV[1], ARGV[2])}
