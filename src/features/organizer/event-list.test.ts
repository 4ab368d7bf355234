import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestApp, type TestApp } from '../../../test/support/app.js';

describe.each(backends)("the organizer's event list on %s", (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend);
  });
  afterAll(() => app?.close());

  it('lists drafts, events on sale, past and cancelled ones, each filterable, with tickets sold', async () => {
    const soon = await app.createEvent({ title: 'Soon', startsAt: new Date(Date.now() + 2 * 86_400_000).toISOString() });
    const later = await app.createEvent({ title: 'Later' });
    const draft = await app.createEvent({ title: 'Draft', status: 'draft' });
    const cancelled = await app.createEvent({ title: 'Called Off' });
    expect((await app.request('PATCH', `/api/v1/events/${cancelled.id}`, { token: app.adminToken, body: { status: 'cancelled' } })).status).toBe(200);
    const past = await app.createEvent({ title: 'Last Week' });
    const buyer = await app.registerBuyer();
    const hold = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: past.id, sectionId: past.sections[0].id, quantity: 2 } });
    expect((await app.request('POST', `/api/v1/holds/${hold.body.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } })).status).toBe(201);
    await app.db.query(`update events set starts_at = now() - interval '7 days' where id = $1`, [past.id]);

    const list = async (query = '') => (await app.request('GET', `/api/v1/organizer/events${query}`, { token: app.adminToken })).body;
    const all = await list();
    expect(all.total).toBe(5);
    // Upcoming soonest first, then the past.
    expect(all.items.map((e: { title: string }) => e.title)).toEqual(['Soon', 'Later', 'Draft', 'Called Off', 'Last Week']);
    expect(all.items.at(-1)).toMatchObject({ id: past.id, phase: 'past', status: 'published', capacity: 100, sold: 2, venue: { city: 'Porto' } });
    expect((await list('?phase=draft')).items.map((e: { id: string }) => e.id)).toEqual([draft.id]);
    expect((await list('?phase=on_sale')).items.map((e: { id: string }) => e.id)).toEqual([soon.id, later.id]);
    expect((await list('?phase=cancelled')).items.map((e: { id: string }) => e.id)).toEqual([cancelled.id]);
    expect((await list('?phase=past')).items.map((e: { id: string }) => e.id)).toEqual([past.id]);
    const second = await list('?limit=2&offset=2');
    expect([second.total, second.items.map((e: { id: string }) => e.id)]).toEqual([5, [draft.id, cancelled.id]]);
  });

  it('is for organizers only and refuses filters it does not know', async () => {
    const buyer = await app.registerBuyer();
    expect((await app.request('GET', '/api/v1/organizer/events', { token: buyer.token })).status).toBe(403);
    expect((await app.request('GET', '/api/v1/organizer/events')).status).toBe(401);
    const bad = await app.request('GET', '/api/v1/organizer/events?phase=soon', { token: app.adminToken });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'validation_failed']);
  });
});
