/**
 * Code reserves raced across three server processes on one real PostgreSQL: general holds and code
 * holders compete for one section whose reserve only the code may take; several processes (and this
 * test's own connections) release due reserves at once; expired code holds give their units back to
 * the reserve while general holds press on the section. Only the database's locks, the conditional
 * release and the counters' CHECKs stand between them and a reserved unit sold to the wrong buyer or
 * returned twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../src/db/database.js';
import { sectionAccounting } from '../src/features/inventory/availability.js';
import { releaseDueReserves } from '../src/features/inventory/holds.js';
import { createStock } from '../src/features/inventory/stock.js';
import { waitlistReturnPolicy } from '../src/features/waitlist/offers.js';
import { accountedUnits, watchAccounting } from './support/accounting.js';
import { createRaceEvent, raceAccounts, startRaceNodes, type RaceNodes } from './support/race-nodes.js';
import { call } from './support/serve.js';

const admin = { email: 'reserve-race-admin@example.test', password: 'reserve-race-admin-password' };
let nodes: RaceNodes | undefined;
const node = (i: number) => nodes!.node(i);
let adminToken: string;
let tokens: string[];

beforeAll(async () => {
  nodes = await startRaceNodes(admin, 'reserve-race-jwt-secret-0123456789abcdef-01');
  ({ adminToken, tokens } = await raceAccounts(nodes!, admin, 'reserve-racer', 60));
}, 600_000);
afterAll(() => nodes?.close());

const createEvent = (sections: unknown[]) => createRaceEvent(nodes!, adminToken, 'Reserve race', sections);

async function makeCode(eventId: string, body: Record<string, unknown>) {
  const made = await call(node(0).url, 'POST', `/api/v1/events/${eventId}/codes`, { kind: 'presale', validUntil: new Date(Date.now() + 3_600_000).toISOString(), ...body }, adminToken);
  expect(made.status).toBe(201);
  return made.body.items as { id: string; code: string }[];
}

const hold = (i: number, body: Record<string, unknown>) => call(node(i).url, 'POST', '/api/v1/holds', body, tokens[i % tokens.length]);

/** The code's reserve counter, and the reserve's units of its active holds. */
async function reserveCounts(codeId: string) {
  const { rows: [row] } = await nodes!.db.query<{ reserveLeft: number; heldFromReserve: number; released: boolean }>(
    `select c.reserve_left as "reserveLeft", c.reserve_released_at is not null as released,
            (select coalesce(sum(i.from_reserve), 0) from holds h join hold_items i on i.hold_id = h.id where h.event_code_id = c.id and h.status = 'active')::int as "heldFromReserve"
       from event_codes c where c.id = $1`,
    [codeId],
  );
  return row!;
}

const expectExact = (samples: Awaited<ReturnType<typeof sectionAccounting>>[]) => {
  expect(samples.length).toBeGreaterThan(1);
  for (const sample of samples) for (const s of sample) expect(accountedUnits(s)).toBe(s.capacity);
};

describe('code reserves across three server processes', () => {
  it('never lets 300 concurrent general holds take the 30 reserved units, while the code\'s holders take them', async () => {
    const event = await createEvent([{ name: 'Floor', price: 5000, capacity: 100 }]);
    const sectionId = event.sections[0].id as string;
    const [code] = await makeCode(event.id, { code: 'FANCLUB', reserve: 30, sectionId });

    const stop = watchAccounting(nodes!.db, event.id);
    // 300 general holds and 50 code holds of one ticket, interleaved: 50 code holders for 30 reserved units.
    const requests = Array.from({ length: 350 }, (_, i) => (i % 7 === 0 ? { eventId: event.id, sectionId, quantity: 1, code: 'fanclub' } : { eventId: event.id, sectionId, quantity: 1 }));
    const replies = await Promise.all(requests.map((body, i) => hold(i, body)));
    expectExact(await stop());

    const ok = (withCode: boolean) => replies.filter((r, i) => r.status === 201 && ('code' in requests[i]!) === withCode).length;
    expect(replies.filter((r) => r.status !== 201 && r.body?.error?.code !== 'sold_out').map((r) => r.body)).toEqual([]);
    expect(ok(true)).toBeGreaterThanOrEqual(30);
    expect(ok(false)).toBeLessThanOrEqual(70);
    expect(ok(true) + ok(false)).toBe(100);
    expect(await reserveCounts(code!.id)).toEqual({ reserveLeft: 0, heldFromReserve: 30, released: false });
    expect((await sectionAccounting(nodes!.db, event.id))[0]).toMatchObject({ held: 100, setAside: 0, available: 0 });
  }, 300_000);

  it('gives expired code holds\' units back to the reserve, not to 100 concurrent general holds, while the reserve stands', async () => {
    const event = await createEvent([{ name: 'Floor', price: 5000, capacity: 40 }]);
    const sectionId = event.sections[0].id as string;
    const [code] = await makeCode(event.id, { code: 'BACKSTAGE', reserve: 10, sectionId });
    const codeHolds = await Promise.all(Array.from({ length: 5 }, (_, i) => hold(i, { eventId: event.id, sectionId, quantity: 2, code: 'BACKSTAGE' })));
    expect(codeHolds.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect((await sectionAccounting(nodes!.db, event.id))[0]).toMatchObject({ held: 10, setAside: 0, available: 30 });

    // The code holds lapse; every process's sweeper and the general holds' reclaims race to end them.
    await nodes!.db.query(`update holds set expires_at = now() - interval '1 second' where id = any($1::uuid[])`, [codeHolds.map((r) => r.body.id)]);
    const stop = watchAccounting(nodes!.db, event.id);
    const general = await Promise.all(Array.from({ length: 100 }, (_, i) => hold(i + 5, { eventId: event.id, sectionId, quantity: 1 })));
    expectExact(await stop());
    expect(general.filter((r) => r.status === 201).length).toBe(30);
    expect(general.filter((r) => r.status !== 201).map((r) => r.body.error.code)).toEqual(Array.from({ length: 70 }, () => 'sold_out'));

    // Ended (by the sweepers or a reclaim), their 10 units are the reserve's again, and only the code takes them.
    await expect.poll(async () => (await reserveCounts(code!.id)).reserveLeft, { timeout: 30_000 }).toBe(10);
    expect((await sectionAccounting(nodes!.db, event.id))[0]).toMatchObject({ held: 30, setAside: 10, available: 0 });
    expect((await hold(0, { eventId: event.id, sectionId, quantity: 1 })).body.error.code).toBe('sold_out');
    const again = await Promise.all([1, 2].map((i) => hold(i, { eventId: event.id, sectionId, quantity: 5, code: 'backstage' })));
    expect(again.map((r) => r.status)).toEqual([201, 201]);
    expect((await sectionAccounting(nodes!.db, event.id))[0]).toMatchObject({ held: 40, setAside: 0, available: 0 });
  }, 300_000);

  it('returns due reserves exactly once, the waitlist first, while three processes\' sweepers and eight connections release them at once', async () => {
    const event = await createEvent([{ name: 'Floor', price: 5000, capacity: 60 }, { name: 'Balcony', price: 3000, capacity: 60 }]);
    const [floor, balcony] = (event.sections as { id: string }[]).map((s) => s.id);
    const codes = [
      ...(await makeCode(event.id, { generate: 5, reserve: 4, sectionId: floor })),
      ...(await makeCode(event.id, { generate: 5, reserve: 4, sectionId: balcony })),
    ];
    // Each code holds 1 of its 4; general sale takes the 40 on sale in each section.
    for (const [i, code] of codes.entries()) {
      expect((await hold(i, { eventId: event.id, sectionId: i < 5 ? floor : balcony, quantity: 1, code: code.code })).status).toBe(201);
    }
    for (const [n, sectionId] of [floor, balcony].entries()) {
      const all = await Promise.all(Array.from({ length: 40 }, (_, i) => hold(n * 40 + i + 10, { eventId: event.id, sectionId, quantity: 1 })));
      expect(all.every((r) => r.status === 201)).toBe(true);
    }
    // Sold out in general: 20 fans wait on the floor (the 15 reserved units left there go to the first 15).
    const waiting = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      call(node(i).url, 'POST', `/api/v1/events/${event.id}/waitlist`, { sectionId: floor, quantity: 1 }, tokens[i + 40])));
    expect(waiting.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 201));
    expect((await sectionAccounting(nodes!.db, event.id)).map((s) => [s.held, s.setAside, s.available])).toEqual([[45, 15, 0], [45, 15, 0]]);

    const pools: Database[] = await Promise.all(Array.from({ length: 8 }, () => openPostgres(nodes!.databaseUrl, 1)));
    try {
      const stock = createStock(waitlistReturnPolicy);
      await nodes!.db.query(`update event_codes set valid_until = now() where event_id = $1`, [event.id]);
      const stop = watchAccounting(nodes!.db, event.id);
      const released = await Promise.all(pools.map((db) => releaseDueReserves(db, stock)));
      // The processes' sweepers release too: wait until every code is released, then count.
      await expect.poll(async () => (await nodes!.db.query(`select count(*)::int as n from event_codes where event_id = $1 and reserve_released_at is null`, [event.id])).rows[0]!.n, { timeout: 30_000 }).toBe(0);
      expectExact(await stop());
      expect(released.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(30);
    } finally {
      await Promise.all(pools.map((db) => db.close()));
    }
    const [floorNow, balconyNow] = await sectionAccounting(nodes!.db, event.id);
    expect(floorNow).toMatchObject({ held: 45, offered: 15, setAside: 0, available: 0, reserved: 0 });
    expect(balconyNow).toMatchObject({ held: 45, offered: 0, setAside: 0, available: 15 });
    const { rows: entries } = await nodes!.db.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from waitlist_entries where event_id = $1 group by status order by status`, [event.id]);
    expect(entries).toEqual([{ status: 'offered', n: 15 }, { status: 'waiting', n: 5 }]);
    const { rows: [counters] } = await nodes!.db.query<{ available: number; setAside: number }>(
      `select sum(available)::int as available, sum(set_aside_for_codes)::int as "setAside" from sections where event_id = $1`, [event.id]);
    expect(counters).toEqual({ available: 15, setAside: 0 });
  }, 300_000);
});
