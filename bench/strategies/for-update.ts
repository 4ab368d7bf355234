/**
 * Design 2: one `SELECT … FOR UPDATE` counter transaction per request. Correct (the row lock serializes
 * every hold, checkout and refill on the one stock row) but every request waits its turn for the lock
 * and holds it through a commit of its own.
 */
import { randomUUID } from 'node:crypto';
import { createTables, serveStrategy, tableAccounting } from './kit.js';

await serveStrategy('for-update', async ({ db, stock, holdTtlSeconds }) => {
  await createTables(db);
  await db.exec(`create table strategy_stock (id integer primary key, available integer not null check (available >= 0));
                 insert into strategy_stock values (1, ${Number(stock)});`);
  const available = async () => (await db.query<{ available: number }>('select available from strategy_stock where id = 1')).rows[0]!.available;
  return {
    hold: (userId, quantity) => db.transaction(async (tx) => {
      const { rows } = await tx.query<{ available: number }>('select available from strategy_stock where id = 1 for update');
      if (rows[0]!.available < quantity) return { held: false, code: 'sold_out' } as const;
      const holdId = randomUUID();
      const expiresAt = new Date(Date.now() + holdTtlSeconds * 1000);
      await tx.query('update strategy_stock set available = available - $1 where id = 1', [quantity]);
      await tx.query(`insert into strategy_holds (id, user_id, quantity, status, expires_at) values ($1, $2, $3, 'active', $4)`, [holdId, userId, quantity, expiresAt]);
      return { held: true, holdId, expiresAt } as const;
    }),
    checkout: (userId, holdId) => db.transaction(async (tx) => {
      const sold = await tx.query<{ quantity: number }>(`update strategy_holds set status = 'converted' where id = $1 and user_id = $2 and status = 'active' and expires_at > now() returning quantity`, [holdId, userId]);
      if (!sold.rows[0]) return 'expired';
      await tx.query('insert into strategy_orders (id, hold_id, user_id, quantity) values ($1, $2, $3, $4)', [randomUUID(), holdId, userId, sold.rows[0].quantity]);
      return 'converted';
    }),
    release: (userId, holdId) => db.transaction(async (tx) => {
      await tx.query('select 1 from strategy_stock where id = 1 for update');
      const { rows } = await tx.query<{ quantity: number }>(`update strategy_holds set status = 'released' where id = $1 and user_id = $2 and status = 'active' returning quantity`, [holdId, userId]);
      if (rows[0]) await tx.query('update strategy_stock set available = available + $1 where id = 1', [rows[0].quantity]);
      return rows[0] !== undefined;
    }),
    sweep: () => db.transaction(async (tx) => {
      await tx.query('select 1 from strategy_stock where id = 1 for update');
      await tx.query(`with lapsed as (update strategy_holds set status = 'expired' where status = 'active' and expires_at <= now() returning quantity)
                      update strategy_stock set available = available + (select coalesce(sum(quantity), 0) from lapsed) where id = 1`);
    }),
    available,
    accounting: async () => ({ ...(await tableAccounting(db)), available: await available() }),
  };
});
