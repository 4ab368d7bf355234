-- The holder of one place showed up: see includes/arrive_place.lua for the keys and the answer.
-- ARGV[1] seq, ARGV[2] now (ms), ARGV[3] the place's index in line when the caller's view of the
-- watermark says it is admitted, else 0
-- Returns arrive_place's answer; code.metaMissing when the meta hash is missing (rebuild first);
-- code.admissionPending when the caller knows the place admitted and Redis has not applied that
-- admission yet (the advancer commits the watermark to PostgreSQL first).
-- @include "codes"
-- @include "arrive_place"
if redis.call('EXISTS', KEYS[2]) == 0 then return code.metaMissing end
return arrive_place(ARGV[1], ARGV[2], ARGV[3])
