/**
 * Design 3: stock in Redis (`DECRBY`, given back with `INCRBY` when it went below zero), holds in Redis
 * with their expiry in a sorted set, and PostgreSQL written behind (a list drained every 200 ms). Expiry
 * refill: a sweeper takes lapsed holds from the sorted set and `INCRBY`s their quantity back. Checkout
 * reads the hold from Redis, writes the order to PostgreSQL, then deletes the hold: nothing ties the
 * sweeper's refill and the checkout's sale together, and a request that sends the counter below zero
 * makes others fail while it gives its units back.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTables, serveStrategy, tableAccounting } from './kit.js';

const writeBehindMs = 200;
const writeBehindBatch = 500;

await serveStrategy('redis-decrby', async ({ db, stock, holdTtlSeconds }) => {
  await createTables(db);
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = process.env.REDIS_KEY_PREFIX ?? `strategy:${randomUUID()}:`;
  const keys = { stock: `${prefix}stock`, expiry: `${prefix}expiry`, writes: `${prefix}writes`, hold: (id: string) => `${prefix}hold:${id}` };
  await redis.set(keys.stock, stock);

  type Write = { kind: 'hold'; id: string; userId: string; quantity: number; expiresAt: string } | { kind: 'status'; id: string; status: string };
  const writeBehind = (write: Write) => redis.rpush(keys.writes, JSON.stringify(write));
  async function drain(): Promise<void> {
    for (;;) {
      const batch = (await redis.lpop(keys.writes, writeBehindBatch)) ?? [];
      if (batch.length === 0) return;
      for (const write of batch.map((w) => JSON.parse(w) as Write)) {
        if (write.kind === 'hold') {
          await db.query(`insert into strategy_holds (id, user_id, quantity, status, expires_at) values ($1, $2, $3, 'active', $4) on conflict (id) do nothing`, [write.id, write.userId, write.quantity, write.expiresAt]);
        } else {
          await db.query('update strategy_holds set status = $2 where id = $1', [write.id, write.status]);
        }
      }
    }
  }
  let draining = Promise.resolve();
  const drainer = setInterval(() => (draining = draining.then(drain).catch((error: unknown) => console.error('write-behind failed', error))), writeBehindMs);

  return {
    async hold(userId, quantity) {
      if ((await redis.decrby(keys.stock, quantity)) < 0) {
        await redis.incrby(keys.stock, quantity);
        return { held: false, code: 'sold_out' };
      }
      const holdId = randomUUID();
      const expiresAt = new Date(Date.now() + holdTtlSeconds * 1000);
      // The hold outlives its expiry by a minute so the sweeper can still read its quantity.
      await redis.multi().set(keys.hold(holdId), JSON.stringify({ userId, quantity, expiresAt: expiresAt.getTime() }), 'EX', holdTtlSeconds + 60)
        .zadd(keys.expiry, expiresAt.getTime(), holdId).exec();
      await writeBehind({ kind: 'hold', id: holdId, userId, quantity, expiresAt: expiresAt.toISOString() });
      return { held: true, holdId, expiresAt };
    },
    async checkout(userId, holdId) {
      const raw = await redis.get(keys.hold(holdId));
      if (!raw) return 'expired';
      const hold = JSON.parse(raw) as { userId: string; quantity: number; expiresAt: number };
      if (hold.userId !== userId) return 'not_found';
      if (hold.expiresAt <= Date.now()) return 'expired';
      await db.query('insert into strategy_orders (id, hold_id, user_id, quantity) values ($1, $2, $3, $4)', [randomUUID(), holdId, userId, hold.quantity]);
      await redis.multi().del(keys.hold(holdId)).zrem(keys.expiry, holdId).exec();
      await writeBehind({ kind: 'status', id: holdId, status: 'converted' });
      return 'converted';
    },
    async release(userId, holdId) {
      const raw = await redis.get(keys.hold(holdId));
      if (!raw || (JSON.parse(raw) as { userId: string }).userId !== userId) return false;
      await redis.multi().del(keys.hold(holdId)).zrem(keys.expiry, holdId).incrby(keys.stock, (JSON.parse(raw) as { quantity: number }).quantity).exec();
      await writeBehind({ kind: 'status', id: holdId, status: 'released' });
      return true;
    },
    async sweep() {
      for (const holdId of await redis.zrangebyscore(keys.expiry, 0, Date.now())) {
        const raw = await redis.get(keys.hold(holdId));
        if (raw) await redis.incrby(keys.stock, (JSON.parse(raw) as { quantity: number }).quantity);
        await redis.multi().del(keys.hold(holdId)).zrem(keys.expiry, holdId).exec();
        await writeBehind({ kind: 'status', id: holdId, status: 'expired' });
      }
    },
    available: async () => Math.max(0, Number(await redis.get(keys.stock))),
    async accounting() {
      // The write-behind must have caught up before the tables are read.
      await (draining = draining.then(drain));
      return { ...(await tableAccounting(db)), available: Number(await redis.get(keys.stock)) };
    },
    async close() {
      clearInterval(drainer);
      await draining;
      const leftovers = await redis.keys(`${prefix}*`);
      if (leftovers.length) await redis.del(...leftovers);
      redis.disconnect();
    },
  };
});
