/**
 * Ticket-type quotas on the two paths that take stock besides a buyer's hold — the order desk's comps
 * and the waitlist's offers — raced across three server processes on one real PostgreSQL. Both take a
 * type's quota under the section's and the type's locks, in `writeHolds`' statement, like holds do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sectionAccounting } from '../src/features/inventory/availability.js';
import { accountedUnits, ticketTypeCounts, watchAccounting } from './support/accounting.js';
import { createRaceEvent, raceAccounts, startRaceNodes, type RaceNodes } from './support/race-nodes.js';
import { call } from './support/serve.js';

const admin = { email: 'quota-paths-admin@example.test', password: 'quota-paths-admin-password' };
let nodes: RaceNodes | undefined;
const node = (i: number) => nodes!.node(i);
let adminToken: string;
let tokens: string[];

beforeAll(async () => {
  nodes = await startRaceNodes(admin, 'quota-paths-jwt-secret-0123456789abcdef-012');
  ({ adminToken, tokens } = await raceAccounts(nodes!, admin, 'quota-racer', 60));
}, 600_000);
afterAll(() => nodes?.close());

const createEvent = (sections: unknown[]) => createRaceEvent(nodes!, adminToken, 'Quota paths race', sections);

const typeCounts = (eventId: string) => ticketTypeCounts(nodes!.db, eventId);

describe('ticket-type quotas of comps and waitlist offers across three server processes', () => {
  it('counts comps in a type\'s quota while 60 holds race 10 comps for it', async () => {
    const event = await createEvent([{ name: 'Floor', price: 5000, capacity: 100, ticketTypes: [{ name: 'Adult', price: 5000 }, { name: 'Child', price: 2500, quota: 12 }] }]);
    const sectionId = event.sections[0].id as string;
    const [adult, child] = (event.sections[0].ticketTypes as { id: string }[]).map((t) => t.id);

    // A comp in a section with types must name one.
    const untyped = await call(node(0).url, 'POST', `/api/v1/events/${event.id}/orders`, { email: 'nobody@example.test', sectionId, quantity: 1, reason: 'Press' }, adminToken);
    expect(untyped.body.error.code).toBe('validation_failed');

    const stop = watchAccounting(nodes!.db, event.id);
    const [holds, comps] = await Promise.all([
      Promise.all(Array.from({ length: 60 }, (_, i) => call(node(i).url, 'POST', '/api/v1/holds', { eventId: event.id, sectionId, items: [{ ticketTypeId: child, quantity: 1 }] }, tokens[i]))),
      Promise.all(Array.from({ length: 10 }, (_, i) => call(node(i).url, 'POST', `/api/v1/events/${event.id}/orders`,
        { email: `guest-${i}@example.test`, sectionId, quantity: 2, ticketTypeId: child, reason: 'Press' }, adminToken))),
    ]);
    for (const sample of await stop()) for (const s of sample) expect(accountedUnits(s)).toBe(s.capacity);
    for (const reply of [...holds, ...comps]) expect([201, 409], JSON.stringify(reply.body)).toContain(reply.status);
    for (const reply of [...holds, ...comps]) if (reply.status === 409) expect(reply.body.error.code).toBe('sold_out');

    const held = holds.filter((r) => r.status === 201).length;
    const comped = comps.filter((r) => r.status === 201).length;
    const [adultCounts, childCounts] = await typeCounts(event.id);
    expect(childCounts).toMatchObject({ taken: held + 2 * comped, held, sold: 2 * comped });
    expect(childCounts!.taken).toBeLessThanOrEqual(12);
    expect(childCounts!.taken).toBeGreaterThanOrEqual(11);
    expect(comped).toBeGreaterThan(0);
    expect(adultCounts).toMatchObject({ taken: 0 });

    // Adult has no quota: a comp of it takes only the section's stock.
    const adultComp = await call(node(1).url, 'POST', `/api/v1/events/${event.id}/orders`, { email: 'vip@example.test', sectionId, quantity: 3, ticketTypeId: adult, reason: 'Artist' }, adminToken);
    expect(adultComp.status).toBe(201);
    expect((await typeCounts(event.id))[0]).toMatchObject({ taken: 3, sold: 3 });
  }, 300_000);

  it('makes waitlist offers of the first public type whose quota covers them while ten releases race', async () => {
    const event = await createEvent([{ name: 'Floor', price: 5000, capacity: 10, ticketTypes: [
      { name: 'Early', price: 3000, quota: 4 }, { name: 'Hidden', price: 100, visibility: 'hidden' }, { name: 'Regular', price: 5000 },
    ] }]);
    const sectionId = event.sections[0].id as string;
    const regular = (event.sections[0].ticketTypes as { id: string; name: string }[]).find((t) => t.name === 'Regular')!.id;
    const holds = await Promise.all(Array.from({ length: 10 }, (_, i) => call(node(i).url, 'POST', '/api/v1/holds', { eventId: event.id, sectionId, items: [{ ticketTypeId: regular, quantity: 1 }] }, tokens[i])));
    expect(holds.map((h) => h.status)).toEqual(Array.from({ length: 10 }, () => 201));
    const joined = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      call(node(i).url, 'POST', `/api/v1/events/${event.id}/waitlist`, { sectionId, quantity: 1 }, tokens[20 + i])));
    expect(joined.map((j) => j.status)).toEqual(Array.from({ length: 10 }, () => 201));

    const stop = watchAccounting(nodes!.db, event.id);
    const released = await Promise.all(holds.map((h, i) => call(node(i + 1).url, 'DELETE', `/api/v1/holds/${h.body.id}`, undefined, tokens[i])));
    expect(released.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => 204));
    for (const sample of await stop()) for (const s of sample) expect(accountedUnits(s)).toBe(s.capacity);

    expect((await sectionAccounting(nodes!.db, event.id))[0]).toMatchObject({ offered: 10, held: 0, available: 0 });
    expect((await typeCounts(event.id)).map((t) => [t.name, t.taken, t.held])).toEqual([['Early', 4, 4], ['Hidden', 0, 0], ['Regular', 6, 6]]);
    const { rows: prices } = await nodes!.db.query<{ price: number; n: number }>(
      `select i.price, count(*)::int as n from holds h join hold_items i on i.hold_id = h.id
        where h.event_id = $1 and h.status = 'active' and h.waitlist_entry_id is not null group by i.price order by i.price`, [event.id]);
    expect(prices).toEqual([{ price: 3000, n: 4 }, { price: 5000, n: 6 }]);
  }, 300_000);
});
