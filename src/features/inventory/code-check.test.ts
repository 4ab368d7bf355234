import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { limits } from '../../limits.js';

const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

describe('checking a code on the event page', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite');
  });
  afterAll(() => app?.close());

  const check = (eventId: string, code: string, token: string) => app.request('POST', `/api/v1/events/${eventId}/codes/check`, { token, body: { code } });
  const makeCode = async (eventId: string, body: Record<string, unknown>) => {
    const reply = await app.request('POST', `/api/v1/events/${eventId}/codes`, { token: app.adminToken, body });
    expect(reply.status).toBe(201);
    return reply.body.items[0];
  };

  it('lists the code-only types an unlock code sells, refuses wrong and expired codes alike to a guesser, and counts checks as guesses', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 5000, capacity: 40, ticketTypes: [
      { name: 'Adult', price: 5000 }, { name: 'Fan Club', price: 3000, visibility: 'code', quota: 5 }, { name: 'Crew', price: 0, visibility: 'code' },
    ] }] });
    const [, fanClub, crew] = event.sections[0].ticketTypes as { id: string }[];
    const other = await app.createEvent();
    await makeCode(event.id, { code: 'FANS', kind: 'unlock', ticketTypeIds: [fanClub!.id] });
    await makeCode(event.id, { code: 'ALL-CODE-TYPES', kind: 'unlock' });
    await makeCode(event.id, { code: 'LATER', kind: 'presale', validFrom: minutesFromNow(60) });
    await makeCode(other.id, { code: 'OTHERS', kind: 'unlock' });
    const buyer = await app.registerBuyer();

    const fans = await check(event.id, 'fans', buyer.token);
    expect(fans.status).toBe(200);
    expect(fans.body).toEqual({ kind: 'unlock', ticketTypes: [expect.objectContaining({ id: fanClub!.id, sectionId: event.sections[0].id, name: 'Fan Club', price: 3000, available: 5, onSale: true })] });
    expect((await check(event.id, 'ALL-CODE-TYPES', buyer.token)).body.ticketTypes.map((t: { id: string }) => t.id)).toEqual([fanClub!.id, crew!.id]);
    expect((await check(event.id, 'LATER', buyer.token)).body.error.code).toBe('code_expired');
    const unknown = await check(event.id, 'NOPE', buyer.token);
    const foreign = await check(event.id, 'OTHERS', buyer.token);
    expect([unknown.status, unknown.body.error.code]).toEqual([422, 'code_invalid']);
    expect([foreign.status, foreign.body.error]).toEqual([422, unknown.body.error]);

    // Checks and holds with a code share one budget a minute.
    const guesser = await app.registerBuyer();
    const answers = [];
    for (let i = 0; i < limits.codeAttemptsPerMinuteMax + 1; i++) answers.push((await check(event.id, `GUESS-${i}`, guesser.token)).status);
    expect(answers.slice(0, limits.codeAttemptsPerMinuteMax).every((s) => s === 422)).toBe(true);
    expect(answers.at(-1)).toBe(429);
    const held = await app.request('POST', '/api/v1/holds', { token: guesser.token, body: { eventId: event.id, sectionId: event.sections[0].id, items: [{ ticketTypeId: fanClub!.id, quantity: 1 }], code: 'FANS' } });
    expect(held.status).toBe(429);
  });
});
