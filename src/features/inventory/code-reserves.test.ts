import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountedUnits } from '../../../test/support/accounting.js';
import { startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { sectionAccounting } from './availability.js';

const crowd = { maxHoldsPerUser: null, maxTicketsPerUser: null };
const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

describe('code reserves', () => {
  let app: TestApp;
  let buyers: Buyer[];
  beforeAll(async () => {
    app = await startTestApp('pglite');
    buyers = await app.registerBuyers(6);
  });
  afterAll(() => app?.close());

  const hold = (body: unknown, who: Buyer) => app.request('POST', '/api/v1/holds', { token: who.token, body });
  const makeCodes = (eventId: string, body: Record<string, unknown>) => app.request('POST', `/api/v1/events/${eventId}/codes`, { token: app.adminToken, body });
  const codeOf = async (eventId: string, codeId: string) =>
    (await app.request('GET', `/api/v1/events/${eventId}/codes`, { token: app.adminToken })).body.items.find((c: { id: string }) => c.id === codeId);
  const section = async (eventId: string) => {
    const [s] = await sectionAccounting(app.db, eventId);
    expect(accountedUnits(s!)).toBe(s!.capacity);
    return s!;
  };
  const expire = (holdIds: string[]) => app.db.query(`update holds set expires_at = now() - interval '1 second' where id = any($1::uuid[])`, [holdIds]);
  const endValidity = (codeId: string) =>
    app.db.query(`update event_codes set valid_from = null, valid_until = now() - interval '1 second' where id = $1`, [codeId]);

  async function reservedEvent(reserve: number) {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Floor', price: 5000, capacity: 10 }] });
    const sectionId = event.sections[0].id as string;
    const made = await makeCodes(event.id, { code: 'FANS', kind: 'presale', reserve, sectionId, validUntil: minutesFromNow(60) });
    expect(made.status).toBe(201);
    return { event, sectionId, code: made.body.items[0] };
  }

  it('sets units aside that general sale cannot take and the code\'s holders take first', async () => {
    const { event, sectionId, code } = await reservedEvent(4);
    expect(code).toMatchObject({ sectionId, reserve: 4, reserveLeft: 4, reserveReleasedAt: null });
    expect(await section(event.id)).toMatchObject({ setAside: 4, available: 6 });

    expect((await hold({ eventId: event.id, sectionId, quantity: 6 }, buyers[0]!)).status).toBe(201);
    const refused = await hold({ eventId: event.id, sectionId, quantity: 1 }, buyers[1]!);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('sold_out');

    // General sale is sold out; the code's holders still have its 4.
    expect((await hold({ eventId: event.id, sectionId, quantity: 3, code: 'fans' }, buyers[1]!)).status).toBe(201);
    expect((await codeOf(event.id, code.id)).reserveLeft).toBe(1);
    expect((await hold({ eventId: event.id, sectionId, quantity: 2, code: 'FANS' }, buyers[2]!)).body.error.code).toBe('sold_out');
    expect((await hold({ eventId: event.id, sectionId, quantity: 1, code: 'FANS' }, buyers[2]!)).status).toBe(201);
    expect(await section(event.id)).toMatchObject({ setAside: 0, available: 0, held: 10 });
  });

  it('takes the rest of a code holder\'s hold from general sale once the reserve is used', async () => {
    const { event, sectionId, code } = await reservedEvent(2);
    const held = await hold({ eventId: event.id, sectionId, quantity: 3, code: 'FANS' }, buyers[0]!);
    expect(held.status).toBe(201);
    expect((await codeOf(event.id, code.id)).reserveLeft).toBe(0);
    expect(await section(event.id)).toMatchObject({ setAside: 0, available: 7, held: 3 });
    const { rows } = await app.db.query<{ fromReserve: number }>('select sum(from_reserve)::int as "fromReserve" from hold_items where hold_id = $1', [held.body.id]);
    expect(rows[0]!.fromReserve).toBe(2);
  });

  it('gives an expired code hold\'s units back to the reserve while it stands, and to sale after it is released', async () => {
    const { event, sectionId, code } = await reservedEvent(4);
    const first = await hold({ eventId: event.id, sectionId, quantity: 3, code: 'FANS' }, buyers[0]!);
    const second = await hold({ eventId: event.id, sectionId, quantity: 1, code: 'FANS' }, buyers[1]!);
    expect(await section(event.id)).toMatchObject({ setAside: 0, available: 6, held: 4 });

    // Lapsed, its units count as set aside again (not on sale), and the sweeper puts them back there.
    await expire([first.body.id]);
    expect(await section(event.id)).toMatchObject({ setAside: 3, available: 6, held: 1 });
    await app.server.context.holds.sweepLapsed();
    expect(await section(event.id)).toMatchObject({ setAside: 3, available: 6, held: 1 });
    expect((await codeOf(event.id, code.id)).reserveLeft).toBe(3);

    // Past validUntil the sweeper releases the 3 to sale, once; the live hold's unit follows when it ends.
    await endValidity(code.id);
    await app.server.context.holds.sweepLapsed();
    await app.server.context.holds.sweepLapsed();
    expect(await section(event.id)).toMatchObject({ setAside: 0, available: 9, held: 1 });
    expect(await codeOf(event.id, code.id)).toMatchObject({ reserveLeft: 0, reserveReleasedAt: expect.any(String) });
    expect((await app.request('DELETE', `/api/v1/holds/${second.body.id}`, { token: buyers[1]!.token })).status).toBe(204);
    expect(await section(event.id)).toMatchObject({ setAside: 0, available: 10, held: 0 });
  });

  it('returns a released reserve to the waitlist first', async () => {
    const { event, sectionId, code } = await reservedEvent(3);
    expect((await hold({ eventId: event.id, sectionId, quantity: 7 }, buyers[0]!)).status).toBe(201);
    const joined = await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: buyers[1]!.token, body: { sectionId, quantity: 2 } });
    expect(joined.status).toBe(201);
    await endValidity(code.id);
    await app.server.context.holds.sweepLapsed();
    const entry = await app.request('GET', `/api/v1/events/${event.id}/waitlist`, { token: buyers[1]!.token });
    expect(entry.body.status).toBe('offered');
    expect(await section(event.id)).toMatchObject({ setAside: 0, offered: 2, available: 1 });
  });

  it('refuses a reserve without its section and end, on reserved seating, or larger than the units on sale', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Floor', price: 5000, capacity: 10 }, { name: 'Stalls', price: 7000, rows: [{ label: 'A', seats: 4 }] }] });
    const [ga, seated] = event.sections as { id: string }[];
    expect((await makeCodes(event.id, { code: 'A1', kind: 'presale', reserve: 2, validUntil: minutesFromNow(60) })).body.error.code).toBe('validation_failed');
    expect((await makeCodes(event.id, { code: 'A2', kind: 'presale', reserve: 2, sectionId: ga!.id })).body.error.code).toBe('validation_failed');
    expect((await makeCodes(event.id, { code: 'A3', kind: 'presale', reserve: 2, sectionId: seated!.id, validUntil: minutesFromNow(60) })).body.error.code).toBe('validation_failed');
    const tooMany = await makeCodes(event.id, { generate: 3, kind: 'presale', reserve: 4, sectionId: ga!.id, validUntil: minutesFromNow(60) });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error.code).toBe('sold_out');
    expect(await section(event.id)).toMatchObject({ setAside: 0, available: 10 });
    // Per code: two generated codes of 5 each set the whole section aside.
    const two = await makeCodes(event.id, { generate: 2, kind: 'presale', reserve: 5, sectionId: ga!.id, validUntil: minutesFromNow(60) });
    expect(two.status).toBe(201);
    expect(await section(event.id)).toMatchObject({ setAside: 10, available: 0 });
  });

  it('resizes a standing reserve: more from the units on sale, less back to sale (the waitlist first), never below what its holds took', async () => {
    const { event, sectionId, code } = await reservedEvent(4);
    const patch = (body: Record<string, unknown>) => app.request('PATCH', `/api/v1/events/${event.id}/codes/${code.id}`, { token: app.adminToken, body });
    expect((await hold({ eventId: event.id, sectionId, quantity: 3, code: 'FANS' }, buyers[0]!)).status).toBe(201);
    expect(await section(event.id)).toMatchObject({ setAside: 1, available: 6, held: 3 });

    expect((await patch({ reserve: 2 })).body.error).toMatchObject({ code: 'invalid_quota', details: { minimum: 3 } });
    expect((await patch({ reserve: 11 })).body.error.code).toBe('sold_out');
    const raised = await patch({ reserve: 8 });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ reserve: 8, reserveLeft: 5 });
    expect(await section(event.id)).toMatchObject({ setAside: 5, available: 2, held: 3 });

    // General sale sells out; a fan waits; lowering the reserve gives the units to the waitlist first.
    expect((await hold({ eventId: event.id, sectionId, quantity: 2 }, buyers[1]!)).status).toBe(201);
    expect((await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: buyers[2]!.token, body: { sectionId, quantity: 2 } })).status).toBe(201);
    expect((await patch({ reserve: 4 })).body).toMatchObject({ reserve: 4, reserveLeft: 1 });
    expect(await section(event.id)).toMatchObject({ setAside: 1, offered: 2, available: 2, held: 5 });

    await endValidity(code.id);
    expect((await patch({ reserve: 5 })).body.error.code).toBe('invalid_status_change');
    const plain = await makeCodes(event.id, { code: 'PLAIN', kind: 'presale' });
    expect((await app.request('PATCH', `/api/v1/events/${event.id}/codes/${plain.body.items[0].id}`, { token: app.adminToken, body: { reserve: 1 } })).body.error.code).toBe('validation_failed');
    expect((await patch({})).status).toBe(400);
  });
});
