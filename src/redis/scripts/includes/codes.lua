-- The codes scripts answer instead of a result, the same in every script; src/redis/codes.ts mirrors
-- them (codes.test.ts evaluates this file in Redis and compares).
local code = {
  blockUsedUp = 0,   -- queue_join: the reserved block of places is used up (reserve another)
  placeEnded = -1,   -- queue_claim: the place has ended (its holder left, checked out, or its window is over)
  metaMissing = -2,  -- the queue's meta hash is missing: new queue, or Redis lost its data (rebuild first)
  readAgain = -3,    -- queue_claim: the admission moved since the caller read PostgreSQL (read again)
  reserveAgain = -4, -- queue_refill: the meta hash vanished after the block was reserved (reserve again)
  admissionPending = -5, -- queue_arrive: the place is admitted in PostgreSQL but not yet in Redis (apply, then ask again)
  joinInFlight = -6, -- queue_join_one: another join of the account holds its mark (finish that one step by step)
  rateLimited = -7,  -- queue_join_limited: a rate limit of the join is over (answer 429; nothing was done)
}
