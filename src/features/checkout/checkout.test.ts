import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backends, seatIds, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { providerRecords } from '../../../test/support/payments.js';
import { sectionAccounting } from '../inventory/availability.js';

const goodCard = { payment: { cardNumber: '4242424242424242' } };

describe.each(backends)('checkout and orders on %s', (backend) => {
  let app: TestApp;
  let buyer: Buyer;
  beforeAll(async () => {
    app = await startTestApp(backend);
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  const placeHold = async (event: any, body: Record<string, unknown>, who = buyer) => {
    const reply = await app.request('POST', '/api/v1/holds', { token: who.token, body: { eventId: event.id, ...body } });
    expect(reply.status).toBe(201);
    return reply.body;
  };
  const pay = (holdId: string, card = goodCard, who = buyer) => app.request('POST', `/api/v1/holds/${holdId}/checkout`, { token: who.token, body: card });

  it('confirms an order with one uniquely coded ticket per unit and captures the payment', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 2500, capacity: 10 }, { name: 'Stalls', price: 4000, rows: [{ label: 'A', seats: 6 }] }] });
    const ga = await placeHold(event, { sectionId: event.sections[0].id, quantity: 3 });
    const reply = await pay(ga.id);
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ status: 'confirmed', holdId: ga.id, total: 7500, currency: 'EUR' });
    // What the tickets are for: the event's start and its venue, with the zone to show the time in.
    const venue = (await app.request('GET', `/api/v1/venues/${event.venueId}`)).body;
    expect(reply.body).toMatchObject({ eventTitle: event.title, eventStartsAt: event.startsAt, venue: { name: venue.name, address: venue.address, city: venue.city, timeZone: venue.timeZone } });
    expect(reply.body.tickets).toHaveLength(3);
    expect(new Set(reply.body.tickets.map((t: { code: string }) => t.code)).size).toBe(3);
    expect(reply.body.tickets[0]).toMatchObject({ sectionName: 'Floor', status: 'valid' });

    const seated = await placeHold(event, { seatIds: (await seatIds(app, event.id)).slice(0, 2) });
    const seatedOrder = (await pay(seated.id)).body;
    expect(seatedOrder.tickets.map((t: { seatLabel: string }) => t.seatLabel).sort()).toEqual(['A1', 'A2']);
    const seats = (await app.request('GET', `/api/v1/events/${event.id}/seats`)).body;
    expect(seats.filter((s: { status: string }) => s.status === 'sold')).toHaveLength(2);

    const captured = [...(await providerRecords(app.db)).values()].filter((p) => p.state === 'captured').map((p) => p.amount);
    expect(captured).toEqual(expect.arrayContaining([7500, 8000]));
    const accounting = await sectionAccounting(app.db, event.id);
    expect(accounting.map((s) => [s.sold, s.held, s.available])).toEqual([[3, 0, 7], [2, 0, 4]]);
  });

  it('returns the same order when the checkout is repeated, with no second charge', async () => {
    const event = await app.createEvent();
    const hold = await placeHold(event, { sectionId: event.sections[0].id, quantity: 2 });
    const first = await pay(hold.id);
    const before = (await providerRecords(app.db)).size;
    const again = await pay(hold.id);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect((await providerRecords(app.db)).size).toBe(before);
    const orders = await app.db.query('select id from orders where hold_id = $1', [hold.id]);
    expect(orders.rowCount).toBe(1);
  });

  it('answers 402 for a declined card and keeps the hold active for another try', async () => {
    const event = await app.createEvent();
    const hold = await placeHold(event, { sectionId: event.sections[0].id, quantity: 1 });
    const declined = await pay(hold.id, { payment: { cardNumber: '4000000000000002' } });
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ code: 'payment_declined', details: { reason: 'card_declined' } });
    const broke = await pay(hold.id, { payment: { cardNumber: '4000000000009995' } });
    expect(broke.body.error.details.reason).toBe('insufficient_funds');
    expect((await app.request('GET', `/api/v1/holds/${hold.id}`, { token: buyer.token })).body.status).toBe('active');
    expect((await pay(hold.id)).status).toBe(201);
  });

  it('answers 410 after the hold expired and takes no money', async () => {
    const event = await app.createEvent();
    const hold = await placeHold(event, { sectionId: event.sections[0].id, quantity: 1 });
    await app.db.query(`update holds set expires_at = now() - interval '1 second' where id = $1`, [hold.id]);
    const before = (await providerRecords(app.db)).size;
    const reply = await pay(hold.id);
    expect(reply.status).toBe(410);
    expect(reply.body.error.code).toBe('hold_expired');
    expect((await providerRecords(app.db)).size).toBe(before);
    expect((await app.db.query('select 1 from orders where hold_id = $1', [hold.id])).rowCount).toBe(0);
  });

  it('voids the authorization when a seat of a lapsed hold was sold to someone else meanwhile', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Stalls', price: 4000, rows: [{ label: 'A', seats: 3 }] }] });
    const [seat] = await seatIds(app, event.id);
    const first = await placeHold(event, { seatIds: [seat] });
    // Only the seat's copy of the expiry lapses, and another buyer takes the seat: the hold itself
    // still looks current (the sweeper leaves it alone), so only the seat row tells that it is no
    // longer theirs, and the checkout finds that out after authorizing.
    await app.db.query(`update seats set held_until = now() - interval '1 second' where id = $1`, [seat]);
    const other = await app.registerBuyer();
    await placeHold(event, { seatIds: [seat] }, other);
    const reply = await pay(first.id);
    expect(reply.status).toBe(410);
    const attempts = await app.db.query<{ status: string; reference: string }>('select status, reference from payments where hold_id = $1', [first.id]);
    expect(attempts.rows.map((r) => r.status)).toEqual(['voided']);
    expect((await providerRecords(app.db)).get(attempts.rows[0]!.reference)!.state).toBe('voided');
    expect((await app.db.query(`select 1 from tickets where seat_id = $1`, [seat])).rowCount).toBe(0);
  });

  it('cancels an order: refunds it, voids its tickets and puts exactly those back on sale', async () => {
    const event = await app.createEvent({ maxHoldsPerUser: 2, sections: [{ name: 'Floor', price: 2500, capacity: 10 }, { name: 'Stalls', price: 4000, rows: [{ label: 'A', seats: 6 }] }] });
    const ga = await placeHold(event, { sectionId: event.sections[0].id, quantity: 4 });
    const seated = await placeHold(event, { sectionId: event.sections[1].id, quantity: 2 });
    const order = (await pay(ga.id)).body;
    await pay(seated.id);
    const cancelled = await app.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', refund: { amount: 10000, currency: 'EUR' } });
    expect(cancelled.body.tickets.every((t: { status: string }) => t.status === 'void')).toBe(true);
    const again = await app.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token });
    expect(again.status).toBe(200);
    const accounting = await sectionAccounting(app.db, event.id);
    expect(accounting.map((s) => [s.sold, s.held, s.available])).toEqual([[0, 0, 10], [2, 0, 4]]);
    const refunded = [...(await providerRecords(app.db)).values()].filter((p) => p.state === 'refunded');
    expect(refunded.map((p) => p.refunded)).toContain(10000);
  });

  it('refuses to cancel after the event started', async () => {
    const event = await app.createEvent();
    const hold = await placeHold(event, { sectionId: event.sections[0].id, quantity: 1 });
    const order = (await pay(hold.id)).body;
    await app.db.query(`update events set starts_at = now() - interval '1 minute' where id = $1`, [event.id]);
    const reply = await app.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token });
    expect(reply.status).toBe(409);
    expect(reply.body.error.code).toBe('not_cancellable');
  });

  it('shows orders to their owner and admins only', async () => {
    const event = await app.createEvent();
    const hold = await placeHold(event, { sectionId: event.sections[0].id, quantity: 1 });
    const order = (await pay(hold.id)).body;
    const other = await app.registerBuyer();
    expect((await app.request('GET', `/api/v1/orders/${order.id}`, { token: other.token })).status).toBe(404);
    expect((await app.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: other.token })).status).toBe(404);
    expect((await app.request('POST', `/api/v1/holds/${hold.id}/checkout`, { token: other.token, body: goodCard })).status).toBe(404);
    expect((await app.request('GET', `/api/v1/orders/${order.id}`, { token: app.adminToken })).status).toBe(200);
    const mine = await app.request('GET', '/api/v1/orders', { token: buyer.token });
    expect(mine.body.items.map((o: { id: string }) => o.id)).toContain(order.id);
    const theirs = await app.request('GET', '/api/v1/orders', { token: other.token });
    expect(theirs.body.items).toEqual([]);
  });

  it('finishes half-done payments: captures paid orders and voids authorizations left without one', async () => {
    const event = await app.createEvent();
    // A paid order whose capture failed after the order was committed (the provider was unreachable).
    const paid = await placeHold(event, { sectionId: event.sections[0].id, quantity: 2 });
    vi.spyOn(app.payments, 'capture').mockRejectedValueOnce(new Error('provider unreachable'));
    const order = await pay(paid.id);
    expect([order.status, order.body.status]).toEqual([201, 'confirmed']);
    // An authorization whose checkout crashed before any order was made.
    const hold = await placeHold(event, { sectionId: event.sections[0].id, quantity: 1 });
    const orphan = await app.payments.authorize({ amount: 5000, currency: 'EUR', cardNumber: '4242424242424242', idempotencyKey: 'crashed-checkout' });
    if (!orphan.ok) throw new Error('expected an authorization');
    await app.db.query(
      `insert into payments (hold_id, amount, currency, provider, status, reference, updated_at) values ($1, 5000, 'EUR', 'test', 'authorized', $2, now() - interval '2 minutes')`,
      [hold.id, orphan.reference],
    );
    // Both are older than the reconciler's minute of grace.
    await app.db.query(`update payments set updated_at = now() - interval '2 minutes' where hold_id = $1`, [paid.id]);
    const before = await app.db.query<{ status: string; reference: string }>('select status, reference from payments where hold_id = $1', [paid.id]);
    expect(before.rows.map((r) => r.status)).toEqual(['authorized']);

    await app.server.context.checkout.reconcilePayments();
    const after = await app.db.query<{ holdId: string; status: string }>(
      'select hold_id as "holdId", status from payments where hold_id = any($1::uuid[]) order by hold_id = $2 desc', [[paid.id, hold.id], paid.id],
    );
    expect(after.rows.map((r) => r.status)).toEqual(['captured', 'voided']);
    const provider = await providerRecords(app.db);
    expect(provider.get(before.rows[0]!.reference)).toMatchObject({ state: 'captured', amount: 10_000 });
    expect(provider.get(orphan.reference)!.state).toBe('voided');
    expect((await app.request('GET', `/api/v1/orders/${order.body.id}`, { token: buyer.token })).body.status).toBe('confirmed');
  });
});

describe('cancelling an event', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('postgres');
  });
  afterAll(() => app?.close());

  it('cancels and refunds every order, and refuses payment for holds still open', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 3000, capacity: 50 }, { name: 'Stalls', price: 4000, rows: [{ label: 'A', seats: 10 }] }] });
    const buyers = await app.registerBuyers(3);
    const orders = [];
    for (const [i, buyer] of buyers.slice(0, 2).entries()) {
      const body = i === 0 ? { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 } : { eventId: event.id, sectionId: event.sections[1].id, quantity: 3 };
      const hold = (await app.request('POST', '/api/v1/holds', { token: buyer.token, body })).body;
      orders.push((await app.request('POST', `/api/v1/holds/${hold.id}/checkout`, { token: buyer.token, body: goodCard })).body);
    }
    const open = (await app.request('POST', '/api/v1/holds', { token: buyers[2]!.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } })).body;

    const cancelled = await app.request('PATCH', `/api/v1/events/${event.id}`, { token: app.adminToken, body: { status: 'cancelled' } });
    expect(cancelled.status).toBe(200);
    for (const [i, order] of orders.entries()) {
      const after = (await app.request('GET', `/api/v1/orders/${order.id}`, { token: buyers[i]!.token })).body;
      expect(after).toMatchObject({ status: 'cancelled', refund: { amount: order.total, currency: 'EUR' } });
      expect(after.tickets.every((t: { status: string }) => t.status === 'void')).toBe(true);
    }
    const refunded = await app.db.query<{ status: string }>('select status from payments where order_id = any($1::uuid[])', [orders.map((o) => o.id)]);
    expect(refunded.rows.map((r) => r.status)).toEqual(['refunded', 'refunded']);
    expect([...(await providerRecords(app.db)).values()].filter((p) => p.state === 'refunded').map((p) => p.refunded).sort()).toEqual(expect.arrayContaining([6000, 12000]));
    const notices = await app.db.query<{ type: string }>(`select type from outbox where event_id = $1 and type = 'order.cancelled'`, [event.id]);
    expect(notices.rowCount).toBe(2);

    const late = await app.request('POST', `/api/v1/holds/${open.id}/checkout`, { token: buyers[2]!.token, body: goodCard });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('not_on_sale');
    expect((await app.db.query('select 1 from orders where hold_id = $1', [open.id])).rowCount).toBe(0);
  });

  it('finishes a cancellation a crash interrupted after the status change: the orders are cancelled and refunded, once', async () => {
    const event = await app.createEvent();
    const [buyer] = await app.registerBuyers(1);
    const hold = (await app.request('POST', '/api/v1/holds', { token: buyer!.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 } })).body;
    const order = (await app.request('POST', `/api/v1/holds/${hold.id}/checkout`, { token: buyer!.token, body: goodCard })).body;
    // What the first step of a cancellation leaves if the process dies before the second.
    await app.db.query(`update events set status = 'cancelled' where id = $1`, [event.id]);

    const { events } = app.server.context;
    expect(await events.finishInterruptedCancellations()).toBeGreaterThanOrEqual(1);
    expect((await app.request('GET', `/api/v1/orders/${order.id}`, { token: buyer!.token })).body).toMatchObject({ status: 'cancelled', refund: { amount: 10000 } });
    const payment = await app.db.query<{ status: string; reference: string }>('select status, reference from payments where order_id = $1', [order.id]);
    expect(payment.rows[0]!.status).toBe('refunded');
    expect((await providerRecords(app.db)).get(payment.rows[0]!.reference)).toMatchObject({ state: 'refunded', refunded: 10000 });
    await events.finishInterruptedCancellations();
    const notices = await app.db.query(`select 1 from outbox where event_id = $1 and type in ('order.cancelled', 'event.cancelled')`, [event.id]);
    expect(notices.rowCount).toBe(2);
  });
});
