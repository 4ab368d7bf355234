/**
 * Design 1: an optimistic version column with retry, as much open-source booking code does. A hold reads
 * `available, version`, then writes `where version = $read`; a lost race is retried, and after
 * OPTIMISTIC_RETRIES lost races the buyer is told `conflict` while stock remains. Returning lapsed stock
 * goes through the same version check, with the same retries: when they run out, the stock is not returned.
 */
import { randomUUID } from 'node:crypto';
import type { Tx } from '../../src/db/database.js';
import { createTables, serveStrategy, tableAccounting } from './kit.js';

const retries = Number(process.env.OPTIMISTIC_RETRIES ?? 3);

await serveStrategy('optimistic', async ({ db, stock, holdTtlSeconds }) => {
  await createTables(db);
  await db.exec(`create table strategy_stock (id integer primary key, available integer not null check (available >= 0), version integer not null);
                 insert into strategy_stock values (1, ${Number(stock)}, 0);`);
  const read = async () => (await db.query<{ available: number; version: number }>('select available, version from strategy_stock where id = 1')).rows[0]!;
  /** Applies `delta` to the stock if nobody wrote since `version`, with `then` in the same transaction. */
  const writeIfUnchanged = (version: number, delta: number, then: (tx: Tx) => Promise<unknown>) => db.transaction(async (tx) => {
    const updated = await tx.query('update strategy_stock set available = available + $2, version = version + 1 where id = 1 and version = $1', [version, delta]);
    if (updated.rowCount === 0) return false;
    await then(tx);
    return true;
  });

  return {
    async hold(userId, quantity) {
      for (let attempt = 0; attempt <= retries; attempt++) {
        const { available, version } = await read();
        if (available < quantity) return { held: false, code: 'sold_out' };
        const holdId = randomUUID();
        const expiresAt = new Date(Date.now() + holdTtlSeconds * 1000);
        const won = await writeIfUnchanged(version, -quantity, (tx) =>
          tx.query(`insert into strategy_holds (id, user_id, quantity, status, expires_at) values ($1, $2, $3, 'active', $4)`, [holdId, userId, quantity, expiresAt]));
        if (won) return { held: true, holdId, expiresAt };
      }
      return { held: false, code: 'conflict' };
    },
    async checkout(userId, holdId) {
      return db.transaction(async (tx) => {
        const sold = await tx.query<{ quantity: number }>(`update strategy_holds set status = 'converted' where id = $1 and user_id = $2 and status = 'active' and expires_at > now() returning quantity`, [holdId, userId]);
        if (!sold.rows[0]) return 'expired';
        await tx.query('insert into strategy_orders (id, hold_id, user_id, quantity) values ($1, $2, $3, $4)', [randomUUID(), holdId, userId, sold.rows[0].quantity]);
        return 'converted';
      });
    },
    async release(userId, holdId) {
      const { rows } = await db.query<{ quantity: number }>(`update strategy_holds set status = 'released' where id = $1 and user_id = $2 and status = 'active' returning quantity`, [holdId, userId]);
      if (!rows[0]) return false;
      await giveBack(rows[0].quantity);
      return true;
    },
    async sweep() {
      const { rows } = await db.query<{ quantity: number }>(`update strategy_holds set status = 'expired' where status = 'active' and expires_at <= now() returning quantity`);
      for (const { quantity } of rows) await giveBack(quantity);
    },
    available: async () => (await read()).available,
    accounting: async () => ({ ...(await tableAccounting(db)), available: (await read()).available }),
  };

  async function giveBack(quantity: number): Promise<void> {
    for (let attempt = 0; attempt <= retries; attempt++) {
      const { version } = await read();
      if (await writeIfUnchanged(version, quantity, async () => undefined)) return;
    }
  }
});
