import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { waitFor } from '../../../test/support/wait.js';
import { sectionAccounting } from '../inventory/availability.js';
import { renderEmail } from '../notifications/email.js';

const card = { payment: { cardNumber: '4242424242424242' } };

describe.each(backends)('waitlist on %s', (backend) => {
  let app: TestApp;
  let holder: Buyer;
  let fans: Buyer[];
  beforeAll(async () => {
    // The dispatcher is driven by hand in the notification tests; here it stays out of the way.
    app = await startTestApp(backend, { OUTBOX_INTERVAL_MS: '60000' });
    const buyers = await app.registerBuyers(5);
    holder = buyers[0]!;
    fans = buyers.slice(1);
  });
  afterAll(() => app?.close());

  const hold = (token: string, body: unknown) => app.request('POST', '/api/v1/holds', { token, body });
  const join = (event: { id: string }, token: string, body: unknown) => app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token, body });
  const entry = (event: { id: string }, token: string) => app.request('GET', `/api/v1/events/${event.id}/waitlist`, { token });
  const accounting = async (eventId: string) => (await sectionAccounting(app.db, eventId))[0]!;
  /** Moves holds past their expiry (and their seats, which copy it). */
  const expireHolds = async (holdIds: string[]) => {
    await app.db.query(`update holds set expires_at = now() - interval '1 second' where id = any($1::uuid[])`, [holdIds]);
    await app.db.query(`update seats set held_until = now() - interval '1 second' where hold_id = any($1::uuid[])`, [holdIds]);
  };

  /** Holds all `capacity` tickets of the event's first section for `holder`, one hold per `split` tickets. */
  async function holdAll<E extends { id: string; sections: { id: string }[] }>(event: E, capacity: number, split: number) {
    const sectionId = event.sections[0]!.id;
    const holds: string[] = [];
    for (let left = capacity; left > 0; left -= split) {
      const reply = await hold(holder.token, { eventId: event.id, sectionId, quantity: Math.min(split, left) });
      expect(reply.status).toBe(201);
      holds.push(reply.body.id);
    }
    return { event, sectionId, holds };
  }

  /**
   * Per-buyer caps that let `holder`, who stands in for the rest of the crowd, hold every ticket of
   * an event in holds of `split`.
   */
  const crowdCaps = (capacity: number, split: number) => ({ maxTicketsPerUser: capacity, maxHoldsPerUser: Math.ceil(capacity / split) });

  /** A published GA event of `capacity` tickets, all held by `holder` (one hold per `split` tickets). */
  async function soldOutEvent(capacity: number, split = capacity, overrides: Record<string, unknown> = {}) {
    const event = await app.createEvent({ maxTicketsPerOrder: 20, ...crowdCaps(capacity, split), sections: [{ name: 'Floor', price: 1000, capacity }], ...overrides });
    return holdAll(event, capacity, split);
  }

  /** A published reserved-seating event (rows A, B, ... of `rows[i]` seats), every seat held by `holder`. */
  async function soldOutSeatedEvent(rows: number[], split: number, overrides: Record<string, unknown> = {}) {
    const section = { name: 'Stalls', price: 3000, rows: rows.map((seats, i) => ({ label: String.fromCharCode(65 + i), seats })) };
    const capacity = rows.reduce((a, b) => a + b, 0);
    const event = await app.createEvent({ maxTicketsPerOrder: 20, ...crowdCaps(capacity, split), sections: [section], ...overrides });
    return holdAll(event, capacity, split);
  }

  it('lets fans join only a sold-out section, one entry each, in join order', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 1000, capacity: 2 }] });
    const sectionId = event.sections[0].id;
    const early = await join(event, fans[0]!.token, { sectionId, quantity: 1 });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'tickets_available', details: { available: 2 } });
    expect((await hold(holder.token, { eventId: event.id, sectionId, quantity: 2 })).status).toBe(201);

    const first = await join(event, fans[0]!.token, { sectionId, quantity: 2 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ position: 1, quantity: 2, sectionId, status: 'waiting' });
    const second = await join(event, fans[1]!.token, { quantity: 1 });
    expect(second.body).toMatchObject({ position: 2, quantity: 1, status: 'waiting' });
    expect(second.body.sectionId).toBeUndefined();
    const again = await join(event, fans[0]!.token, { sectionId, quantity: 1 });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_waitlisted');

    expect((await entry(event, fans[1]!.token)).body).toMatchObject({ id: second.body.id, position: 2, status: 'waiting' });
    expect((await app.request('DELETE', `/api/v1/events/${event.id}/waitlist`, { token: fans[0]!.token })).status).toBe(204);
    expect((await entry(event, fans[1]!.token)).body.position).toBe(1);
    expect((await entry(event, fans[0]!.token)).body).toMatchObject({ status: 'left', position: 0 });
    expect((await app.request('DELETE', `/api/v1/events/${event.id}/waitlist`, { token: fans[0]!.token })).status).toBe(404);
  });

  it('refuses bad waitlist requests with clear 4xx errors', async () => {
    const { event, sectionId } = await soldOutEvent(3, 3, { maxTicketsPerOrder: 4 });
    const other = await app.createEvent();
    const seated = await app.createEvent({ sections: [{ name: 'Stalls', price: 1000, rows: [{ label: 'A', seats: 2 }] }] });
    const token = fans[0]!.token;
    for (const quantity of [0, -1, 1.5, 101, '2']) {
      const reply = await join(event, token, { sectionId, quantity });
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('validation_failed');
    }
    const overOrder = await join(event, token, { sectionId, quantity: 5 });
    expect(overOrder.status).toBe(400);
    expect(overOrder.body.error).toMatchObject({ code: 'invalid_quantity', details: { max: 3 } });
    expect((await join(event, token, { sectionId: other.sections[0].id, quantity: 1 })).status).toBe(404);
    expect((await join(event, token, { sectionId: '00000000-0000-4000-8000-000000000000', quantity: 1 })).status).toBe(404);
    expect((await join({ id: '00000000-0000-4000-8000-000000000000' }, token, { quantity: 1 })).status).toBe(404);
    expect((await join(event, token, { sectionId, quantity: 1, extra: true })).status).toBe(400);
    expect((await join(seated, token, { sectionId: seated.sections[0].id, quantity: 1 })).body.error).toMatchObject({ code: 'tickets_available', details: { available: 2 } });
    expect((await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { body: { quantity: 1 } })).status).toBe(401);
    expect((await app.request('POST', '/api/v1/waitlist/offers/not-a-uuid/decline', { token })).status).toBe(400);
    expect((await app.db.query('select 1 from waitlist_entries where event_id = $1', [event.id])).rowCount).toBe(0);
  });

  it('offers released tickets to the first entry, exclusively, and the offer checks out normally', async () => {
    const { event, sectionId, holds } = await soldOutEvent(4, 2);
    const waiter = fans[0]!;
    await join(event, waiter.token, { sectionId, quantity: 2 });
    expect((await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token })).status).toBe(204);

    const offered = (await entry(event, waiter.token)).body;
    expect(offered).toMatchObject({ status: 'offered', position: 0, offer: { holdId: expect.any(String) } });
    expect(await accounting(event.id)).toMatchObject({ capacity: 4, sold: 0, held: 2, offered: 2, reserved: 0, available: 0 });
    // Nobody else can buy the returned tickets.
    expect((await hold(fans[1]!.token, { eventId: event.id, sectionId, quantity: 1 })).body.error.code).toBe('sold_out');

    const offerHold = await app.request('GET', `/api/v1/holds/${offered.offer.holdId}`, { token: waiter.token });
    expect(offerHold.body).toMatchObject({ status: 'active', total: 2000, items: [{ sectionId }, { sectionId }] });
    const order = await app.request('POST', `/api/v1/holds/${offered.offer.holdId}/checkout`, { token: waiter.token, body: card });
    expect(order.status).toBe(201);
    expect(order.body.tickets).toHaveLength(2);
    expect((await entry(event, waiter.token)).body.status).toBe('converted');
    expect(await accounting(event.id)).toMatchObject({ sold: 2, held: 2, offered: 0, available: 0 });
  });

  it('offers the tickets of an expired hold when the sweeper returns them', async () => {
    const { event, sectionId, holds } = await soldOutEvent(2);
    await join(event, fans[0]!.token, { sectionId, quantity: 2 });
    await expireHolds(holds);
    await app.server.context.holds.sweepLapsed();
    expect((await entry(event, fans[0]!.token)).body.status).toBe('offered');
    expect(await accounting(event.id)).toMatchObject({ held: 0, offered: 2, available: 0 });
    const kinds = await app.db.query<{ type: string }>('select type from outbox where event_id = $1 order by created_at, type', [event.id]);
    expect(kinds.rows.map((r) => r.type).sort()).toEqual(['hold.expired', 'waitlist.offer_made']);
  });

  it('offers the tickets of a cancelled order', async () => {
    const { event, sectionId, holds } = await soldOutEvent(3);
    const order = await app.request('POST', `/api/v1/holds/${holds[0]}/checkout`, { token: holder.token, body: card });
    expect((await join(event, fans[0]!.token, { quantity: 3 })).status).toBe(201);
    expect((await app.request('POST', `/api/v1/orders/${order.body.id}/cancel`, { token: holder.token })).status).toBe(200);
    expect((await entry(event, fans[0]!.token)).body.status).toBe('offered');
    expect(await accounting(event.id)).toMatchObject({ sold: 0, offered: 3, available: 0 });
    const told = await app.db.query<{ type: string; userId: string }>('select type, user_id as "userId" from outbox where event_id = $1 order by type', [event.id]);
    expect(told.rows).toEqual([
      { type: 'order.cancelled', userId: holder.userId },
      { type: 'order.confirmed', userId: holder.userId },
      { type: 'waitlist.offer_made', userId: fans[0]!.userId },
    ]);
    expect((await hold(fans[1]!.token, { eventId: event.id, sectionId, quantity: 1 })).body.error.code).toBe('sold_out');
  });

  it('passes a lapsed offer to the next entry, and to general sale when nobody is left', async () => {
    const { event, sectionId, holds } = await soldOutEvent(1, 1, { offerTtlSeconds: 30 });
    await join(event, fans[0]!.token, { sectionId, quantity: 1 });
    await join(event, fans[1]!.token, { sectionId, quantity: 1 });
    await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token });
    const first = (await entry(event, fans[0]!.token)).body;
    expect(new Date(first.offer.expiresAt).getTime() - Date.now()).toBeGreaterThan(25_000);

    await expireHolds([first.offer.holdId]);
    await app.server.context.holds.sweepLapsed();
    expect((await entry(event, fans[0]!.token)).body.status).toBe('lapsed');
    const lapsedNotice = await app.db.query(`select 1 from outbox where type = 'waitlist.offer_lapsed' and user_id = $1 and payload->>'holdId' = $2`, [fans[0]!.userId, first.offer.holdId]);
    expect(lapsedNotice.rowCount).toBe(1);
    const second = (await entry(event, fans[1]!.token)).body;
    expect(second.status).toBe('offered');
    expect(second.offer.holdId).not.toBe(first.offer.holdId);
    const checkoutLapsed = await app.request('POST', `/api/v1/holds/${first.offer.holdId}/checkout`, { token: fans[0]!.token, body: card });
    expect(checkoutLapsed.status).toBe(410);

    await expireHolds([second.offer.holdId]);
    await app.server.context.holds.sweepLapsed();
    expect(await accounting(event.id)).toMatchObject({ offered: 0, reserved: 0, available: 1 });
    expect((await hold(fans[2]!.token, { eventId: event.id, sectionId, quantity: 1 })).status).toBe(201);
  });

  it('passes a declined offer to the next entry; only the offer\'s owner may decline it, once', async () => {
    const { event, sectionId, holds } = await soldOutEvent(2);
    await join(event, fans[0]!.token, { sectionId, quantity: 2 });
    await join(event, fans[1]!.token, { sectionId, quantity: 2 });
    await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token });
    const offer = (await entry(event, fans[0]!.token)).body.offer;
    const decline = (token: string, holdId = offer.holdId) => app.request('POST', `/api/v1/waitlist/offers/${holdId}/decline`, { token });

    const stranger = await decline(fans[1]!.token);
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('not_found');
    expect((await decline(holder.token, holds[0])).status).toBe(404); // a plain hold is not an offer
    expect((await decline(fans[0]!.token)).status).toBe(204);
    const twice = await decline(fans[0]!.token);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('offer_not_active');

    expect((await entry(event, fans[0]!.token)).body.status).toBe('declined');
    expect((await entry(event, fans[1]!.token)).body.status).toBe('offered');
    expect(await accounting(event.id)).toMatchObject({ offered: 2, available: 0 });
  });

  it('leaving with an open offer declines it, and the tickets go to the next entry', async () => {
    const { event, sectionId, holds } = await soldOutEvent(2);
    await join(event, fans[0]!.token, { sectionId, quantity: 2 });
    await join(event, fans[1]!.token, { sectionId, quantity: 2 });
    await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token });
    const offer = (await entry(event, fans[0]!.token)).body.offer;
    expect((await app.request('DELETE', `/api/v1/events/${event.id}/waitlist`, { token: fans[0]!.token })).status).toBe(204);
    expect((await entry(event, fans[0]!.token)).body.status).toBe('declined');
    expect((await app.request('GET', `/api/v1/holds/${offer.holdId}`, { token: fans[0]!.token })).body.status).toBe('released');
    expect((await entry(event, fans[1]!.token)).body.status).toBe('offered');
    expect(await accounting(event.id)).toMatchObject({ offered: 2, reserved: 0, available: 0 });
  });

  it('strict_order keeps returned tickets for the head entry; fill lets a smaller entry behind it take them', async () => {
    for (const policy of ['strict_order', 'fill'] as const) {
      const { event, sectionId, holds } = await soldOutEvent(6, 2, { waitlistPolicy: policy });
      expect(event.waitlistPolicy).toBe(policy);
      await join(event, fans[0]!.token, { sectionId, quantity: 4 });
      await join(event, fans[1]!.token, { sectionId, quantity: 2 });
      await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token });
      const [head, behind] = [(await entry(event, fans[0]!.token)).body, (await entry(event, fans[1]!.token)).body];
      // Never on general sale while a waiting entry can use them.
      expect((await hold(fans[2]!.token, { eventId: event.id, sectionId, quantity: 1 })).body.error.code).toBe('sold_out');
      if (policy === 'strict_order') {
        expect([head.status, behind.status]).toEqual(['waiting', 'waiting']);
        expect(await accounting(event.id)).toMatchObject({ held: 4, offered: 0, reserved: 2, available: 0 });
        await app.request('DELETE', `/api/v1/holds/${holds[1]}`, { token: holder.token });
        expect((await entry(event, fans[0]!.token)).body.status).toBe('offered');
        expect(await accounting(event.id)).toMatchObject({ held: 2, offered: 4, reserved: 0, available: 0 });
        // The line moved by an offer made elsewhere: the place shows it within the line's max age (limits.ts).
        await expect.poll(async () => (await entry(event, fans[1]!.token)).body, { timeout: 10_000 }).toMatchObject({ status: 'waiting', position: 1 });
      } else {
        expect([head.status, behind.status]).toEqual(['waiting', 'offered']);
        expect(await accounting(event.id)).toMatchObject({ held: 4, offered: 2, reserved: 0, available: 0 });
      }
    }
  });

  it('serves several entries from one return, and under fill finds a small entry deep in the line', async () => {
    const { event, sectionId, holds } = await soldOutEvent(9, 9, { waitlistPolicy: 'fill' });
    const waiters = await app.registerBuyers(5);
    for (const [i, waiter] of waiters.entries()) await join(event, waiter.token, { sectionId, quantity: i < 4 ? 2 : 1 });
    const raise = await app.request('PATCH', `/api/v1/events/${event.id}/sections/${sectionId}`, { token: app.adminToken, body: { capacity: 12 } });
    // 3 units: the first 2-ticket entry, then no other 2 fits the 1 left, but the 1-ticket entry does.
    expect(raise.body).toMatchObject({ offered: 2, held: 9 });
    const statuses = async () => Promise.all(waiters.map(async (w) => (await entry(event, w.token)).body.status));
    expect(await waitFor(statuses, (s) => s[4] === 'offered')).toEqual(['offered', 'waiting', 'waiting', 'waiting', 'offered']);
    expect(await accounting(event.id)).toMatchObject({ offered: 3, reserved: 0, available: 0 });
    await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token });
    expect(await statuses()).toEqual(['offered', 'offered', 'offered', 'offered', 'offered']);
    expect(await accounting(event.id)).toMatchObject({ held: 0, offered: 9, reserved: 0, available: 3 });
  });

  it('the rebalance pass puts units held back for nobody on sale, and offers units a waiting head fits', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 1000, capacity: 3 }] });
    // States no transaction leaves behind, written by hand.
    await app.db.query('update sections set available = 1, reserved_for_waitlist = 2 where event_id = $1', [event.id]);
    await app.server.context.waitlist.rebalance();
    expect(await accounting(event.id)).toMatchObject({ reserved: 0, available: 3 });

    const { event: full, sectionId } = await soldOutEvent(2);
    await join(full, fans[0]!.token, { sectionId, quantity: 1 });
    await app.db.query('update sections set reserved_for_waitlist = 1, capacity = 3 where id = $1', [sectionId]);
    await app.server.context.waitlist.rebalance();
    expect((await entry(full, fans[0]!.token)).body.status).toBe('offered');
    expect(await accounting(full.id)).toMatchObject({ offered: 1, reserved: 0, available: 0 });
  });

  it('makes no offer before the sale opens, holds the units back for the line, and serves it once the sale opens', async () => {
    const { event, sectionId, holds } = await soldOutEvent(2);
    await join(event, fans[0]!.token, { sectionId, quantity: 2 });
    // The organizer postpones the sale; then the tickets come back.
    const opensAt = new Date(Date.now() + 5 * 86_400_000).toISOString();
    expect((await app.request('PATCH', `/api/v1/events/${event.id}`, { token: app.adminToken, body: { onsale: { startsAt: opensAt } } })).status).toBe(200);
    expect((await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token })).status).toBe(204);
    await app.server.context.waitlist.rebalance();
    expect((await entry(event, fans[0]!.token)).body.status).toBe('waiting');
    expect(await accounting(event.id)).toMatchObject({ held: 0, offered: 0, reserved: 2, available: 0 });
    expect((await join(event, fans[1]!.token, { sectionId, quantity: 1 })).body.error).toMatchObject({ code: 'not_on_sale', details: { opensAt } });

    await app.db.query(`update event_onsale set starts_at = now() - interval '1 second' where event_id = $1`, [event.id]);
    await app.server.context.waitlist.rebalance();
    expect((await entry(event, fans[0]!.token)).body.status).toBe('offered');
    expect(await accounting(event.id)).toMatchObject({ offered: 2, reserved: 0, available: 0 });
  });

  it('makes offers to a buyer at the open-hold limit, and an offer does not count against it', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 1000, capacity: 10 }, { name: 'Pit', price: 2000, capacity: 2 }] });
    const [floor, pit] = event.sections.map((s: { id: string }) => s.id);
    const fan = fans[0]!;
    const own = (await hold(fan.token, { eventId: event.id, sectionId: floor, quantity: 2 })).body;
    const pitHold = (await hold(holder.token, { eventId: event.id, sectionId: pit, quantity: 2 })).body;
    expect((await join(event, fan.token, { sectionId: pit, quantity: 2 })).status).toBe(201);
    await app.request('DELETE', `/api/v1/holds/${pitHold.id}`, { token: holder.token });
    expect((await entry(event, fan.token)).body.status).toBe('offered');

    const another = await hold(fan.token, { eventId: event.id, sectionId: floor, quantity: 1 });
    expect(another.status).toBe(409);
    expect(another.body.error).toMatchObject({ code: 'hold_limit_reached', details: { holdIds: [own.id], maxHoldsPerUser: 1 } });
    await app.request('DELETE', `/api/v1/holds/${own.id}`, { token: fan.token });
    expect((await hold(fan.token, { eventId: event.id, sectionId: floor, quantity: 1 })).status).toBe(201);
  });

  it('switching an event to fill serves the entries behind a head that was holding tickets back', async () => {
    const { event, sectionId, holds } = await soldOutEvent(4, 2);
    await join(event, fans[0]!.token, { sectionId, quantity: 4 });
    await join(event, fans[1]!.token, { sectionId, quantity: 2 });
    await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token });
    expect(await accounting(event.id)).toMatchObject({ reserved: 2, offered: 0 });
    const patched = await app.request('PATCH', `/api/v1/events/${event.id}`, { token: app.adminToken, body: { waitlistPolicy: 'fill' } });
    expect(patched.body.waitlistPolicy).toBe('fill');
    expect((await entry(event, fans[1]!.token)).body.status).toBe('offered');
    expect(await accounting(event.id)).toMatchObject({ reserved: 0, offered: 2, available: 0 });
    expect((await app.request('PATCH', `/api/v1/events/${event.id}`, { token: app.adminToken, body: { waitlistPolicy: 'random' } })).status).toBe(400);
  });

  it('gives tickets from a capacity raise to the waitlist first, and frees held-back tickets when the entry leaves', async () => {
    const { event, sectionId } = await soldOutEvent(3);
    expect((await join(event, fans[0]!.token, { sectionId, quantity: 3 })).status).toBe(201);
    const raise = (capacity: unknown, token = app.adminToken) => app.request('PATCH', `/api/v1/events/${event.id}/sections/${sectionId}`, { token, body: { capacity } });
    expect((await raise(2)).body.error.code).toBe('invalid_capacity');
    expect((await raise(10, fans[0]!.token)).status).toBe(404); // a buyer has no role in the event's organization
    expect((await raise('10')).status).toBe(400);

    const raised = await raise(5);
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ capacity: 5, held: 3, offered: 0, reserved: 2, available: 0 });
    expect((await raise(6)).body).toMatchObject({ capacity: 6, offered: 3, reserved: 0, available: 0 });
    const summary = () => app.request('GET', `/api/v1/events/${event.id}/waitlist/summary`, { token: app.adminToken });
    expect((await summary()).body.sections).toEqual([{ sectionId, waiting: 0, waitingTickets: 0, offersOpen: 1, converted: 0, lapsed: 0, declined: 0 }]);
    // A buyer has no role in the event's organization: the summary does not exist for them.
    expect((await app.request('GET', `/api/v1/events/${event.id}/waitlist/summary`, { token: fans[0]!.token })).status).toBe(404);

    expect((await join(event, fans[1]!.token, { sectionId, quantity: 2 })).status).toBe(201);
    expect((await raise(7)).body).toMatchObject({ offered: 3, reserved: 1, available: 0 });
    expect((await summary()).body.sections).toEqual([{ sectionId, waiting: 1, waitingTickets: 2, offersOpen: 1, converted: 0, lapsed: 0, declined: 0 }]);
    expect((await app.request('DELETE', `/api/v1/events/${event.id}/waitlist`, { token: fans[1]!.token })).status).toBe(204);
    expect(await accounting(event.id)).toMatchObject({ capacity: 7, offered: 3, reserved: 0, available: 1 });
  });

  it('serves the waitlist before general-sale buyers when a hold batch reclaims a lapsed hold', async () => {
    const { event, sectionId, holds } = await soldOutEvent(2);
    await join(event, fans[0]!.token, { sectionId, quantity: 2 });
    await expireHolds(holds);
    // Not swept yet: the hold request finds the lapsed hold and returns its stock, which the waitlist gets.
    const buyer = await hold(fans[1]!.token, { eventId: event.id, sectionId, quantity: 2 });
    expect(buyer.status).toBe(409);
    expect(buyer.body.error.code).toBe('sold_out');
    expect((await entry(event, fans[0]!.token)).body.status).toBe('offered');
  });

  it('makes a whole-event entry wait for every section and serves it from whichever returns tickets', async () => {
    const event = await app.createEvent({ ...crowdCaps(3, 2), sections: [{ name: 'A', price: 1000, capacity: 1 }, { name: 'B', price: 2000, capacity: 2 }] });
    const [a, b] = event.sections.map((s: { id: string }) => s.id);
    const holdA = (await hold(holder.token, { eventId: event.id, sectionId: a, quantity: 1 })).body;
    expect((await join(event, fans[0]!.token, { quantity: 2 })).body.error.code).toBe('tickets_available');
    const holdB = (await hold(holder.token, { eventId: event.id, sectionId: b, quantity: 2 })).body;
    expect((await join(event, fans[0]!.token, { quantity: 2 })).status).toBe(201);
    await app.request('DELETE', `/api/v1/holds/${holdA.id}`, { token: holder.token });
    // Section A can never hold 2: its ticket goes on sale.
    expect((await entry(event, fans[0]!.token)).body.status).toBe('waiting');
    expect((await sectionAccounting(app.db, event.id)).map((s) => s.available)).toEqual([1, 0]);
    await app.request('DELETE', `/api/v1/holds/${holdB.id}`, { token: holder.token });
    const offered = (await entry(event, fans[0]!.token)).body;
    expect(offered.status).toBe('offered');
    expect((await app.request('GET', `/api/v1/holds/${offered.offer.holdId}`, { token: fans[0]!.token })).body.total).toBe(4000);
  });
  describe('reserved seating', () => {
    /** The open offer of `buyer`'s entry, with the seats its hold has. */
    async function offerOf(event: { id: string }, buyer: Buyer) {
      const current = (await entry(event, buyer.token)).body;
      expect(current.status).toBe('offered');
      const offerHold = (await app.request('GET', `/api/v1/holds/${current.offer.holdId}`, { token: buyer.token })).body;
      const items: { seatId: string; label: string }[] = offerHold.items;
      return { holdId: current.offer.holdId as string, hold: offerHold, seatIds: items.map((i) => i.seatId).sort(), labels: items.map((i) => i.label).sort() };
    }
    const seatMap = async (eventId: string) => (await app.request('GET', `/api/v1/events/${eventId}/seats`)).body as { id: string; label: string; status: string }[];
    const freeSeatIds = async (eventId: string) => {
      const { rows } = await app.db.query<{ id: string }>(`select id from seats where event_id = $1 and status = 'available' order by id`, [eventId]);
      return rows.map((r) => r.id);
    };

    it('offers released seats side by side to the first entry, and holds the rest back from general sale', async () => {
      const { event, sectionId, holds } = await soldOutSeatedEvent([4, 4], 4);
      expect((await join(event, fans[0]!.token, { sectionId, quantity: 2 })).status).toBe(201);
      expect((await join(event, fans[1]!.token, { sectionId, quantity: 4 })).status).toBe(201);
      expect((await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token })).status).toBe(204);

      const offer = await offerOf(event, fans[0]!);
      expect(offer.hold).toMatchObject({ status: 'active', total: 6000 });
      const [first, second] = offer.labels.map((label) => ({ row: label[0], number: Number(label.slice(1)) }));
      expect(first!.row).toBe(second!.row);
      expect(Math.abs(first!.number - second!.number)).toBe(1);
      expect(await accounting(event.id)).toMatchObject({ capacity: 8, sold: 0, held: 4, offered: 2, reserved: 2, available: 0 });

      // The 2 seats left wait for the 4-ticket entry: not on sale, by name or best available.
      const heldBack = await freeSeatIds(event.id);
      expect(heldBack).toHaveLength(2);
      const named = await hold(fans[2]!.token, { eventId: event.id, seatIds: heldBack });
      expect(named.status).toBe(409);
      expect(named.body.error.code).toBe('seats_unavailable');
      expect([...named.body.error.details.seatIds].sort()).toEqual(heldBack);
      expect((await hold(fans[2]!.token, { eventId: event.id, sectionId, quantity: 1 })).body.error.code).toBe('sold_out');
      expect((await app.request('GET', `/api/v1/events/${event.id}`)).body.sections[0].available).toBe(0);
      expect((await seatMap(event.id)).map((seat) => seat.status)).toEqual(Array(8).fill('held'));

      const order = await app.request('POST', `/api/v1/holds/${offer.holdId}/checkout`, { token: fans[0]!.token, body: card });
      expect(order.status).toBe(201);
      expect(order.body.tickets.map((t: { seatId: string }) => t.seatId).sort()).toEqual(offer.seatIds);
      expect((await entry(event, fans[0]!.token)).body.status).toBe('converted');
      expect(await accounting(event.id)).toMatchObject({ sold: 2, held: 4, offered: 0, reserved: 2, available: 0 });

      // Nobody left who could use them: the seats go on sale.
      expect((await app.request('DELETE', `/api/v1/events/${event.id}/waitlist`, { token: fans[1]!.token })).status).toBe(204);
      expect(await accounting(event.id)).toMatchObject({ sold: 2, held: 4, offered: 0, reserved: 0, available: 2 });
      expect((await hold(fans[2]!.token, { eventId: event.id, seatIds: heldBack })).status).toBe(201);
    });

    it('holds lapsed seats back for the waitlist and offers them when the sweeper ends the hold', async () => {
      const { event, sectionId, holds } = await soldOutSeatedEvent([3], 3);
      expect((await join(event, fans[0]!.token, { sectionId, quantity: 3 })).status).toBe(201);
      // Lapsed but not swept. Reads go by the seats' copy of the expiry, the sweeper by the hold's
      // own: lapsing the seats first keeps the background sweeper off the hold while the test looks.
      await app.db.query(`update seats set held_until = now() - interval '1 second' where hold_id = any($1::uuid[])`, [holds]);
      // Worth nothing to the holder, and not for sale either.
      expect(await accounting(event.id)).toMatchObject({ held: 0, offered: 0, reserved: 3, available: 0 });
      expect((await hold(fans[1]!.token, { eventId: event.id, sectionId, quantity: 1 })).body.error.code).toBe('sold_out');
      const seats = (await seatMap(event.id)).map((seat) => seat.id);
      expect((await hold(fans[1]!.token, { eventId: event.id, seatIds: seats.slice(0, 1) })).body.error.code).toBe('seats_unavailable');

      await expireHolds(holds);
      await app.server.context.holds.sweepLapsed();
      expect((await offerOf(event, fans[0]!)).seatIds).toEqual([...seats].sort());
      expect(await accounting(event.id)).toMatchObject({ held: 0, offered: 3, reserved: 0, available: 0 });
      const made = await app.db.query<{ payload: Record<string, any> }>(`select payload from outbox where event_id = $1 and type = 'waitlist.offer_made'`, [event.id]);
      expect(made.rows.map((r) => r.payload.seats)).toEqual([['A1', 'A2', 'A3']]);
      expect(renderEmail({ type: 'waitlist.offer_made', eventTitle: 'Stalls night', payload: made.rows[0]!.payload }).text).toContain('Row A, seats 1–3');
    });

    it('offers the seats of a cancelled order', async () => {
      const { event, sectionId, holds } = await soldOutSeatedEvent([2, 2], 2);
      const order = await app.request('POST', `/api/v1/holds/${holds[0]}/checkout`, { token: holder.token, body: card });
      expect(order.status).toBe(201);
      expect((await join(event, fans[0]!.token, { sectionId, quantity: 2 })).status).toBe(201);
      expect((await app.request('POST', `/api/v1/orders/${order.body.id}/cancel`, { token: holder.token })).status).toBe(200);
      expect((await offerOf(event, fans[0]!)).seatIds).toEqual(order.body.tickets.map((t: { seatId: string }) => t.seatId).sort());
      expect(await accounting(event.id)).toMatchObject({ sold: 0, held: 2, offered: 2, reserved: 0, available: 0 });
    });

    it('passes declined and lapsed seat offers to the next entry, and the seats to general sale when nobody is left', async () => {
      const { event, sectionId, holds } = await soldOutSeatedEvent([2], 2, { offerTtlSeconds: 30 });
      for (const fan of fans.slice(0, 3)) expect((await join(event, fan.token, { sectionId, quantity: 2 })).status).toBe(201);
      await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token });
      const first = await offerOf(event, fans[0]!);
      expect((await app.request('POST', `/api/v1/waitlist/offers/${first.holdId}/decline`, { token: fans[0]!.token })).status).toBe(204);
      expect((await entry(event, fans[0]!.token)).body.status).toBe('declined');

      const second = await offerOf(event, fans[1]!);
      expect(second.seatIds).toEqual(first.seatIds);
      await expireHolds([second.holdId]);
      await app.server.context.holds.sweepLapsed();
      expect((await entry(event, fans[1]!.token)).body.status).toBe('lapsed');
      expect((await offerOf(event, fans[2]!)).seatIds).toEqual(first.seatIds);
      expect(await accounting(event.id)).toMatchObject({ held: 0, offered: 2, reserved: 0, available: 0 });

      expect((await app.request('DELETE', `/api/v1/events/${event.id}/waitlist`, { token: fans[2]!.token })).status).toBe(204);
      expect(await accounting(event.id)).toMatchObject({ offered: 0, reserved: 0, available: 2 });
      expect((await hold(fans[3]!.token, { eventId: event.id, seatIds: first.seatIds })).status).toBe(201);
    });

    it('strict_order holds seats back for the head entry; fill gives them to a smaller entry behind it', async () => {
      for (const policy of ['strict_order', 'fill'] as const) {
        const { event, sectionId, holds } = await soldOutSeatedEvent([3, 3], 2, { waitlistPolicy: policy });
        await join(event, fans[0]!.token, { sectionId, quantity: 4 });
        await join(event, fans[1]!.token, { sectionId, quantity: 2 });
        await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token });
        expect((await hold(fans[2]!.token, { eventId: event.id, sectionId, quantity: 1 })).body.error.code).toBe('sold_out');
        const statuses = async () => [(await entry(event, fans[0]!.token)).body.status, (await entry(event, fans[1]!.token)).body.status];
        if (policy === 'strict_order') {
          expect(await statuses()).toEqual(['waiting', 'waiting']);
          expect(await accounting(event.id)).toMatchObject({ held: 4, offered: 0, reserved: 2, available: 0 });
          await app.request('DELETE', `/api/v1/holds/${holds[1]}`, { token: holder.token });
          expect(await statuses()).toEqual(['offered', 'waiting']);
          expect((await offerOf(event, fans[0]!)).seatIds).toHaveLength(4);
          expect(await accounting(event.id)).toMatchObject({ held: 2, offered: 4, reserved: 0, available: 0 });
        } else {
          expect(await statuses()).toEqual(['waiting', 'offered']);
          expect(await accounting(event.id)).toMatchObject({ held: 4, offered: 2, reserved: 0, available: 0 });
        }
      }
    });

    it('switching to fill serves an entry behind a head that was holding seats back', async () => {
      const { event, sectionId, holds } = await soldOutSeatedEvent([2, 2], 2);
      await join(event, fans[0]!.token, { sectionId, quantity: 4 });
      await join(event, fans[1]!.token, { sectionId, quantity: 2 });
      await app.request('DELETE', `/api/v1/holds/${holds[0]}`, { token: holder.token });
      expect(await accounting(event.id)).toMatchObject({ reserved: 2, offered: 0 });
      await app.request('PATCH', `/api/v1/events/${event.id}`, { token: app.adminToken, body: { waitlistPolicy: 'fill' } });
      expect((await entry(event, fans[1]!.token)).body.status).toBe('offered');
      expect(await accounting(event.id)).toMatchObject({ reserved: 0, offered: 2, available: 0 });
    });

    it('the rebalance pass offers free seats a waiting entry fits (as an out-of-band change leaves them)', async () => {
      const { event, sectionId, holds } = await soldOutSeatedEvent([2], 2);
      await join(event, fans[0]!.token, { sectionId, quantity: 2 });
      // Written by hand: the hold ended and its seats came free, but no offer was made.
      await app.db.query(`update holds set status = 'released', ended_at = now() where id = $1`, [holds[0]]);
      await app.db.query(`update seats set status = 'available', hold_id = null, held_until = null where event_id = $1`, [event.id]);
      // The server's own rebalance job may get there first; either way the seats end up offered.
      await app.server.context.waitlist.rebalance();
      expect((await offerOf(event, fans[0]!)).labels).toEqual(['A1', 'A2']);
      expect(await accounting(event.id)).toMatchObject({ offered: 2, reserved: 0, available: 0 });
    });

    it('serves a whole-event entry from a reserved section, never splitting it across sections', async () => {
      const event = await app.createEvent({ ...crowdCaps(3, 2), sections: [{ name: 'Floor', price: 1000, capacity: 1 }, { name: 'Stalls', price: 3000, rows: [{ label: 'A', seats: 2 }] }] });
      const [floor, stalls] = event.sections.map((s: { id: string }) => s.id);
      const floorHold = (await hold(holder.token, { eventId: event.id, sectionId: floor, quantity: 1 })).body;
      expect((await join(event, fans[0]!.token, { quantity: 2 })).body.error).toMatchObject({ code: 'tickets_available', details: { available: 2 } });
      const stallsHold = (await hold(holder.token, { eventId: event.id, sectionId: stalls, quantity: 2 })).body;
      expect((await join(event, fans[0]!.token, { quantity: 2 })).status).toBe(201);

      await app.request('DELETE', `/api/v1/holds/${floorHold.id}`, { token: holder.token });
      expect((await entry(event, fans[0]!.token)).body.status).toBe('waiting');
      expect((await sectionAccounting(app.db, event.id)).map((s) => s.available)).toEqual([1, 0]);
      await app.request('DELETE', `/api/v1/holds/${stallsHold.id}`, { token: holder.token });
      const offer = await offerOf(event, fans[0]!);
      expect(offer.hold.total).toBe(6000);
      expect(offer.labels).toEqual(['A1', 'A2']);
      expect((await sectionAccounting(app.db, event.id)).map((s) => [s.offered, s.available])).toEqual([[0, 1], [2, 0]]);
    });
  });
});
