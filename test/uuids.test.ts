import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type Buyer, type TestApp } from './support/app.js';
import { fillPath, liveRoutes } from './support/routes.js';

/**
 * Issue 8, item 11: an id is a lower-case UUID everywhere. PostgreSQL would read `6F1C…` as the same
 * uuid, but the code compares ids as text too, so an upper-case id was a 200 on one route and a 404 on
 * the next. Every spelling but the canonical one is refused with 400 `validation_failed`.
 */
describe('non-canonical UUIDs', () => {
  let app: TestApp;
  let buyer: Buyer;
  let event: { id: string; venueId: string; sections: { id: string }[] };
  beforeAll(async () => {
    app = await startTestApp('postgres');
    buyer = await app.registerBuyer();
    event = await app.createEvent();
  });
  afterAll(() => app?.close());

  const refusal = (reply: { status: number; body: any }) => `${reply.status} ${reply.body?.error?.code}`;

  it('are refused with 400 validation_failed in the path of every route that takes an id', async () => {
    const ids: Record<string, string> = { id: event.id.toUpperCase(), sectionId: event.sections[0]!.id.toUpperCase(), holdId: crypto.randomUUID().toUpperCase() };
    const routes = liveRoutes(app).filter((route) => route.params.length > 0);
    expect(routes.length).toBeGreaterThan(15);
    const outcomes: Record<string, string> = {};
    for (const route of routes) {
      const reply = await app.request(route.method, fillPath(route.path, ids), { token: app.adminToken, ...(route.hasBody ? { body: {} } : {}) });
      outcomes[route.key] = refusal(reply);
    }
    // The live socket's upgrade request is not in the OpenAPI document; it is validated all the same.
    outcomes['GET /api/v1/events/{id}/live'] = refusal(await app.request('GET', `/api/v1/events/${ids.id}/live`));
    expect(outcomes).toEqual(Object.fromEntries([...routes.map((route) => route.key), 'GET /api/v1/events/{id}/live'].map((key) => [key, '400 validation_failed'])));
  });

  it('are refused with 400 validation_failed in bodies, where they name an event, a section, a seat or a venue', async () => {
    const seated = await app.createEvent({ sections: [{ name: 'Stalls', price: 2000, rows: [{ label: 'A', seats: 2 }] }] });
    const seatId = (await app.request('GET', `/api/v1/events/${seated.id}/seats`)).body[0].id as string;
    const upper = (id: string) => id.toUpperCase();
    const requests: [string, string, string, unknown][] = [
      ['hold by quantity, section', 'POST', '/api/v1/holds', { eventId: event.id, sectionId: upper(event.sections[0]!.id), quantity: 1 }],
      ['hold by quantity, event', 'POST', '/api/v1/holds', { eventId: upper(event.id), sectionId: event.sections[0]!.id, quantity: 1 }],
      ['hold of named seats', 'POST', '/api/v1/holds', { eventId: seated.id, seatIds: [upper(seatId)] }],
      ['event venue', 'POST', '/api/v1/events', { title: 'Upper', venueId: upper(event.venueId), startsAt: new Date(Date.now() + 86_400_000).toISOString(), currency: 'EUR', sections: [{ name: 'Floor', price: 100, capacity: 1 }] }],
      ['webhook event', 'POST', '/api/v1/admin/webhooks', { url: 'https://hooks.example.com/onsale', eventId: upper(event.id) }],
    ];
    const outcomes: Record<string, string> = {};
    for (const [name, method, path, body] of requests) {
      const token = path.startsWith('/api/v1/holds') ? buyer.token : app.adminToken;
      outcomes[name] = refusal(await app.request(method, path, { token, body }));
    }
    expect(outcomes).toEqual(Object.fromEntries(requests.map(([name]) => [name, '400 validation_failed'])));
    expect((await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0]!.id, quantity: 1 } })).status).toBe(201);
  });

  it('are refused with 400 validation_failed in a list cursor', async () => {
    const first = await app.request('GET', '/api/v1/events?limit=1');
    const [startsAt, id] = JSON.parse(Buffer.from(first.body.nextCursor, 'base64url').toString('utf8')) as [string, string];
    const cursor = Buffer.from(JSON.stringify([startsAt, id.toUpperCase()])).toString('base64url');
    expect(refusal(await app.request('GET', `/api/v1/events?limit=1&cursor=${cursor}`))).toBe('400 validation_failed');
    expect((await app.request('GET', `/api/v1/events?limit=1&cursor=${first.body.nextCursor}`)).status).toBe(200);
  });
});
