import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, seatIds, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { waitFor } from '../../../test/support/wait.js';
import { sectionAccounting } from './availability.js';

const goodCard = { payment: { cardNumber: '4242424242424242' } };
const crowd = { maxHoldsPerUser: null, maxTicketsPerUser: null };
const adultChildVip = [
  { name: 'Adult', price: 5000 },
  { name: 'Child', price: 2500, quota: 3, maxPerOrder: 2 },
  { name: 'VIP', price: 12000, quota: 2 },
];

/** A type's quota counter and what it must equal: its units in active holds (lapsed or not) plus its valid tickets. */
async function typeLedger(app: TestApp, ticketTypeId: string) {
  const { rows: [row] } = await app.db.query<{ taken: number; counted: number }>(
    `select tt.taken,
            ((select coalesce(sum(i.quantity), 0) from hold_items i join holds h on h.id = i.hold_id where i.ticket_type_id = tt.id and h.status = 'active')
             + (select count(*) from tickets t where t.ticket_type_id = tt.id and t.status = 'valid'))::int as counted
       from ticket_types tt where tt.id = $1`,
    [ticketTypeId],
  );
  return row!;
}

describe.each(backends)('ticket types on %s', (backend) => {
  let app: TestApp;
  let buyer: Buyer;
  beforeAll(async () => {
    app = await startTestApp(backend);
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  const hold = (body: unknown, who = buyer) => app.request('POST', '/api/v1/holds', { token: who.token, body });
  const eventView = async (eventId: string, token?: string) => (await app.request('GET', `/api/v1/events/${eventId}`, token ? { token } : {})).body;
  const typesOf = async (eventId: string, token?: string) => (await eventView(eventId, token)).sections[0].ticketTypes as { id: string; name: string; available: number }[];

  it('lists a section\'s types with availability per type; a section without types lists none and sells as before', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Floor', price: 5000, capacity: 10, ticketTypes: adultChildVip }, { name: 'Balcony', price: 3000, capacity: 5 }] });
    const [floor, balcony] = event.sections;
    expect(floor.ticketTypes.map((t: { name: string; available: number; onSale: boolean }) => [t.name, t.available, t.onSale])).toEqual([['Adult', 10, true], ['Child', 3, true], ['VIP', 2, true]]);
    expect(balcony.ticketTypes).toEqual([]);
    const { rows: [found] } = await app.db.query<{ minPrice: number }>('select min_price as "minPrice" from events where id = $1', [event.id]);
    expect(found!.minPrice).toBe(2500);
    const plain = await hold({ eventId: event.id, sectionId: balcony.id, quantity: 2 });
    expect(plain.status).toBe(201);
    expect(plain.body.items).toEqual([{ sectionId: balcony.id, price: 3000 }, { sectionId: balcony.id, price: 3000 }]);
  });

  it('holds lines of several types at their prices, within each quota and maxPerOrder', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Floor', price: 5000, capacity: 10, ticketTypes: adultChildVip }] });
    const sectionId = event.sections[0].id;
    const [adult, child, vip] = event.sections[0].ticketTypes;
    const reply = await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: adult.id, quantity: 1 }, { ticketTypeId: child.id, quantity: 2 }] });
    expect(reply.status).toBe(201);
    expect(reply.body.total).toBe(5000 + 2 * 2500);
    expect(reply.body.items.map((i: { ticketTypeId: string; price: number }) => [i.ticketTypeId, i.price]).sort()).toEqual(
      [[adult.id, 5000], [child.id, 2500], [child.id, 2500]].sort(),
    );
    expect((await typesOf(event.id)).map((t) => t.available)).toEqual([7, 1, 2]);

    const tooMany = await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: child.id, quantity: 1 }, { ticketTypeId: child.id, quantity: 2 }] });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ code: 'invalid_quantity', details: { max: 2, ticketTypeId: child.id } });
    const overQuota = await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: vip.id, quantity: 3 }] });
    expect(overQuota.status).toBe(409);
    expect(overQuota.body.error.code).toBe('sold_out');
    const untyped = await hold({ eventId: event.id, sectionId, quantity: 1 });
    expect(untyped.status).toBe(400);
    expect(untyped.body.error.code).toBe('validation_failed');
    expect((await typeLedger(app, vip.id)).taken).toBe(0);
    expect((await sectionAccounting(app.db, event.id))[0]).toMatchObject({ held: 3, available: 7 });
  });

  it('does not sell hidden or code-only types, or a type outside its sales window, and answers as if a hidden type did not exist', async () => {
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const event = await app.createEvent({
      ...crowd,
      sections: [{ name: 'Floor', price: 5000, capacity: 10, ticketTypes: [
        { name: 'Retired', price: 1000, visibility: 'hidden' }, { name: 'Fan club', price: 4000, visibility: 'code' }, { name: 'Late', price: 6000, salesStartsAt: later },
      ] }],
    });
    const sectionId = event.sections[0].id;
    const [retired, fanClub, late] = event.sections[0].ticketTypes;
    expect((await typesOf(event.id)).map((t) => t.name)).toEqual(['Late']);
    for (const type of [retired, fanClub]) {
      const refused = await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: type.id, quantity: 1 }] });
      expect(refused.status).toBe(404);
      expect(refused.body.error.code).toBe('not_found');
    }
    const early = await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: late.id, quantity: 1 }] });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'not_on_sale', details: { opensAt: later } });
    const foreign = await app.createEvent();
    const wrongSection = await hold({ eventId: foreign.id, sectionId: foreign.sections[0].id, items: [{ ticketTypeId: late.id, quantity: 1 }] });
    expect(wrongSection.status).toBe(404);
  });

  it('gives quota back exactly when a hold is released, expires, or its order is cancelled in part or whole', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Floor', price: 5000, capacity: 10, ticketTypes: [{ name: 'Adult', price: 5000, quota: 4 }] }] });
    const sectionId = event.sections[0].id;
    const [adult] = event.sections[0].ticketTypes;
    const items = (quantity: number) => ({ eventId: event.id, sectionId, items: [{ ticketTypeId: adult.id, quantity }] });

    const released = (await hold(items(4))).body;
    expect((await typeLedger(app, adult.id)).taken).toBe(4);
    expect((await app.request('DELETE', `/api/v1/holds/${released.id}`, { token: buyer.token })).status).toBe(204);
    expect(await typeLedger(app, adult.id)).toEqual({ taken: 0, counted: 0 });

    const lapsing = (await hold(items(4))).body;
    await app.db.query(`update holds set expires_at = now() - interval '1 second' where id = $1`, [lapsing.id]);
    expect((await typesOf(event.id))[0]!.available).toBe(4);
    expect(await waitFor(() => typeLedger(app, adult.id), (l) => l.taken === 0)).toEqual({ taken: 0, counted: 0 });

    const paid = (await hold(items(3))).body;
    const order = (await app.request('POST', `/api/v1/holds/${paid.id}/checkout`, { token: buyer.token, body: goodCard })).body;
    expect(order.tickets.map((t: { ticketTypeId: string; ticketTypeName: string; price: number }) => [t.ticketTypeId, t.ticketTypeName, t.price]))
      .toEqual(Array.from({ length: 3 }, () => [adult.id, 'Adult', 5000]));
    expect(await typeLedger(app, adult.id)).toEqual({ taken: 3, counted: 3 });
    const partial = await app.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token, body: { ticketIds: [order.tickets[0].id] } });
    expect(partial.status).toBe(200);
    expect(await typeLedger(app, adult.id)).toEqual({ taken: 2, counted: 2 });
    expect((await app.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token })).status).toBe(200);
    expect(await typeLedger(app, adult.id)).toEqual({ taken: 0, counted: 0 });
    expect((await sectionAccounting(app.db, event.id))[0]).toMatchObject({ sold: 0, held: 0, available: 10 });
  });

  it('reclaims a lapsed hold\'s quota for the next buyer before the sweeper does', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Floor', price: 5000, capacity: 10, ticketTypes: [{ name: 'VIP', price: 9000, quota: 2 }] }] });
    const sectionId = event.sections[0].id;
    const [vip] = event.sections[0].ticketTypes;
    const first = (await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: vip.id, quantity: 2 }] })).body;
    // Lapsed but not swept: the next hold must not read the quota as used up.
    await app.db.query(`update holds set expires_at = now() - interval '1 second' where id = $1`, [first.id]);
    const next = await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: vip.id, quantity: 2 }] }, await app.registerBuyer());
    expect(next.status).toBe(201);
    expect(await typeLedger(app, vip.id)).toEqual({ taken: 2, counted: 2 });
  });

  it('holds named seats as types, by one type for all or one per seat, within quotas (a lapsed seat hold\'s quota reclaimed)', async () => {
    const event = await app.createEvent({
      ...crowd,
      sections: [{ name: 'Stalls', price: 7000, rows: [{ label: 'A', seats: 6 }], ticketTypes: [{ name: 'Adult', price: 7000 }, { name: 'Child', price: 3500, quota: 2 }] }],
    });
    const [adult, child] = event.sections[0].ticketTypes;
    const [a1, a2, a3, a4, a5] = await seatIds(app, event.id);
    const mixed = await hold({ eventId: event.id, seats: [{ seatId: a1, ticketTypeId: adult.id }, { seatId: a2, ticketTypeId: child.id }] });
    expect(mixed.status).toBe(201);
    expect(mixed.body.total).toBe(7000 + 3500);
    const other = await app.registerBuyer();
    const overQuota = await hold({ eventId: event.id, seatIds: [a3, a4], ticketTypeId: child.id }, other);
    expect(overQuota.status).toBe(409);
    expect(overQuota.body.error.code).toBe('sold_out');
    expect((await app.request('GET', `/api/v1/events/${event.id}/seats`)).body.filter((s: { status: string }) => s.status === 'held')).toHaveLength(2);
    const untyped = await hold({ eventId: event.id, seatIds: [a5] }, other);
    expect(untyped.status).toBe(400);
    const twice = await hold({ eventId: event.id, seats: [{ seatId: a5, ticketTypeId: adult.id }, { seatId: a5, ticketTypeId: child.id }] }, other);
    expect(twice.status).toBe(400);

    await app.db.query(`update holds set expires_at = now() - interval '1 second' where id = $1`, [mixed.body.id]);
    const afterLapse = await hold({ eventId: event.id, seatIds: [a3, a4], ticketTypeId: child.id }, other);
    expect(afterLapse.status).toBe(201);
    expect(await typeLedger(app, child.id)).toEqual({ taken: 2, counted: 2 });
  });

  it('best-available seats of a reserved section take the lines\' types in order', async () => {
    const event = await app.createEvent({
      ...crowd,
      sections: [{ name: 'Stalls', price: 7000, rows: [{ label: 'A', seats: 6 }], ticketTypes: [{ name: 'Adult', price: 7000 }, { name: 'Child', price: 3500, quota: 1 }] }],
    });
    const sectionId = event.sections[0].id;
    const [adult, child] = event.sections[0].ticketTypes;
    const reply = await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: adult.id, quantity: 2 }, { ticketTypeId: child.id, quantity: 1 }] });
    expect(reply.status).toBe(201);
    expect(reply.body.items).toHaveLength(3);
    expect(reply.body.total).toBe(2 * 7000 + 3500);
    expect(await typeLedger(app, child.id)).toEqual({ taken: 1, counted: 1 });
  });

  it('lets the organizer add and change types through the section route, never a quota below what is held and sold', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Floor', price: 5000, capacity: 10, ticketTypes: [{ name: 'Adult', price: 5000, quota: 5 }] }] });
    const sectionId = event.sections[0].id;
    const [adult] = event.sections[0].ticketTypes;
    await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: adult.id, quantity: 3 }] });
    const patch = (body: unknown, token = app.adminToken) => app.request('PATCH', `/api/v1/events/${event.id}/sections/${sectionId}`, { token, body });

    const tooLow = await patch({ ticketTypes: [{ id: adult.id, quota: 2 }] });
    expect(tooLow.status).toBe(409);
    expect(tooLow.body.error).toMatchObject({ code: 'invalid_quota', details: { minimum: 3 } });
    expect((await patch({ ticketTypes: [{ id: adult.id, quota: 3, price: 5500 }, { name: 'Student', price: 3000, visibility: 'hidden' }] })).status).toBe(200);
    const all = await typesOf(event.id, app.adminToken);
    expect(all.map((t) => [t.name, t.available])).toEqual([['Adult', 0], ['Student', 7]]);
    expect((await typesOf(event.id)).map((t) => t.name)).toEqual(['Adult']);
    expect((await patch({ ticketTypes: [{ price: 100 }] })).status).toBe(400);
    expect((await patch({ ticketTypes: [{ id: crypto.randomUUID(), price: 100 }] })).status).toBe(404);
    expect((await patch({ ticketTypes: [{ id: adult.id, quota: 1 }] }, buyer.token)).status).toBe(404);
    const capacity = await patch({ capacity: 12 });
    expect(capacity.status).toBe(200);
    expect(capacity.body).toMatchObject({ capacity: 12, held: 3 });
  });
});
