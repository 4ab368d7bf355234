import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, seatIds, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { waitFor } from '../../../test/support/wait.js';
import type { AppError } from '../../errors.js';
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
    const event = await app.createEvent({ maxHoldsPerUser: 2, sections: [{ name: 'Pit', price: 100, capacity: 5 }] });
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

  it('refuses holds with not_on_sale and opensAt until onsale.startsAt, with or without a waiting room', async () => {
    const opensAt = new Date(Date.now() + 5 * 86_400_000).toISOString();
    const withoutQueue = await app.createEvent({ sections: [{ name: 'Floor', price: 5000, capacity: 10 }, seatedSection(1, 4)], onsale: { startsAt: opensAt } });
    const queueOff = await app.createEvent({ onsale: { startsAt: opensAt, queue: { enabled: false, admitPerMinute: 60 } } });
    const [seat] = await seatIds(app, withoutQueue.id);
    for (const body of [
      { eventId: withoutQueue.id, sectionId: withoutQueue.sections[0].id, quantity: 1 },
      { eventId: withoutQueue.id, sectionId: withoutQueue.sections[1].id, quantity: 1 },
      { eventId: withoutQueue.id, seatIds: [seat] },
      { eventId: queueOff.id, sectionId: queueOff.sections[0].id, quantity: 1 },
    ]) {
      const early = await hold(body);
      expect(early.status).toBe(409);
      expect(early.body.error).toMatchObject({ code: 'not_on_sale', details: { opensAt } });
    }
    expect((await app.request('GET', `/api/v1/events/${withoutQueue.id}`)).body.sections.map((s: { available: number }) => s.available)).toEqual([10, 4]);
    // The opening is read from the database's clock in the transaction that writes the hold.
    await app.db.query(`update event_onsale set starts_at = now() - interval '1 second' where event_id = $1`, [withoutQueue.id]);
    expect((await hold({ eventId: withoutQueue.id, seatIds: [seat] })).status).toBe(201);
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

  it('answers one of two concurrent holds that reuse one Idempotency-Key for two events, and refuses the other with 422, taking its stock nowhere', async () => {
    const [first, second] = [await app.createEvent(), await app.createEvent()];
    const racers = await app.registerBuyers(20);
    const rounds = await Promise.all(racers.map((racer) => Promise.all([first, second].map((event) =>
      app.fetch('POST', '/api/v1/holds', { token: racer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 }, headers: { 'idempotency-key': 'same-key-two-events' } })))));
    const outcomes = rounds.map((replies) => replies.map((r) => `${r.status} ${r.body.error?.code ?? ''}`.trim()).sort());
    expect(outcomes).toEqual(racers.map(() => ['201', '422 idempotency_key_reused']));
    const available = await Promise.all([first, second].map(async (event) => (await app.request('GET', `/api/v1/events/${event.id}`)).body.sections[0].available));
    expect(available[0]! + available[1]!).toBe(200 - 2 * racers.length);
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

  it("lists a buyer's own live holds, per event or all, and never another buyer's, a released or a lapsed one", async () => {
    const me = await app.registerBuyer();
    const first = await app.createEvent({ maxHoldsPerUser: 3, sections: [{ name: 'Floor', price: 5000, capacity: 10 }, seatedSection(1, 6)] });
    const second = await app.createEvent();
    const ga = (await hold({ eventId: first.id, sectionId: first.sections[0].id, quantity: 2 }, me.token)).body;
    const seats = (await hold({ eventId: first.id, sectionId: first.sections[1].id, quantity: 2 }, me.token)).body;
    const released = (await hold({ eventId: first.id, sectionId: first.sections[0].id, quantity: 1 }, me.token)).body;
    const elsewhere = (await hold({ eventId: second.id, sectionId: second.sections[0].id, quantity: 1 }, me.token)).body;
    await hold({ eventId: first.id, sectionId: first.sections[0].id, quantity: 1 }, buyer.token);
    expect((await app.request('DELETE', `/api/v1/holds/${released.id}`, { token: me.token })).status).toBe(204);
    await app.db.query(`update holds set expires_at = now() + interval '1 minute' where id = $1`, [seats.id]);

    const forEvent = await app.request('GET', `/api/v1/me/holds?eventId=${first.id}`, { token: me.token });
    expect(forEvent.status).toBe(200);
    // Soonest to lapse first; each as GET /holds/:id shows it.
    expect(forEvent.body.map((h: { id: string }) => h.id)).toEqual([seats.id, ga.id]);
    expect(forEvent.body[0]).toEqual((await app.request('GET', `/api/v1/holds/${seats.id}`, { token: me.token })).body);
    const all = await app.request('GET', '/api/v1/me/holds', { token: me.token });
    expect(all.body.map((h: { id: string }) => h.id).sort()).toEqual([seats.id, ga.id, elsewhere.id].sort());

    await app.db.query(`update holds set expires_at = now() - interval '1 second' where id = $1`, [seats.id]);
    expect((await app.request('GET', `/api/v1/me/holds?eventId=${first.id}`, { token: me.token })).body.map((h: { id: string }) => h.id)).toEqual([ga.id]);
    expect((await app.request('GET', '/api/v1/me/holds')).status).toBe(401);
    expect((await app.request('GET', '/api/v1/me/holds?eventId=nope', { token: me.token })).status).toBe(400);
  });

  it('releases a hold: its tickets go back on sale once, however often it is released', async () => {
    const event = await app.createEvent({ maxHoldsPerUser: 2, sections: [{ name: 'Floor', price: 5000, capacity: 10 }, seatedSection()] });
    const ga = (await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 4 })).body;
    const seats = (await hold({ eventId: event.id, sectionId: event.sections[1].id, quantity: 2 })).body;
    for (const id of [ga.id, ga.id, seats.id]) expect((await app.request('DELETE', `/api/v1/holds/${id}`, { token: buyer.token })).status).toBe(204);
    const sections = (await app.request('GET', `/api/v1/events/${event.id}`)).body.sections;
    expect(sections.map((s: { available: number }) => s.available)).toEqual([10, 20]);
    expect((await app.request('GET', `/api/v1/holds/${ga.id}`, { token: buyer.token })).body.status).toBe('released');
  });

  it('stops counting a hold the moment it expires, and the sweeper returns it', async () => {
    const event = await app.createEvent({ maxHoldsPerUser: 2, maxTicketsPerUser: 12, sections: [{ name: 'Floor', price: 5000, capacity: 8 }, seatedSection(1, 4)] });
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
    expect(await waitFor(statuses, (s) => s.every((status) => status === 'expired'))).toEqual(['expired', 'expired']);
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
    const event = await app.createEvent({ maxTicketsPerUser: 4, maxHoldsPerUser: 2, sections: [{ name: 'Floor', price: 5000, capacity: 100 }, seatedSection()] });
    const someone = await app.registerBuyer();
    expect((await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 3 }, someone.token)).status).toBe(201);
    const [seat1, seat2] = await seatIds(app, event.id);
    const over = await hold({ eventId: event.id, seatIds: [seat1, seat2] }, someone.token);
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: 'limit_reached', details: { maxTicketsPerUser: 4 } });
    expect((await hold({ eventId: event.id, seatIds: [seat1] }, someone.token)).status).toBe(201);
  });

  it('caps a buyer at one open hold per event by default, names it, and lets them hold again once it is released', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 5000, capacity: 100 }, seatedSection()] });
    const other = await app.createEvent();
    const someone = await app.registerBuyer();
    const first = await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 2 }, someone.token);
    expect(first.status).toBe(201);
    const [seat] = await seatIds(app, event.id);
    for (const body of [{ eventId: event.id, sectionId: event.sections[0].id, quantity: 1 }, { eventId: event.id, sectionId: event.sections[1].id, quantity: 1 }, { eventId: event.id, seatIds: [seat] }]) {
      const refused = await hold(body, someone.token);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'hold_limit_reached', details: { holdIds: [first.body.id], maxHoldsPerUser: 1 } });
    }
    expect((await hold({ eventId: other.id, sectionId: other.sections[0].id, quantity: 1 }, someone.token)).status).toBe(201);
    expect((await app.request('DELETE', `/api/v1/holds/${first.body.id}`, { token: someone.token })).status).toBe(204);
    expect((await hold({ eventId: event.id, seatIds: [seat] }, someone.token)).status).toBe(201);
    const accounting = await sectionAccounting(app.db, event.id);
    expect(accounting.map((s) => s.held)).toEqual([0, 1]);
  });

  it('stops counting an open hold against the cap once it has expired', async () => {
    const event = await app.createEvent();
    const someone = await app.registerBuyer();
    const body = { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 };
    const first = await hold(body, someone.token);
    await app.db.query(`update holds set expires_at = now() - interval '1 second' where id = $1`, [first.body.id]);
    expect((await hold(body, someone.token)).status).toBe(201);
  });

  it("applies an event's own maxHoldsPerUser and maxTicketsPerUser, and null lifts the ticket cap", async () => {
    const event = await app.createEvent({ maxHoldsPerUser: 3, maxTicketsPerUser: 10 });
    const sectionId = event.sections[0].id;
    const someone = await app.registerBuyer();
    const placed: string[] = [];
    for (let i = 0; i < 3; i++) placed.push((await hold({ eventId: event.id, sectionId, quantity: 3 }, someone.token)).body.id);
    const fourth = await hold({ eventId: event.id, sectionId, quantity: 1 }, someone.token);
    expect(fourth.body.error).toMatchObject({ code: 'hold_limit_reached', details: { maxHoldsPerUser: 3 } });
    expect([...fourth.body.error.details.holdIds].sort()).toEqual([...placed].sort());
    await app.request('DELETE', `/api/v1/holds/${placed[0]}`, { token: someone.token });
    const over = await hold({ eventId: event.id, sectionId, quantity: 5 }, someone.token);
    expect(over.body.error).toMatchObject({ code: 'limit_reached', details: { maxTicketsPerUser: 10 } });
    expect((await hold({ eventId: event.id, sectionId, quantity: 4 }, someone.token)).status).toBe(201);

    const unlimited = await app.createEvent({ maxHoldsPerUser: 2, maxTicketsPerUser: null });
    for (let i = 0; i < 2; i++) expect((await hold({ eventId: unlimited.id, sectionId: unlimited.sections[0].id, quantity: 8 }, someone.token)).status).toBe(201);
    const lowered = await app.request('PATCH', `/api/v1/events/${unlimited.id}`, { token: app.adminToken, body: { maxHoldsPerUser: 1 } });
    expect(lowered.body).toMatchObject({ maxHoldsPerUser: 1, maxTicketsPerUser: null });
    expect((await hold({ eventId: unlimited.id, sectionId: unlimited.sections[0].id, quantity: 1 }, someone.token)).body.error.code).toBe('hold_limit_reached');
  });

  it('answers 401 invalid_token to a deleted account and still serves the other holds of its batch', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 5000, capacity: 100 }, seatedSection()] });
    const sectionId = event.sections[0].id;
    const [gone, ...others] = await app.registerBuyers(4);
    await app.db.query('delete from users where id = $1', [gone!.userId]);
    const [seat] = await seatIds(app, event.id);
    for (const body of [{ eventId: event.id, sectionId, quantity: 1 }, { eventId: event.id, seatIds: [seat] }]) {
      const reply = await hold(body, gone!.token);
      expect(reply.status).toBe(401);
      expect(reply.body.error.code).toBe('invalid_token');
    }
    // Submitted in one tick, the first request runs as a batch of its own and the other three wait
    // for the next batch together, the deleted account among them.
    const place = (userId: string) => app.server.context.holds.place({ userId, eventId: event.id, target: { sectionId, quantity: 2 } });
    const results = await Promise.allSettled([others[0]!, gone!, others[1]!, others[2]!].map((b) => place(b.userId)));
    expect(results.map((r) => (r.status === 'fulfilled' ? 'placed' : (r.reason as AppError).code))).toEqual(['placed', 'invalid_token', 'placed', 'placed']);
    expect((await sectionAccounting(app.db, event.id)).map((s) => [s.held, s.available])).toEqual([[6, 94], [0, 20]]);
  });
});
