import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { testSecret } from '../../../test/support/queue.js';
import { waitFor } from '../../../test/support/wait.js';
import { generatedCodeLength } from './codes.js';

const goodCard = { payment: { cardNumber: '4242424242424242' } };
const crowd = { maxHoldsPerUser: null, maxTicketsPerUser: null };
const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

/** A code's uses and what they must equal: units of active holds made with it plus its valid tickets. */
async function codeLedger(app: TestApp, codeId: string) {
  const { rows: [row] } = await app.db.query<{ uses: number; counted: number }>(
    `select c.uses,
            ((select coalesce(sum(i.quantity), 0) from holds h join hold_items i on i.hold_id = h.id where h.event_code_id = c.id and h.status = 'active')
             + (select count(*) from tickets t where t.event_code_id = c.id and t.status = 'valid'))::int as counted
       from event_codes c where c.id = $1`,
    [codeId],
  );
  return row!;
}

describe('presale, unlock and discount codes', () => {
  let app: TestApp;
  let buyer: Buyer;
  beforeAll(async () => {
    app = await startTestApp('pglite', { QUEUE_TICK_MS: '100', QUEUE_TOKEN_SECRET: testSecret });
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  const hold = (body: unknown, who = buyer, headers: Record<string, string> = {}) => app.request('POST', '/api/v1/holds', { token: who.token, body, headers });
  const makeCodes = async (eventId: string, body: Record<string, unknown>, token = app.adminToken) => app.request('POST', `/api/v1/events/${eventId}/codes`, { token, body });
  const makeCode = async (eventId: string, body: Record<string, unknown>) => {
    const reply = await makeCodes(eventId, body);
    if (reply.status !== 201) throw new Error(JSON.stringify(reply.body));
    return reply.body.items[0];
  };

  it('makes a code, finds it in any case, lists it with its uses and disables it; an event\'s code is unique in any case', async () => {
    const event = await app.createEvent(crowd);
    const sectionId = event.sections[0].id;
    const made = await makeCode(event.id, { code: 'FanClub-2026', kind: 'discount', discount: { percent: 10 }, maxUses: 5 });
    expect(made).toMatchObject({ code: 'FanClub-2026', kind: 'discount', discount: { percent: 10 }, maxUses: 5, uses: 0, disabled: false });
    expect((await makeCodes(event.id, { code: 'FANCLUB-2026', kind: 'unlock' })).body.error.code).toBe('code_taken');

    const held = await hold({ eventId: event.id, sectionId, quantity: 2, code: 'fanclub-2026' });
    expect(held.status).toBe(201);
    expect(held.body.items).toEqual([{ sectionId, price: 4500, discount: 500 }, { sectionId, price: 4500, discount: 500 }]);
    expect(held.body.total).toBe(9000);
    const listed = await app.request('GET', `/api/v1/events/${event.id}/codes`, { token: app.adminToken });
    expect(listed.body.items).toEqual([expect.objectContaining({ id: made.id, uses: 2 })]);

    expect((await app.request('PATCH', `/api/v1/events/${event.id}/codes/${made.id}`, { token: app.adminToken, body: { disabled: true } })).body.disabled).toBe(true);
    const disabled = await hold({ eventId: event.id, sectionId, quantity: 1, code: 'FANCLUB-2026' }, await app.registerBuyer());
    expect(disabled.status).toBe(422);
    expect(disabled.body.error.code).toBe('code_invalid');
  });

  it('generates unguessable codes (80 bits) and downloads a batch as CSV', async () => {
    const event = await app.createEvent(crowd);
    const reply = await makeCodes(event.id, { generate: 25, prefix: 'vip-', kind: 'unlock', maxUses: 2 });
    expect(reply.status).toBe(201);
    const codes = reply.body.items.map((c: { code: string }) => c.code);
    expect(new Set(codes).size).toBe(25);
    for (const code of codes) expect(code).toMatch(new RegExp(`^VIP-[0-9A-HJKMNP-TV-Z]{${generatedCodeLength}}$`));
    expect(generatedCodeLength * 5).toBeGreaterThanOrEqual(60);
    const csv = await app.request('GET', `/api/v1/events/${event.id}/codes.csv?batchId=${reply.body.items[0].batchId}`, { token: app.adminToken });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = (csv.body as string).trim().split('\n');
    expect(lines[0]).toBe('code,kind,uses,maxUses,status');
    expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual([...codes].sort());
  });

  it('answers an unknown code and another event\'s code alike, and an expired or used-up one clearly', async () => {
    const event = await app.createEvent(crowd);
    const other = await app.createEvent(crowd);
    const sectionId = event.sections[0].id;
    await makeCode(other.id, { code: 'OTHER-EVENT', kind: 'discount', discount: { amountOff: 100 } });
    await makeCode(event.id, { code: 'LAPSED', kind: 'discount', discount: { amountOff: 100 }, validFrom: minutesFromNow(-10), validUntil: minutesFromNow(-5) });
    await makeCode(event.id, { code: 'TWO-ONLY', kind: 'discount', discount: { amountOff: 100 }, maxUses: 2 });
    const unknown = await hold({ eventId: event.id, sectionId, quantity: 1, code: 'NO-SUCH-CODE' });
    const foreign = await hold({ eventId: event.id, sectionId, quantity: 1, code: 'OTHER-EVENT' });
    expect(unknown.status).toBe(422);
    expect(foreign.status).toBe(422);
    expect(foreign.body).toEqual(unknown.body);
    expect((await hold({ eventId: event.id, sectionId, quantity: 1, code: 'lapsed' })).body.error.code).toBe('code_expired');
    const exhausted = await hold({ eventId: event.id, sectionId, quantity: 3, code: 'two-only' });
    expect(exhausted.status).toBe(409);
    expect(exhausted.body.error.code).toBe('code_exhausted');
    expect((await app.request('GET', `/api/v1/events/${event.id}`)).body.sections[0].available).toBe(100);
  });

  it('takes a discount per ticket, a percent rounded half up or an amount, never below zero, onto the order\'s tickets', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Floor', price: 5000, capacity: 10, ticketTypes: [{ name: 'Adult', price: 1999 }, { name: 'Child', price: 300 }] }] });
    const sectionId = event.sections[0].id;
    const [adult, child] = event.sections[0].ticketTypes;
    await makeCode(event.id, { code: 'HALF', kind: 'discount', discount: { percent: 50 }, ticketTypeIds: [adult.id] });
    await makeCode(event.id, { code: 'FIVER', kind: 'discount', discount: { amountOff: 500 } });
    const half = await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: adult.id, quantity: 1 }, { ticketTypeId: child.id, quantity: 1 }], code: 'half' });
    expect(half.body.items.map((i: { price: number; discount?: number }) => [i.price, i.discount ?? 0]).sort()).toEqual([[999, 1000], [300, 0]].sort());
    await app.request('DELETE', `/api/v1/holds/${half.body.id}`, { token: buyer.token });
    const fiver = await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: child.id, quantity: 2 }], code: 'fiver' });
    expect(fiver.body.total).toBe(0);
    expect(fiver.body.items).toEqual([
      { sectionId, ticketTypeId: child.id, price: 0, discount: 300 },
      { sectionId, ticketTypeId: child.id, price: 0, discount: 300 },
    ]);
    const order = await app.request('POST', `/api/v1/holds/${fiver.body.id}/checkout`, { token: buyer.token, body: goodCard });
    expect(order.status).toBe(201);
    expect(order.body.tickets.map((t: { price: number }) => t.price)).toEqual([0, 0]);
  });

  it('sells code-only types with an unlock code that names them, and with no other', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Floor', price: 5000, capacity: 10, ticketTypes: [{ name: 'Adult', price: 5000 }, { name: 'Crew', price: 1000, visibility: 'code' }] }] });
    const sectionId = event.sections[0].id;
    const [adult, crew] = event.sections[0].ticketTypes;
    await makeCode(event.id, { code: 'CREW-ONLY', kind: 'unlock', ticketTypeIds: [crew.id] });
    await makeCode(event.id, { code: 'DEAL', kind: 'discount', discount: { percent: 10 } });
    const crewLine = { eventId: event.id, sectionId, items: [{ ticketTypeId: crew.id, quantity: 1 }] };
    expect((await hold(crewLine)).status).toBe(404);
    expect((await hold({ ...crewLine, code: 'DEAL' })).status).toBe(404);
    const unlocked = await hold({ ...crewLine, code: 'crew-only' });
    expect(unlocked.status).toBe(201);
    expect(unlocked.body.total).toBe(1000);
    // An unlock code is for the types it names: it is no code at all for the others.
    const adultWithIt = await hold({ eventId: event.id, sectionId, items: [{ ticketTypeId: adult.id, quantity: 1 }], code: 'CREW-ONLY' }, await app.registerBuyer());
    expect(adultWithIt.body.error.code).toBe('code_invalid');
  });

  it('lets a presale code hold before the sale opens, from its validFrom, and nobody without it', async () => {
    const event = await app.createEvent({ ...crowd, onsale: { startsAt: minutesFromNow(60) } });
    const sectionId = event.sections[0].id;
    await makeCode(event.id, { code: 'EARLY', kind: 'presale', validFrom: minutesFromNow(-1) });
    await makeCode(event.id, { code: 'TOO-EARLY', kind: 'presale', validFrom: minutesFromNow(30) });
    const without = await hold({ eventId: event.id, sectionId, quantity: 1 });
    expect(without.status).toBe(409);
    expect(without.body.error.code).toBe('not_on_sale');
    expect((await hold({ eventId: event.id, sectionId, quantity: 1, code: 'too-early' })).body.error.code).toBe('code_expired');
    const withCode = await hold({ eventId: event.id, sectionId, quantity: 2, code: 'early' });
    expect(withCode.status).toBe(201);
  });

  it('takes presale buyers through the waiting room: admitted, they hold public types before their sales start only with the code', async () => {
    // The room opens at the presale (onsale.startsAt); the public types start selling later (salesStartsAt).
    const event = await app.createEvent({
      ...crowd,
      onsale: { startsAt: minutesFromNow(-1), queue: { enabled: true, admitPerMinute: 6000 } },
      sections: [{ name: 'Floor', price: 5000, capacity: 10, ticketTypes: [{ name: 'Adult', price: 5000, salesStartsAt: minutesFromNow(60) }] }],
    });
    const sectionId = event.sections[0].id;
    const [adult] = event.sections[0].ticketTypes;
    await makeCode(event.id, { code: 'ROOM-PRESALE', kind: 'presale', validFrom: minutesFromNow(-1) });
    const body = { eventId: event.id, sectionId, items: [{ ticketTypeId: adult.id, quantity: 1 }] };
    // Not admitted (no place in line): the code does not skip the room.
    expect((await hold({ ...body, code: 'ROOM-PRESALE' })).body.error.code).toBe('not_admitted');
    const joined = await app.request('POST', `/api/v1/events/${event.id}/queue`, { token: buyer.token });
    const queueToken = joined.body.queueToken as string;
    await waitFor(() => app.request('GET', `/api/v1/events/${event.id}/queue`, { headers: { 'x-queue-token': queueToken } }), (r) => r.body.state === 'admitted');
    const withoutCode = await hold(body, buyer, { 'x-queue-token': queueToken });
    expect(withoutCode.status).toBe(409);
    expect(withoutCode.body.error).toMatchObject({ code: 'not_on_sale', details: { ticketTypeId: adult.id } });
    expect((await hold({ ...body, code: 'room-presale' }, buyer, { 'x-queue-token': queueToken })).status).toBe(201);
  });

  it('counts uses in tickets and gives them back on release, expiry and (partial) cancellation', async () => {
    const event = await app.createEvent(crowd);
    const sectionId = event.sections[0].id;
    const code = await makeCode(event.id, { code: 'THREE', kind: 'discount', discount: { amountOff: 1 }, maxUses: 3, maxPerOrder: 3 });
    const withCode = (quantity: number, who = buyer) => hold({ eventId: event.id, sectionId, quantity, code: 'three' }, who);
    expect((await withCode(4)).body.error).toMatchObject({ code: 'invalid_quantity', details: { max: 3 } });

    const first = (await withCode(3)).body;
    expect(await codeLedger(app, code.id)).toEqual({ uses: 3, counted: 3 });
    expect((await withCode(1, await app.registerBuyer())).body.error.code).toBe('code_exhausted');
    await app.request('DELETE', `/api/v1/holds/${first.id}`, { token: buyer.token });
    expect(await codeLedger(app, code.id)).toEqual({ uses: 0, counted: 0 });

    const lapsing = (await withCode(3)).body;
    await app.db.query(`update holds set expires_at = now() - interval '1 second' where id = $1`, [lapsing.id]);
    expect(await waitFor(() => codeLedger(app, code.id), (l) => l.uses === 0)).toEqual({ uses: 0, counted: 0 });

    const paid = (await withCode(3)).body;
    const order = (await app.request('POST', `/api/v1/holds/${paid.id}/checkout`, { token: buyer.token, body: goodCard })).body;
    expect(await codeLedger(app, code.id)).toEqual({ uses: 3, counted: 3 });
    await app.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token, body: { ticketIds: [order.tickets[0].id] } });
    expect(await codeLedger(app, code.id)).toEqual({ uses: 2, counted: 2 });
    await app.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token });
    expect(await codeLedger(app, code.id)).toEqual({ uses: 0, counted: 0 });
  });

  it('throttles an account guessing codes: 50 guesses in a minute end in 429', async () => {
    const event = await app.createEvent(crowd);
    const guesser = await app.registerBuyer();
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 1, code: `GUESS-${i}` }, guesser)).status);
    expect(statuses.slice(0, 20)).toEqual(Array.from({ length: 20 }, () => 422));
    expect(statuses.slice(20)).toEqual(Array.from({ length: 30 }, () => 429));
    // The same account holds without a code as before.
    expect((await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 1 }, guesser)).status).toBe(201);
  });

  it('refuses codes to anyone but the event\'s owners and managers', async () => {
    const event = await app.createEvent(crowd);
    expect((await makeCodes(event.id, { code: 'MINE', kind: 'unlock' }, buyer.token)).status).toBe(404);
    expect((await app.request('GET', `/api/v1/events/${event.id}/codes`, { token: buyer.token })).status).toBe(404);
  });
});
