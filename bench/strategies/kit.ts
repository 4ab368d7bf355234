/**
 * What the strategy servers share: the same HTTP subset as Onsale for the simulator's crowd (hold a
 * quantity, pay, release; the public availability), the same JWT check and body validation, one GA
 * section, and `GET /bench/accounting` for the final check. Only the stock strategy differs.
 *
 * Run as a child process; environment: PORT, DATABASE_URL, PG_POOL_SIZE, JWT_SECRET, STOCK,
 * HOLD_TTL_SECONDS, and for the Redis design REDIS_URL and REDIS_KEY_PREFIX.
 */
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { openPostgres, type Database } from '../../src/db/database.js';
import { createAccessTokens } from '../../src/features/auth/tokens.js';

export type HoldResult = { held: true; holdId: string; expiresAt: Date } | { held: false; code: 'sold_out' | 'conflict' };
export type CheckoutResult = 'converted' | 'expired' | 'not_found';

export interface Strategy {
  hold(userId: string, quantity: number): Promise<HoldResult>;
  /** Called after the card was authorized: sell the hold if it still may be. */
  checkout(userId: string, holdId: string): Promise<CheckoutResult>;
  release(userId: string, holdId: string): Promise<boolean>;
  /** Returns lapsed holds' stock; runs every second. */
  sweep(): Promise<void>;
  available(): Promise<number>;
  /** Units sold (orders), held (live holds) and on sale, each from its own source. */
  accounting(): Promise<{ sold: number; held: number; available: number }>;
  close?(): Promise<void>;
}

export interface StrategyEnv {
  db: Database;
  stock: number;
  holdTtlSeconds: number;
}

const declinedCard = '4000000000000002';
const sweepIntervalMs = 1000;

/** Tables every design writes its holds and orders to (the stock lives where the design puts it). */
export async function createTables(db: Database): Promise<void> {
  await db.exec(`
    create table strategy_holds (id uuid primary key, user_id uuid not null, quantity integer not null,
                                 status text not null, expires_at timestamptz not null, created_at timestamptz not null default now());
    create index strategy_holds_active on strategy_holds (expires_at) where status = 'active';
    create table strategy_orders (id uuid primary key, hold_id uuid not null unique, user_id uuid not null, quantity integer not null,
                                  created_at timestamptz not null default now());`);
}

/** Sold and held from the tables (orders; active holds not yet expired). */
export async function tableAccounting(db: Database): Promise<{ sold: number; held: number }> {
  const { rows } = await db.query<{ sold: number; held: number }>(`
    select (select coalesce(sum(quantity), 0) from strategy_orders)::int as sold,
           (select coalesce(sum(quantity), 0) from strategy_holds where status = 'active' and expires_at > now())::int as held`);
  return rows[0]!;
}

export async function serveStrategy(name: string, build: (env: StrategyEnv) => Promise<Strategy>): Promise<void> {
  const db = await openPostgres(process.env.DATABASE_URL!, Number(process.env.PG_POOL_SIZE ?? 20));
  const stock = Number(process.env.STOCK);
  const strategy = await build({ db, stock, holdTtlSeconds: Number(process.env.HOLD_TTL_SECONDS ?? 600) });
  const tokens = createAccessTokens(process.env.JWT_SECRET!, 86_400);
  const sale = { eventId: randomUUID(), sectionId: randomUUID() };
  const app = Fastify({ logger: false });
  const userOf = (authorization: string | undefined) => tokens.verify((authorization ?? '').replace(/^Bearer /, '')).userId;
  const refuse = (status: number, code: string, message: string) => ({ status, body: { error: { code, message, details: {} } } });
  app.setErrorHandler((error, _request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    void reply.status(status).send({ error: { code: (error as { code?: string }).code ?? 'internal_error', message: status < 500 ? (error as Error).message : 'internal error', details: {} } });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/bench/sale', async () => sale);
  app.get('/bench/accounting', async () => ({ capacity: stock, ...(await strategy.accounting()) }));
  app.get('/api/v1/events/:id', async () => ({ id: sale.eventId, sections: [{ id: sale.sectionId, available: await strategy.available() }] }));
  app.post('/api/v1/holds', {
    schema: { body: Type.Object({ eventId: Type.String(), sectionId: Type.String(), quantity: Type.Integer({ minimum: 1, maximum: 100 }) }, { additionalProperties: false }) },
  }, async (request, reply) => {
    const userId = userOf(request.headers.authorization);
    const { sectionId, quantity } = request.body as { sectionId: string; quantity: number };
    const result = await strategy.hold(userId, quantity);
    if (!result.held) {
      const { status, body } = refuse(409, result.code, result.code === 'sold_out' ? 'Not enough tickets left.' : 'Too many concurrent buyers; try again.');
      return reply.status(status).send(body);
    }
    return reply.status(201).send({ id: result.holdId, eventId: sale.eventId, status: 'active', expiresAt: result.expiresAt, items: Array.from({ length: quantity }, () => ({ sectionId, price: 4500 })) });
  });
  app.post('/api/v1/holds/:id/checkout', {
    schema: { body: Type.Object({ payment: Type.Object({ cardNumber: Type.String() }) }) },
  }, async (request, reply) => {
    const userId = userOf(request.headers.authorization);
    const { id } = request.params as { id: string };
    if ((request.body as { payment: { cardNumber: string } }).payment.cardNumber === declinedCard) {
      const { status, body } = refuse(402, 'payment_declined', 'The card was declined.');
      return reply.status(status).send(body);
    }
    const result = await strategy.checkout(userId, id);
    if (result === 'converted') return reply.status(201).send({ id: randomUUID(), holdId: id, status: 'confirmed', tickets: [] });
    const { status, body } = result === 'expired' ? refuse(410, 'hold_expired', 'The hold expired.') : refuse(404, 'not_found', 'No such hold.');
    return reply.status(status).send(body);
  });
  app.delete('/api/v1/holds/:id', async (request, reply) => {
    const released = await strategy.release(userOf(request.headers.authorization), (request.params as { id: string }).id);
    return reply.status(released ? 204 : 404).send(released ? null : refuse(404, 'not_found', 'No such hold.').body);
  });

  const sweeper = setInterval(() => void strategy.sweep().catch((error: unknown) => console.error(`${name} sweep failed`, error)), sweepIntervalMs);
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
  process.once('SIGTERM', () => {
    clearInterval(sweeper);
    void app.close().then(() => strategy.close?.()).then(() => db.close()).then(() => process.exit(0));
  });
}
