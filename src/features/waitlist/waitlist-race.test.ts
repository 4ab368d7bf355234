import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import type { Tx } from '../../db/database.js';
import { startServer, type RunningServer } from '../../server.js';
import { sleep, startTestApp, type TestApp } from '../../../test/support/app.js';
import { accountedUnits, watchAccounting } from '../../../test/support/accounting.js';
import { adminUrl } from '../../../test/support/postgres.js';
import { waitFor } from '../../../test/support/wait.js';
import { sectionAccounting } from '../inventory/availability.js';
import { createStock, lockStockSectionsOf } from '../inventory/stock.js';
import { seedBuyers } from '../../seed/buyers.js';
import { createPasswordHasher } from '../auth/passwords.js';
import { createAccessTokens } from '../auth/tokens.js';
import { waitlistReturnPolicy } from './offers.js';

const card = { payment: { cardNumber: '4242424242424242' } };

/** Races and crashes need real concurrency and real connections: PostgreSQL only. */
describe('waitlist under concurrency and crashes (postgres)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('postgres', { OUTBOX_INTERVAL_MS: '60000' });
  });
  afterAll(() => app?.close());


  it('200 concurrent cancellations and releases against 200 waitlist entries offer every unit once, never on general sale, with exact accounting throughout', async () => {
    const capacity = 200;
    const event = await app.createEvent({ maxTicketsPerOrder: 1, sections: [{ name: 'Floor', price: 1000, capacity }] });
    const sectionId = event.sections[0].id as string;
    const [holders, waiters, public_] = [await app.registerBuyers(capacity), await app.registerBuyers(capacity), await app.registerBuyers(20)];

    const holds = await Promise.all(holders.map((b) => app.fetch('POST', '/api/v1/holds', { token: b.token, body: { eventId: event.id, sectionId, quantity: 1 } })));
    expect(holds.every((h) => h.status === 201)).toBe(true);
    const orders = await Promise.all(holders.slice(0, 100).map((b, i) => app.fetch('POST', `/api/v1/holds/${holds[i]!.body.id}/checkout`, { token: b.token, body: card })));
    expect(orders.every((o) => o.status === 201)).toBe(true);
    for (const waiter of waiters) {
      expect((await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: waiter.token, body: { sectionId, quantity: 1 } })).status).toBe(201);
    }

    const stopWatching = watchAccounting(app.db, event.id);
    const attempts: number[] = [];
    const generalSale = Promise.all(public_.map(async (buyer) => {
      for (let i = 0; i < 5; i++) attempts.push((await app.fetch('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId, quantity: 1 } })).status);
    }));
    const returns = await Promise.all([
      ...holders.slice(0, 100).map((b, i) => app.fetch('POST', `/api/v1/orders/${orders[i]!.body.id}/cancel`, { token: b.token })),
      ...holders.slice(100).map((b, i) => app.fetch('DELETE', `/api/v1/holds/${holds[100 + i]!.body.id}`, { token: b.token })),
    ]);
    await generalSale;
    const samples = (await stopWatching()).map((sections) => sections[0]!);

    expect(returns.map((r) => r.status).sort()).toEqual([...Array(100).fill(200), ...Array(100).fill(204)]);
    expect(attempts.length).toBe(100);
    expect(attempts.every((status) => status === 409)).toBe(true);
    expect(samples.length).toBeGreaterThan(5);
    for (const sample of samples) {
      expect(accountedUnits(sample)).toBe(capacity);
      expect(sample.available).toBe(0);
    }
    expect((await sectionAccounting(app.db, event.id))[0]).toMatchObject({ capacity, sold: 0, held: 0, offered: capacity, reserved: 0, available: 0 });

    const offers = await app.db.query<{ entryId: string; userId: string; quantity: number; entryUser: string; entryStatus: string }>(
      `select h.waitlist_entry_id as "entryId", h.user_id as "userId", i.quantity, w.user_id as "entryUser", w.status as "entryStatus"
         from holds h join hold_items i on i.hold_id = h.id join waitlist_entries w on w.id = h.waitlist_entry_id
        where h.event_id = $1 and h.waitlist_entry_id is not null`,
      [event.id],
    );
    expect(offers.rowCount).toBe(capacity);
    expect(new Set(offers.rows.map((o) => o.entryId)).size).toBe(capacity);
    expect(offers.rows.every((o) => o.quantity === 1 && o.userId === o.entryUser && o.entryStatus === 'offered')).toBe(true);
    expect(new Set(offers.rows.map((o) => o.userId))).toEqual(new Set(waiters.map((w) => w.userId)));
    const told = await app.db.query(`select distinct user_id from outbox where event_id = $1 and type = 'waitlist.offer_made'`, [event.id]);
    expect(told.rowCount).toBe(capacity);
  });

  it('100 seats returned concurrently (cancellations, releases, sweeps) against 100 entries are each offered once, never on general sale, with exact accounting throughout', async () => {
    const capacity = 100;
    const rows = 'ABCDEFGHIJ'.split('').map((label) => ({ label, seats: 10 }));
    const event = await app.createEvent({ maxTicketsPerOrder: 1, sections: [{ name: 'Stalls', price: 3000, rows }] });
    const sectionId = event.sections[0].id as string;
    const [holders, waiters, public_] = [await app.registerBuyers(capacity), await app.registerBuyers(capacity), await app.registerBuyers(20)];

    const holds = await Promise.all(holders.map((b) => app.fetch('POST', '/api/v1/holds', { token: b.token, body: { eventId: event.id, sectionId, quantity: 1 } })));
    expect(holds.every((h) => h.status === 201)).toBe(true);
    const seatIds: string[] = holds.map((h) => h.body.items[0].seatId);
    expect(new Set(seatIds).size).toBe(capacity);
    // 40 orders to cancel, 40 holds to release, 20 holds to lapse and be swept.
    const orders = await Promise.all(holders.slice(0, 40).map((b, i) => app.fetch('POST', `/api/v1/holds/${holds[i]!.body.id}/checkout`, { token: b.token, body: card })));
    expect(orders.every((o) => o.status === 201)).toBe(true);
    for (const waiter of waiters) {
      expect((await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: waiter.token, body: { sectionId, quantity: 1 } })).status).toBe(201);
    }
    const lapsing = holds.slice(80).map((h) => h.body.id as string);
    await app.db.query(`update holds set expires_at = now() - interval '1 second' where id = any($1::uuid[])`, [lapsing]);
    await app.db.query(`update seats set held_until = now() - interval '1 second' where hold_id = any($1::uuid[])`, [lapsing]);

    const stopWatching = watchAccounting(app.db, event.id);
    const attempts: { status: number; code: string }[] = [];
    const generalSale = Promise.all(public_.map(async (buyer, b) => {
      for (let i = 0; i < 5; i++) {
        // Best available and named seats (the returned ones among them), alternately.
        const body = (b + i) % 2 === 0 ? { eventId: event.id, sectionId } : { eventId: event.id, seatIds: [seatIds[(b * 5 + i) % capacity]] };
        const reply = await app.fetch('POST', '/api/v1/holds', { token: buyer.token, body: 'sectionId' in body ? { ...body, quantity: 1 } : body });
        attempts.push({ status: reply.status, code: reply.body.error?.code });
      }
    }));
    const sweeps = Promise.all([0, 5, 10, 20].map(async (delay) => {
      await sleep(delay);
      return app.server.context.holds.sweepLapsed();
    }));
    const returns = await Promise.all([
      ...holders.slice(0, 40).map((b, i) => app.fetch('POST', `/api/v1/orders/${orders[i]!.body.id}/cancel`, { token: b.token })),
      ...holders.slice(40, 80).map((b, i) => app.fetch('DELETE', `/api/v1/holds/${holds[40 + i]!.body.id}`, { token: b.token })),
    ]);
    await sweeps;
    // Swept by these calls or by the server's own sweeper job, whichever came first.
    const swept = await app.db.query(`select 1 from holds where id = any($1::uuid[]) and status = 'expired'`, [lapsing]);
    expect(swept.rowCount).toBe(20);
    await generalSale;
    const samples = (await stopWatching()).map((sections) => sections[0]!);

    expect(returns.map((r) => r.status).sort()).toEqual([...Array(40).fill(200), ...Array(40).fill(204)]);
    expect(attempts).toHaveLength(100);
    for (const attempt of attempts) expect(attempt).toEqual({ status: 409, code: expect.stringMatching(/^(sold_out|seats_unavailable)$/) });
    expect(samples.length).toBeGreaterThan(5);
    for (const sample of samples) {
      expect(accountedUnits(sample)).toBe(capacity);
      expect(sample.available).toBe(0);
    }
    expect((await sectionAccounting(app.db, event.id))[0]).toMatchObject({ capacity, sold: 0, held: 0, offered: capacity, reserved: 0, available: 0 });

    // Every seat is held by exactly one live offer, every entry has exactly one offer of one seat.
    const offers = await app.db.query<{ holdId: string; entryId: string; userId: string; entryUser: string; entryStatus: string; seatId: string; seatHold: string; seatStatus: string }>(
      `select h.id as "holdId", h.waitlist_entry_id as "entryId", h.user_id as "userId", w.user_id as "entryUser", w.status as "entryStatus",
              i.seat_id as "seatId", st.hold_id as "seatHold", st.status as "seatStatus"
         from holds h join hold_items i on i.hold_id = h.id join waitlist_entries w on w.id = h.waitlist_entry_id join seats st on st.id = i.seat_id
        where h.event_id = $1 and h.status = 'active'`,
      [event.id],
    );
    expect(offers.rowCount).toBe(capacity);
    expect(new Set(offers.rows.map((o) => o.seatId))).toEqual(new Set(seatIds));
    expect(new Set(offers.rows.map((o) => o.entryId)).size).toBe(capacity);
    expect(offers.rows.every((o) => o.seatHold === o.holdId && o.seatStatus === 'held' && o.userId === o.entryUser && o.entryStatus === 'offered')).toBe(true);
    expect(new Set(offers.rows.map((o) => o.userId))).toEqual(new Set(waiters.map((w) => w.userId)));
    const doubly = await app.db.query(
      `select i.seat_id from hold_items i join holds h on h.id = i.hold_id where h.event_id = $1 and h.status = 'active' group by i.seat_id having count(*) > 1`,
      [event.id],
    );
    expect(doubly.rowCount).toBe(0);
    const told = await app.db.query(`select distinct user_id from outbox where event_id = $1 and type = 'waitlist.offer_made'`, [event.id]);
    expect(told.rowCount).toBe(capacity);
  });

  /*
   * At the moment of selling out, hundreds of buyers join within a second. A wide pool and a short lock
   * timeout make the lock queue visible: joins that each took the section lock one after another waited
   * past it (503); joins of one section batched in one process take it once per batch, one batch at a time.
   */
  describe('a crowd at sell-out', () => {
    let crowdApp: TestApp;
    beforeAll(async () => {
      crowdApp = await startTestApp('postgres', { OUTBOX_INTERVAL_MS: '60000', PG_POOL_SIZE: '40', PG_LOCK_TIMEOUT_MS: '100' });
    });
    afterAll(() => crowdApp?.close());

    /** Accounts made in bulk (the simulator's seed path): registering 1,000 would hash 1,000 passwords. */
    const seedCrowd = (eventId: string, count: number) => {
      const { config } = crowdApp.server.context;
      const issuers = { passwords: createPasswordHasher(config.argon2MemoryKib), accessTokens: createAccessTokens(config.jwtSecret, config.accessTokenTtlSeconds) };
      return seedBuyers(crowdApp.db, issuers, { count, emailPrefix: `crowd-${eventId}` });
    };

    it('1,000 buyers joining the waitlist at once as it sells out all get a place, in one line with no gaps, without a 5xx', async () => {
      const app = crowdApp;
      const count = 1000;
      const event = await app.createEvent({ maxTicketsPerOrder: 1, sections: [{ name: 'Floor', price: 1000, capacity: 2 }] });
      const sectionId = event.sections[0].id as string;
      const [first, second] = await app.registerBuyers(2);
      for (const holder of [first!, second!]) {
        expect((await app.request('POST', '/api/v1/holds', { token: holder.token, body: { eventId: event.id, sectionId, quantity: 1 } })).status).toBe(201);
      }
      const crowd = await seedCrowd(event.id, count);

      const joins = await Promise.all(crowd.map((buyer) =>
        app.fetch('POST', `/api/v1/events/${event.id}/waitlist`, { token: buyer.accessToken, body: { sectionId, quantity: 1 } })));
      expect(joins.filter((r) => r.status !== 201).map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
      const positions = (await Promise.all(crowd.map((buyer) => app.request('GET', `/api/v1/events/${event.id}/waitlist`, { token: buyer.accessToken })))).map((r) => r.body.position as number);
      expect(positions.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      // A second join by the same account is refused, however it races.
      const again = await Promise.all([0, 1].map(() => app.fetch('POST', `/api/v1/events/${event.id}/waitlist`, { token: crowd[0]!.accessToken, body: { quantity: 1 } })));
      expect(again.map((r) => r.body.error?.code)).toEqual(['already_waitlisted', 'already_waitlisted']);
    });

    /* When patience runs out, the line leaves at once; one leave at a time, each under the section lock, queued past the lock timeout. */
    it('1,000 buyers leaving the waitlist at once, the head with an open offer, all leave, and the offer passes to whoever stays, without a 5xx', async () => {
      const app = crowdApp;
      const event = await app.createEvent({ maxTicketsPerOrder: 1, sections: [{ name: 'Floor', price: 1000, capacity: 2 }] });
      const sectionId = event.sections[0].id as string;
      const [holder, other, stayer] = await app.registerBuyers(3);
      const holds = await Promise.all([holder!, other!].map((b) => app.request('POST', '/api/v1/holds', { token: b.token, body: { eventId: event.id, sectionId, quantity: 1 } })));
      expect(holds.map((h) => h.status)).toEqual([201, 201]);
      const crowd = await seedCrowd(event.id, 1000);
      for (const buyer of crowd) expect((await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: buyer.accessToken, body: { sectionId, quantity: 1 } })).status).toBe(201);
      expect((await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: stayer!.token, body: { sectionId, quantity: 1 } })).body.position).toBe(1001);
      expect((await app.request('DELETE', `/api/v1/holds/${holds[0]!.body.id}`, { token: holder!.token })).status).toBe(204);
      expect((await app.request('GET', `/api/v1/events/${event.id}/waitlist`, { token: crowd[0]!.accessToken })).body.status).toBe('offered');

      const leaves = await Promise.all(crowd.map((buyer) => app.fetch('DELETE', `/api/v1/events/${event.id}/waitlist`, { token: buyer.accessToken })));
      expect(leaves.filter((r) => r.status !== 204).map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
      const ended = await app.db.query<{ status: string; count: number }>(
        `select status, count(*)::int as count from waitlist_entries where event_id = $1 and user_id <> $2 group by status order by status`,
        [event.id, stayer!.userId],
      );
      // An offer declined by leaving passes down the line, so a few more may have left by declining one.
      expect(ended.rows.map((r) => r.status)).toEqual(['declined', 'left']);
      expect(ended.rows.reduce((sum, r) => sum + r.count, 0)).toBe(1000);
      expect((await app.request('GET', `/api/v1/events/${event.id}/waitlist`, { token: stayer!.token })).body).toMatchObject({ status: 'offered', position: 0 });
      expect((await sectionAccounting(app.db, event.id))[0]).toMatchObject({ capacity: 2, held: 1, offered: 1, reserved: 0, available: 0 });
    });
  });

  it('concurrent releases in two sections serve section and whole-event entries once each, without deadlock', async () => {
    const event = await app.createEvent({ maxTicketsPerOrder: 1, sections: [{ name: 'A', price: 1000, capacity: 40 }, { name: 'B', price: 2000, capacity: 40 }] });
    const sectionIds: string[] = event.sections.map((s: { id: string }) => s.id);
    const [holders, waiters] = [await app.registerBuyers(80), await app.registerBuyers(80)];
    const holds = await Promise.all(holders.map((b, i) => app.fetch('POST', '/api/v1/holds', { token: b.token, body: { eventId: event.id, sectionId: sectionIds[i % 2], quantity: 1 } })));
    expect(holds.every((h) => h.status === 201)).toBe(true);
    // Every third entry is for the whole event; the others alternate between the sections.
    for (const [i, waiter] of waiters.entries()) {
      const body = i % 3 === 0 ? { quantity: 1 } : { sectionId: sectionIds[i % 2], quantity: 1 };
      expect((await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: waiter.token, body })).status).toBe(201);
    }
    const released = await Promise.all(holders.map((b, i) => app.fetch('DELETE', `/api/v1/holds/${holds[i]!.body.id}`, { token: b.token })));
    expect(released.every((r) => r.status === 204)).toBe(true);

    // Which section serves a whole-event entry depends on which release reaches it first, so a
    // section may end with units that only the other section's entries wanted: those go on sale.
    const accounting = await sectionAccounting(app.db, event.id);
    const entries = await app.db.query<{ sectionId: string | null; status: string; offers: number }>(
      `select w.section_id as "sectionId", w.status, (select count(*) from holds h where h.waitlist_entry_id = w.id)::int as offers
         from waitlist_entries w where w.event_id = $1`,
      [event.id],
    );
    const waiting = entries.rows.filter((e) => e.status === 'waiting');
    expect(entries.rows.every((e) => (e.status === 'offered' && e.offers === 1) || (e.status === 'waiting' && e.offers === 0))).toBe(true);
    for (const section of accounting) {
      expect(accountedUnits(section)).toBe(40);
      expect(section).toMatchObject({ held: 0, reserved: 0 });
      // Units on sale only when no waiting entry could use them.
      if (section.available > 0) expect(waiting.filter((e) => e.sectionId === null || e.sectionId === section.sectionId)).toEqual([]);
    }
    const offered = accounting.reduce((sum, s) => sum + s.offered, 0);
    expect(offered).toBe(entries.rows.length - waiting.length);
    expect(offered + accounting.reduce((sum, s) => sum + s.available, 0)).toBe(80);
  });

  describe('restarts', () => {
    const config = loadConfig({
      NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', ARGON2_MEMORY_KIB: '1024', LOG_LEVEL: 'silent', SWEEP_INTERVAL_MS: '200',
      OUTBOX_INTERVAL_MS: '60000', ADMIN_EMAIL: 'admin@example.test', ADMIN_PASSWORD: 'admin-password',
    });
    let restarted: RunningServer | undefined;
    afterAll(() => restarted?.close());

    /** Stops the current server process (its jobs too) and starts a new one on the same database. */
    async function restart(): Promise<void> {
      await (restarted ?? app.server).close();
      restarted = await startServer(config, { db: app.db });
    }

    /** A sold-out event with one waiter; made before any restart, while the test app's own server runs. */
    async function soldOutWithWaiter(): Promise<{ eventId: string; holdId: string }> {
      const [holder, waiter] = await app.registerBuyers(2);
      const event = await app.createEvent({ sections: [{ name: 'Floor', price: 1000, capacity: 2 }] });
      const held = await app.request('POST', '/api/v1/holds', { token: holder!.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 } });
      expect((await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: waiter!.token, body: { quantity: 2 } })).status).toBe(201);
      return { eventId: event.id, holdId: held.body.id };
    }
    let dyingRelease: { eventId: string; holdId: string };
    let orphaned: { eventId: string; holdId: string };
    beforeAll(async () => {
      dyingRelease = await soldOutWithWaiter();
      orphaned = await soldOutWithWaiter();
    });

    const entryStatus = async (eventId: string) => (await app.db.query<{ status: string }>('select status from waitlist_entries where event_id = $1', [eventId])).rows[0]!.status;

    it('a process dying between a release and its offer leaves neither; the units are offered after restart', async () => {
      const { eventId, holdId } = dyingRelease;
      const database = (await app.db.query<{ name: string }>('select current_database() as name')).rows[0]!.name;
      const url = new URL(adminUrl);
      url.pathname = `/${database}`;
      const dying = new pg.Client({ connectionString: url.toString() });
      dying.on('error', () => undefined);
      await dying.connect();
      const pid = (await dying.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const tx = { query: async (sql: string, params?: unknown[]) => { const r = await dying.query(sql, params); return { rows: r.rows, rowCount: r.rowCount ?? 0 }; } } as unknown as Tx;

      await dying.query('begin');
      await lockStockSectionsOf(tx, [holdId]);
      expect(await createStock(waitlistReturnPolicy).endHolds(tx, [holdId], 'released', false)).toEqual([holdId]);
      // Inside the dying transaction the offer exists already: release and offer are one unit of work.
      expect((await dying.query(`select status from waitlist_entries where event_id = $1`, [eventId])).rows[0].status).toBe('offered');
      await app.db.query('select pg_terminate_backend($1)', [pid]);
      await dying.end().catch(() => undefined);

      expect(await entryStatus(eventId)).toBe('waiting');
      expect((await sectionAccounting(app.db, eventId))[0]).toMatchObject({ held: 2, offered: 0, reserved: 0, available: 0 });

      await app.db.query(`update holds set expires_at = now() - interval '1 second' where id = $1`, [holdId]);
      await restart();
      expect(await waitFor(() => entryStatus(eventId), (s) => s === 'offered')).toBe('offered');
      expect((await sectionAccounting(app.db, eventId))[0]).toMatchObject({ held: 0, offered: 2, reserved: 0, available: 0 });
    });

    it('units left on sale while an entry waits (as a crash of a non-atomic return would leave them) are offered after restart', async () => {
      const { eventId, holdId } = orphaned;
      await (restarted ?? app.server).close();
      // Written by hand: the hold ended and its units went back on sale, but no offer was made.
      await app.db.transaction(async (tx) => {
        await tx.query(`update holds set status = 'released', ended_at = now() where id = $1`, [holdId]);
        await tx.query('update sections set available = available + 2 where event_id = $1', [eventId]);
      });
      expect((await sectionAccounting(app.db, eventId))[0]).toMatchObject({ held: 0, offered: 0, available: 2 });
      restarted = await startServer(config, { db: app.db });
      expect(await waitFor(() => entryStatus(eventId), (s) => s === 'offered')).toBe('offered');
      expect((await sectionAccounting(app.db, eventId))[0]).toMatchObject({ offered: 2, reserved: 0, available: 0 });
    });
  });
});
