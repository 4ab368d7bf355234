-- The last step of a join, on the account's slot: the seq the join got becomes the account's place,
-- unless the account holds another place by now (then that one stands and the caller ends the seq).
-- KEYS[1] the account's place key for the event
-- ARGV[1] join id, ARGV[2] the seq it was given
-- Returns {seq the account holds, 1 when it is this join's}; {0, 0} when another join holds the mark
-- (this one's lapsed meanwhile): reserve again and finish that one.
-- @include "place_settle"
return {place_settle(KEYS[1], ARGV[1], ARGV[2])}
