/**
 * A failing data center: every PostgreSQL connection of a running `onsale serve` is cut, five times,
 * while buyers hold, pay, cancel and release. The process must stay up, answer every request with a
 * 2xx, a 4xx or a 503 (never a 500, never a reset connection), lose nothing it confirmed, and come
 * back by itself: its pool reconnects and its background jobs keep running.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../src/db/database.js';
import { accountedUnits } from './support/accounting.js';
import { sectionAccounting } from '../src/features/inventory/availability.js';
import { sleep } from './support/app.js';
import { adminUrl, createTestDatabase, type TestDatabase } from './support/postgres.js';
import { call, killServers, serve, type ServeProcess } from './support/serve.js';

const capacity = 400;
const workers = 16;
const cuts = 5;
/** Successful responses required between cuts: proof the server recovered and is under load again. */
const progressBetweenCuts = 30;

let database: TestDatabase;
let db: Database;
let server: ServeProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await serve({
    DATABASE_URL: database.url,
    PG_POOL_SIZE: '8',
    SEED_DEMO: 'false',
    SWEEP_INTERVAL_MS: '200',
    ADMIN_EMAIL: 'owner@example.test',
    ADMIN_PASSWORD: 'owner-password',
    AUTH_IP_LIMIT_PER_MINUTE: '1000000',
  });
  db = await openPostgres(database.url, 2);
});

afterAll(async () => {
  killServers();
  await db?.close();
  await database?.drop();
});

/** Cuts every connection to this test's database (and only those: other files share the server). */
async function cutConnections(): Promise<number> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ cut: boolean }>(
      'select pg_terminate_backend(pid) as cut from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database.name],
    );
    return rows.filter((row) => row.cut).length;
  } finally {
    await admin.end();
  }
}

type Outcome = { kind: 'answered'; status: number; code?: string; what: string } | { kind: 'reset'; what: string; error: string };

describe('cut database connections under load', () => {
  it('keeps the process up, answers 2xx, 4xx or 503 only, keeps the stock exact, and recovers by itself', async () => {
    const adminToken = (await call(server.url, 'POST', '/api/v1/auth/login', { email: 'owner@example.test', password: 'owner-password' })).body.accessToken;
    const venue = (await call(server.url, 'POST', '/api/v1/venues', { name: 'Hall', city: 'Porto' }, adminToken)).body;
    const event = (await call(server.url, 'POST', '/api/v1/events', {
      title: 'Cut', venueId: venue.id, startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), currency: 'EUR',
      status: 'published', holdTtlSeconds: 2, sections: [{ name: 'Floor', price: 1000, capacity }],
    }, adminToken)).body;
    const sectionId = event.sections[0].id;
    const buyers = await Promise.all(Array.from({ length: workers * 2 }, async (_, i) =>
      (await call(server.url, 'POST', '/api/v1/auth/register', { email: `cut-${i}@example.test`, password: 'long enough', name: 'Buyer' })).body.accessToken as string));

    const outcomes: Outcome[] = [];
    const confirmedOrders: string[] = [];
    let successes = 0;
    const request = async (what: string, method: string, path: string, token: string, body?: unknown) => {
      try {
        const reply = await call(server.url, method, path, body, token);
        outcomes.push({ kind: 'answered', status: reply.status, code: reply.body?.error?.code, what });
        if (reply.status < 300) successes++;
        return reply;
      } catch (error) {
        outcomes.push({ kind: 'reset', what, error: String((error as Error).cause ?? error) });
        return undefined;
      }
    };

    // Each buyer holds, then pays and cancels, releases, or walks away (the sweeper returns that).
    let running = true;
    const shop = async (worker: number) => {
      for (let round = 0; running; round++) {
        const token = buyers[(worker + round * workers) % buyers.length]!;
        const hold = await request('hold', 'POST', '/api/v1/holds', token, { eventId: event.id, sectionId, quantity: 1 + (round % 2) });
        if (!hold) await sleep(50);
        if (hold?.status !== 201) continue;
        if (round % 3 === 0) {
          await request('release', 'DELETE', `/api/v1/holds/${hold.body.id}`, token);
        } else if (round % 3 === 1) {
          const order = await request('checkout', 'POST', `/api/v1/holds/${hold.body.id}/checkout`, token, { payment: { cardNumber: '4242424242424242' } });
          if (order && order.status < 300) {
            confirmedOrders.push(order.body.id);
            // Cancelled again so that no buyer runs into a per-buyer ticket limit during the run.
            await request('cancel', 'POST', `/api/v1/orders/${order.body.id}/cancel`, token);
          }
        }
      }
    };
    const load = Promise.all(Array.from({ length: workers }, (_, worker) => shop(worker)));

    const cutCounts: number[] = [];
    const awaitProgress = async () => {
      const target = successes + progressBetweenCuts;
      for (let waited = 0; successes < target && server.child.exitCode === null && waited < 60_000; waited += 20) await sleep(20);
    };
    for (let cut = 0; cut < cuts && server.child.exitCode === null; cut++) {
      await awaitProgress();
      cutCounts.push(await cutConnections());
    }
    await awaitProgress();
    running = false;
    await load;

    expect(server.child.exitCode, server.output()).toBeNull();
    expect(cutCounts).toHaveLength(cuts);
    for (const count of cutCounts) expect(count).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.kind === 'reset' || o.status >= 500 && o.status !== 503)).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'answered' && o.status === 503 && o.code !== 'unavailable')).toEqual([]);
    expect(successes).toBeGreaterThan(progressBetweenCuts * (cuts + 1));

    // The pool came back by itself.
    expect((await call(server.url, 'GET', '/readyz')).status).toBe(200);
    // Nothing a buyer was told is lost: every order answered with a 2xx exists.
    const { rows: known } = await db.query<{ n: number }>('select count(*)::int as n from orders where id = any($1::uuid[])', [confirmedOrders]);
    expect(confirmedOrders.length).toBeGreaterThan(0);
    expect(known[0]!.n).toBe(confirmedOrders.length);
    // The hold sweeper survived the cuts: every hold left behind lapses and is ended, its stock returned.
    const activeHolds = async () => (await db.query<{ n: number }>("select count(*)::int as n from holds where status = 'active'")).rows[0]!.n;
    for (let waited = 0; waited < 30_000 && (await activeHolds()) > 0; waited += 100) await sleep(100);
    expect(await activeHolds()).toBe(0);
    const [section] = await sectionAccounting(db, event.id);
    expect(accountedUnits(section!)).toBe(capacity);
    expect(section!.held).toBe(0);
  }, 240_000);
});
