-- The holders of many places showed up at once (a tick admitted the live sockets of a node): one
-- call instead of one per socket. Keys as includes/arrive_place.lua.
-- ARGV[1] now (ms), then pairs: seq, index in line when the caller sees it admitted (else 0)
-- Returns one arrive_place answer per pair, in order; code.metaMissing when the meta hash is missing.
-- @include "codes"
-- @include "arrive_place"
if redis.call('EXISTS', KEYS[2]) == 0 then return code.metaMissing end
local answers = {}
for i = 2, #ARGV, 2 do
  answers[#answers + 1] = arrive_place(ARGV[i], ARGV[1], ARGV[i + 1])
end
return answers
