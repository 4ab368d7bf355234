-- Gives up a lease only if this node still holds it (compare and delete).
-- KEYS[1] lease key
-- ARGV[1] node id
-- Returns 1 when released, 0 when another node held it.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
