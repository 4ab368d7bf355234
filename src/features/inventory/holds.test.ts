import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, seatIds, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { until } from '../../../test/support/wait.js';
import { sectionAccounting } from './availability.js';

const seatedSection = (rows = 2, seats = 10) => ({ name: 'Stalls', price: 7000, rows: Array.from({ length: rows }, (_, i) => ({ label: String.fromCharCode(65 + i), seats })) });

describe.each(backends)('holds on %s', (backend) => {
  let app: TestApp;
  let buyer: Buyer;
  beforeAll(async () => {
    app = await startTestApp(backend);
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  const hold = (body: unknown, token = buyer.token, headers: Record<string, string> = {}) => app.request('POST', '/api/v1/holds', { token, body, headers });

  it('holds general-admission tickets and shows them as taken', async () => {
    const event = await app.createEvent();
    const sectionId = event.sections[0].id;
    const reply = await hold({ eventId: event.id, sectionId, quantity: 3 });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ eventId: event.id, status: 'active', total: 15000, currency: 'EUR' });
    expect(reply.body.items).toEqual([{ sectionId, price: 5000 }, { sectionId, price: 5000 }, { sectionId, price: 5000 }]);
    expect(new Date(reply.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 590_000);
    const after = await app.request('GET', `/api/v1/events/${event.id}`);
    expect(after.body.sections[0]).toMatchObject({ capacity: 100, available: 97, kind: 'ga' });
  });

  it('refuses sold_out when fewer tickets remain than requested, and takes nothing', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Pit', price: 100, capacity: 5 }] });
    const sectionId = event.sections[0].id;
    expect((await hold({ eventId: event.id, sectionId, quantity: 4 })).status).toBe(201);
    const refused = await hold({ eventId: event.id, sectionId, quantity: 2 });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('sold_out');
    expect((await hold({ eventId: event.id, sectionId, quantity: 1 })).status).toBe(201);
    expect((await app.request('GET', `/api/v1/events/${event.id}`)).body.sections[0].available).toBe(0);
  });

  it('picks the best adjacent seats of a reserved section for a quantity', async () => {
    const event = await app.createEvent({ sections: [seatedSection(3, 10)] });
    const reply = await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 4 });
    expect(reply.status).toBe(201);
    const labels = reply.body.items.map((i: { label: string }) => i.label).sort();
    expect(labels).toEqual(['A4', 'A5', 'A6', 'A7']);
    const seats = (await app.request('GET', `/api/v1/events/${event.id}/seats`)).body;
    expect(seats.filter((s: { status: string }) => s.status === 'held').map((s: { label: string }) => s.label).sort()).toEqual(labels);
  });

  it('holds named seats all or nothing and names the ones taken', async () => {
    const event = await app.createEvent({ sections: [seatedSection()] });
    const [a, b, c] = await seatIds(app, event.id);
    expect((await hold({ eventId: event.id, seatIds: [a, b] })).status).toBe(201);
    const other = await app.registerBuyer();
    const refused = await hold({ eventId: event.id, seatIds: [b, c] }, other.token);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'seats_unavailable', details: { seatIds: [b] } });
    const seats = (await app.request('GET', `/api/v1/events/${event.id}/seats`)).body;
    expect(seats.find((s: { id: string }) => s.id === c).status).toBe('available');
  });

  it('refuses quantities outside 1..maxTicketsPerOrder', async () => {
    const event = await app.createEvent({ maxTicketsPerOrder: 4 });
    const sectionId = event.sections[0].id;
    const tooMany = await hold({ eventId: event.id, sectionId, quantity: 5 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error).toMatchObject({ code: 'invalid_quantity', details: { max: 4 } });
    for (const quantity of [0, -1, 1.5, 1000]) expect((await hold({ eventId: event.id, sectionId, quantity })).status).toBe(400);
    expect((await app.request('GET', `/api/v1/events/${event.id}`)).body.sections[0].available).toBe(100);
  });

  it('answers not_on_sale for draft, cancelled and past events', async () => {
    const draft = await app.createEvent({ status: 'draft' });
    const admin = app.adminToken;
    // A buyer cannot see a draft, so its section is not found either way; test as the admin too.
    expect((await hold({ eventId: draft.id, sectionId: draft.sections[0].id, quantity: 1 }, admin)).body.error.code).toBe('not_on_sale');
    const cancelled = await app.createEvent();
    await app.request('PATCH', `/api/v1/events/${cancelled.id}`, { token: admin, body: { status: 'cancelled' } });
    expect((await hold({ eventId: cancelled.id, sectionId: cancelled.sections[0].id, quantity: 1 })).body.error.code).toBe('not_on_sale');
    const past = await app.createEvent({ startsAt: new Date(Date.now() - 86_400_000).toISOString() });
    const reply = await hold({ eventId: past.id, sectionId: past.sections[0].id, quantity: 1 });
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe('not_on_sale');
  });

  it('answers 404 for an unknown event or a section of another event', async () => {
    const one = await app.createEvent();
    const two = await app.createEvent();
    expect((await hold({ eventId: one.id, sectionId: two.sections[0].id, quantity: 1 })).status).toBe(404);
    expect((await hold({ eventId: '00000000-0000-4000-8000-000000000000', seatIds: ['00000000-0000-4000-8000-000000000001'] })).status).toBe(404);
  });

  it('returns the same hold for the same Idempotency-Key and takes stock once', async () => {
    const event = await app.createEvent();
    const body = { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 };
    const first = await hold(body, buyer.token, { 'idempotency-key': 'order-attempt-1' });
    const again = await hold(body, buyer.token, { 'idempotency-key': 'order-attempt-1' });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await app.request('GET', `/api/v1/events/${event.id}`)).body.sections[0].available).toBe(98);
    const different = await hold({ ...body, quantity: 3 }, buyer.token, { 'idempotency-key': 'order-attempt-1' });
    expect(different.status).toBe(422);
    expect(different.body.error.code).toBe('idempotency_key_reused');
  });

  it('lets only the owner see or release a hold; to anyone else it does not exist', async () => {
    const event = await app.createEvent();
    const mine = (await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 2 })).body;
    const other = await app.registerBuyer();
    expect((await app.request('GET', `/api/v1/holds/${mine.id}`, { token: other.token })).status).toBe(404);
    expect((await app.request('DELETE', `/api/v1/holds/${mine.id}`, { token: other.token })).status).toBe(404);
    expect((await app.request('GET', `/api/v1/holds/${mine.id}`, { token: buyer.token })).body.status).toBe('active');
    expect((await app.request('GET', `/api/v1/holds/${mine.id}`)).status).toBe(401);
  });

  it('releases a hold: its tickets go back on sale once, however often it is released', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 5000, capacity: 10 }, seatedSection()] });
    const ga = (await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 4 })).body;
    const seats = (await hold({ eventId: event.id, sectionId: event.sections[1].id, quantity: 2 })).body;
    for (const id of [ga.id, ga.id, seats.id]) expect((await app.request('DELETE', `/api/v1/holds/${id}`, { token: buyer.token })).status).toBe(204);
    const sections = (await app.request('GET', `/api/v1/events/${event.id}`)).body.sections;
    expect(sections.map((s: { available: number }) => s.available)).toEqual([10, 20]);
    expect((await app.request('GET', `/api/v1/holds/${ga.id}`, { token: buyer.token })).body.status).toBe('released');
  });

  it('stops counting a hold the moment it expires, and the sweeper returns it', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 5000, capacity: 8 }, seatedSection(1, 4)] });
    const ga = (await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 8 })).body;
    await hold({ eventId: event.id, sectionId: event.sections[1].id, quantity: 4 });
    expect((await app.request('GET', `/api/v1/events/${event.id}`)).body.sections.map((s: { available: number }) => s.available)).toEqual([0, 0]);
    // The holds run out now (the seats carry a copy of the expiry), however long the requests above took.
    await app.db.query(`update holds set expires_at = now() - interval '1 second' where event_id = $1`, [event.id]);
    await app.db.query(`update seats set held_until = now() - interval '1 second' where event_id = $1 and status = 'held'`, [event.id]);
    // Expired but perhaps not yet swept: reads already count the units as available.
    expect((await app.request('GET', `/api/v1/events/${event.id}`)).body.sections.map((s: { available: number }) => s.available)).toEqual([8, 4]);
    expect((await app.request('GET', `/api/v1/holds/${ga.id}`, { token: buyer.token })).body.status).toBe('expired');
    const statuses = async () => (await app.db.query<{ status: string }>('select status from holds where event_id = $1', [event.id])).rows.map((r) => r.status);
    expect(await until(statuses, (s) => s.every((status) => status === 'expired'))).toEqual(['expired', 'expired']);
    const accounting = await sectionAccounting(app.db, event.id);
    expect(accounting.map((s) => [s.sold, s.held, s.available])).toEqual([[0, 0, 8], [0, 0, 4]]);
  });

  it('sells the stock of an expired hold to the next buyer even before the sweeper runs', async () => {
    const event = await app.createEvent({ holdTtlSeconds: 1, sections: [{ name: 'Floor', price: 5000, capacity: 3 }] });
    const sectionId = event.sections[0].id;
    await hold({ eventId: event.id, sectionId, quantity: 3 });
    await app.server.context.db.query(`update holds set expires_at = now() - interval '1 second' where event_id = $1`, [event.id]);
    const next = await app.registerBuyer();
    const reply = await hold({ eventId: event.id, sectionId, quantity: 3 }, next.token);
    expect(reply.status).toBe(201);
    const accounting = await sectionAccounting(app.db, event.id);
    expect(accounting[0]).toMatchObject({ capacity: 3, held: 3, available: 0, sold: 0 });
  });

  it('caps held plus bought tickets per buyer with maxTicketsPerUser', async () => {
    const event = await app.createEvent({ maxTicketsPerUser: 4, sections: [{ name: 'Floor', price: 5000, capacity: 100 }, seatedSection()] });
    const someone = await app.registerBuyer();
    expect((await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 3 }, someone.token)).status).toBe(201);
    const [seat1, seat2] = await seatIds(app, event.id);
    const over = await hold({ eventId: event.id, seatIds: [seat1, seat2] }, someone.token);
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: 'limit_reached', details: { maxTicketsPerUser: 4 } });
    expect((await hold({ eventId: event.id, seatIds: [seat1] }, someone.token)).status).toBe(201);
  });
});
