-- Takes or renews the advancer lease of one event: one holder at a time, expiring unless renewed.
-- KEYS[1] lease key
-- ARGV[1] node id, ARGV[2] lease time (ms)
-- Returns 1 when this node holds the lease, 0 otherwise.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
