-- Installs a block of sequence numbers reserved in PostgreSQL; rebuilds the queue after data loss.
-- KEYS[1] queue meta hash, KEYS[2] active sorted set, KEYS[3] occupied sorted set
-- ARGV[1] block end, ARGV[2] block size, ARGV[3] 1 when rebuilding: the caller saw the meta hash
-- missing before reserving the block, under the rebuild lock (only such a block is sure to lie beyond
-- every seq ever given, and to be the only one the queue restarts from), ARGV[4] frozen
-- pre-queue size from PostgreSQL or '', ARGV[5] admitted watermark from PostgreSQL,
-- ARGV[6..] pairs (seq, window end ms) of admitted shoppers whose window is still open. Who had
-- arrived was lost with the data, so each takes a shopper slot until its window ends, as if arrived:
-- the safe side for maxActiveShoppers (a no-show stalls its slot again, for at most one window).
-- Returns 1 when the queue was rebuilt, 0 when the block extended a live queue, code.reserveAgain when the meta is
-- missing but the block was reserved before that was seen (reserve again).
-- @include "codes"
if redis.call('EXISTS', KEYS[1]) == 1 then
  if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'blockEnd')) then
    redis.call('HSET', KEYS[1], 'blockEnd', ARGV[1])
  end
  return 0
end
if ARGV[3] ~= '1' then return code.reserveAgain end
local start = tonumber(ARGV[1]) - tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'counter', start, 'blockEnd', ARGV[1], 'applied', ARGV[5], 'horizon', start)
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'frozen', ARGV[4]) end
redis.call('DEL', KEYS[2], KEYS[3])
for i = 6, #ARGV, 2 do
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
  redis.call('ZADD', KEYS[3], ARGV[i + 1], ARGV[i])
end
return 1
