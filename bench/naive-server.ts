/**
 * The naive baseline of bench/holds.ts: an optimistic version-column hold, as some ticketing systems do.
 * Read `available, version`; refuse if short; `update … where version = $read`; on a lost race retry, and
 * after `NAIVE_RETRIES` lost races answer 409 `conflict` — a refusal while stock remains (a "false sold
 * out"), the failure Onsale's batched row lock exists to avoid. It verifies the same JWT and validates the
 * same body as Onsale, so the HTTP work per request is comparable; only the stock strategy differs.
 *
 * Run as a child process: DATABASE_URL, PORT, PG_POOL_SIZE, JWT_SECRET, NAIVE_STOCK. It (re)creates its tables
 * naive_stock (one hot row, id 1) and naive_holds at start.
 */
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { openPostgres, type Database } from '../src/db/database.js';
import { AppError } from '../src/errors.js';
import { createAccessTokens } from '../src/features/auth/tokens.js';

const retries = Number(process.env.NAIVE_RETRIES ?? 3);

async function createTables(db: Database, stock: number): Promise<void> {
  await db.exec(`
    drop table if exists naive_holds;
    drop table if exists naive_stock;
    create table naive_stock (id integer primary key, available integer not null check (available >= 0), version integer not null);
    create table naive_holds (id bigserial primary key, stock_id integer not null references naive_stock, user_id uuid not null,
                              quantity integer not null, created_at timestamptz not null default now());
    insert into naive_stock values (1, ${Number(stock)}, 0);`);
}

type Attempt = 'placed' | 'sold_out' | 'lost_race';

/** One optimistic attempt: read, then a conditional write that fails if anyone wrote in between. */
async function attempt(db: Database, stockId: number, userId: string, quantity: number): Promise<Attempt> {
  const row = (await db.query<{ available: number; version: number }>('select available, version from naive_stock where id = $1', [stockId])).rows[0];
  if (!row || row.available < quantity) return 'sold_out';
  return db.transaction(async (tx) => {
    const updated = await tx.query('update naive_stock set available = available - $3, version = version + 1 where id = $1 and version = $2', [stockId, row.version, quantity]);
    if (updated.rowCount === 0) return 'lost_race';
    await tx.query('insert into naive_holds (stock_id, user_id, quantity) values ($1, $2, $3)', [stockId, userId, quantity]);
    return 'placed';
  });
}

async function main(): Promise<void> {
  const db = await openPostgres(process.env.DATABASE_URL!, Number(process.env.PG_POOL_SIZE ?? 20));
  await createTables(db, Number(process.env.NAIVE_STOCK ?? 1_000_000));
  const tokens = createAccessTokens(process.env.JWT_SECRET!, 3600);
  const app = Fastify({ logger: false });
  app.setErrorHandler((error, _request, reply) => {
    const code = error instanceof AppError ? error.code : 'bad_request';
    void reply.status((error as { statusCode?: number }).statusCode ?? 500).send({ error: { code, message: (error as Error).message } });
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.post('/api/v1/holds', {
    schema: { body: Type.Object({ eventId: Type.String(), sectionId: Type.String(), quantity: Type.Integer({ minimum: 1, maximum: 100 }) }, { additionalProperties: false }) },
  }, async (request, reply) => {
    const { userId } = tokens.verify((request.headers.authorization ?? '').replace(/^Bearer /, ''));
    const { quantity } = request.body as { quantity: number };
    for (let i = 0; i <= retries; i++) {
      const outcome = await attempt(db, 1, userId, quantity);
      if (outcome === 'placed') return reply.status(201).send({ status: 'held', quantity });
      if (outcome === 'sold_out') return reply.status(409).send({ error: { code: 'sold_out', message: 'Not enough tickets left.' } });
    }
    return reply.status(409).send({ error: { code: 'conflict', message: 'Too many concurrent buyers; try again.' } });
  });
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
  process.once('SIGTERM', () => void app.close().then(() => db.close()).then(() => process.exit(0)));
  console.log('naive server ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
