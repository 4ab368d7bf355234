import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { demoCatalogueSize } from './catalogue.js';
import { demoEvents, seedDemo } from './demo.js';

/** Issue 12, item 14: the demo looks like a real catalogue and shows every feature within minutes. */
describe('the demo seed', () => {
  let app: TestApp;
  const now = new Date();
  let events: any[];
  beforeAll(async () => {
    app = await startTestApp('pglite');
    expect(await seedDemo(app.server.context, now)).toMatchObject({ eventId: expect.any(String) });
    events = (await app.request('GET', '/api/v1/events?limit=100')).body.items;
  }, 120_000);
  afterAll(() => app?.close());

  const byTitle = (title: string) => events.find((e) => e.title === title);
  const stats = async (id: string) => (await app.request('GET', `/api/v1/events/${id}/stats`, { token: app.adminToken })).body;

  it('lists the demo events and the catalogue: several cities and categories', () => {
    expect(events).toHaveLength(Object.keys(demoEvents).length + demoCatalogueSize);
    expect(new Set(events.map((e) => e.venue.city)).size).toBeGreaterThanOrEqual(6);
    expect(new Set(events.map((e) => e.category)).size).toBeGreaterThanOrEqual(8);
    expect(byTitle(demoEvents.main).capacity).toBe(1_200);
  });

  it('starts every event in the evening where it happens, each venue with its own time zone', () => {
    expect(new Set(events.map((e) => e.venue.timeZone))).toEqual(new Set(['Europe/Lisbon', 'Europe/Madrid', 'Europe/Paris', 'Europe/London', 'Europe/Berlin', 'America/Sao_Paulo']));
    for (const event of events) {
      const [hours, minutes] = new Intl.DateTimeFormat('en-GB', { timeZone: event.venue.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(event.startsAt)).split(':').map(Number);
      expect(hours! * 60 + minutes!, `${event.title} in ${event.venue.city}`).toBeGreaterThanOrEqual(19 * 60);
      expect(hours, `${event.title} in ${event.venue.city}`).toBeLessThanOrEqual(23);
    }
  });

  it('has an event whose waiting room opens a minute after the seed, and whose sale opens minutes later', async () => {
    const queued = (await app.request('GET', `/api/v1/events/${byTitle(demoEvents.queued).id}`)).body;
    const { preQueueOpensAt } = queued.onsale.queue;
    expect(queued.onsale.queue).toMatchObject({ enabled: true, paused: false });
    expect(Date.parse(preQueueOpensAt) - now.getTime()).toBe(60_000);
    expect(Date.parse(queued.onsale.startsAt) - now.getTime()).toBe(180_000);
    expect((await stats(queued.id)).queue).toMatchObject({ state: 'pre_queue', length: 0 });
  });

  it('has an event sold out through real orders, with a waitlist waiting for returns', async () => {
    const soldOut = byTitle(demoEvents.soldOut);
    expect(soldOut.available).toBe(0);
    expect((await stats(soldOut.id)).sections).toEqual([expect.objectContaining({ capacity: 6, sold: 6, held: 0, available: 0 })]);
    const waitlist = (await app.request('GET', `/api/v1/events/${soldOut.id}/waitlist/summary`, { token: app.adminToken })).body;
    expect(waitlist.sections).toEqual([expect.objectContaining({ waiting: 2, waitingTickets: 2, offersOpen: 0 })]);
    const orders = await app.db.query<{ n: number }>(`select count(*)::int as n from orders where event_id = $1 and status = 'confirmed'`, [soldOut.id]);
    expect(orders.rows[0]!.n).toBe(3);
  });
});
