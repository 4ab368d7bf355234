/**
 * Partial cancellation refunds the cancelled tickets' share through the payment provider, on the
 * durable path full refunds take: the share is a `refunds` row written with the cancellation, sent
 * after commit under its own idempotency key, and sent by the reconciler when that failed. Raced on
 * PostgreSQL; the provider's books (the sandbox's own tables) are the judge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { accountedUnits } from '../../../test/support/accounting.js';
import { createTeam, createTeamEvent, type Team } from '../../../test/support/orgs.js';
import { limits } from '../../limits.js';
import { sectionAccounting } from '../inventory/availability.js';

let app: TestApp;
let team: Team;
const card = { payment: { cardNumber: '4242424242424242' } };

beforeAll(async () => {
  // The reconciler runs only when a test runs a pass; an authorization is stale (its capture due) at once.
  app = await startTestApp('postgres', { PAYMENT_RECONCILE_INTERVAL_MS: '600000', PAYMENT_STALE_AFTER_MS: '100' });
  team = await createTeam(app, 'Refund Co');
});
afterAll(() => app?.close());

const reconcile = () => app.server.context.checkout.reconcilePayments();
const cancel = (orderId: string, ticketIds?: string[]) =>
  app.fetch('POST', `/api/v1/orders/${orderId}/cancel`, { token: team.members.manager.token, ...(ticketIds ? { body: { ticketIds } } : {}) });

/** An order of `quantity` tickets at `price` each, paid; with its payment's provider reference. */
async function paidOrder(quantity: number, price = 2500) {
  const event = await createTeamEvent(app, team, { maxTicketsPerOrder: 10, sections: [{ name: 'Floor', price, capacity: 20 }] });
  const [buyer] = await app.registerBuyers(1) as [Buyer];
  const hold = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity } });
  const order = await app.request('POST', `/api/v1/holds/${hold.body.id}/checkout`, { token: buyer.token, body: card });
  expect(order.status, JSON.stringify(order.body)).toBe(201);
  const { rows: [payment] } = await app.db.query<{ id: string; reference: string }>('select id, reference from payments where order_id = $1', [order.body.id]);
  return { eventId: event.id as string, order: order.body, ticketIds: order.body.tickets.map((t: { id: string }) => t.id) as string[], payment: payment! };
}

/** What the provider gave back of a charge, and what Onsale recorded as owed and as sent. */
async function books(orderId: string, reference: string) {
  const { rows: [row] } = await app.db.query<{ providerRefunded: number; providerState: string; orderRefund: number; shares: number; sharesPending: number; paymentStatus: string }>(
    `select sp.refunded as "providerRefunded", sp.state as "providerState", coalesce(o.refund_amount, 0) as "orderRefund",
            (select coalesce(sum(amount), 0)::int from refunds where order_id = o.id) as shares,
            (select count(*)::int from refunds where order_id = o.id and status = 'pending') as "sharesPending",
            p.status as "paymentStatus"
       from orders o join payments p on p.order_id = o.id join sandbox_payments sp on sp.reference = p.reference
      where o.id = $1 and sp.reference = $2`,
    [orderId, reference],
  );
  return row!;
}

const revenue = async (eventId: string) => (await app.request('GET', `/api/v1/events/${eventId}/stats`, { token: team.members.finance.token })).body.revenue;

async function expectAccounted(eventId: string) {
  for (const s of await sectionAccounting(app.db, eventId)) expect(accountedUnits(s), s.name).toBe(s.capacity);
}

describe('partial refunds', () => {
  it('give back exactly the cancelled tickets\' share at the provider, and the rest when the last tickets go; revenue agrees', async () => {
    const { eventId, order, ticketIds, payment } = await paidOrder(3, 3333);
    expect((await cancel(order.id, [ticketIds[0]!])).status).toBe(200);
    expect(await books(order.id, payment.reference)).toMatchObject({ providerRefunded: 3333, providerState: 'captured', orderRefund: 3333, shares: 3333, sharesPending: 0, paymentStatus: 'captured' });
    expect(await revenue(eventId)).toEqual({ gross: 9999, refunded: 3333, net: 6666, currency: 'EUR' });

    const rest = await cancel(order.id, ticketIds.slice(1));
    expect([rest.status, rest.body.status, rest.body.refund]).toEqual([200, 'cancelled', { amount: 9999, currency: 'EUR' }]);
    // The whole-order refund gave back only what the share had not.
    expect(await books(order.id, payment.reference)).toMatchObject({ providerRefunded: 9999, providerState: 'refunded', orderRefund: 9999, paymentStatus: 'refunded' });
    expect(await revenue(eventId)).toEqual({ gross: 9999, refunded: 9999, net: 0, currency: 'EUR' });
    await expectAccounted(eventId);
  });

  it('two concurrent partial cancellations of different tickets each refund exactly their share', async () => {
    const { eventId, order, ticketIds, payment } = await paidOrder(4);
    const answers = await Promise.all([cancel(order.id, [ticketIds[0]!]), cancel(order.id, [ticketIds[1]!, ticketIds[2]!])]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(await books(order.id, payment.reference)).toMatchObject({ providerRefunded: 7500, orderRefund: 7500, shares: 7500, sharesPending: 0, paymentStatus: 'captured' });
    const { rows: amounts } = await app.db.query<{ amount: number }>('select amount from refunds where order_id = $1 order by amount', [order.id]);
    expect(amounts.map((r) => r.amount)).toEqual([2500, 5000]);
    expect(await revenue(eventId)).toMatchObject({ gross: 10_000, refunded: 7500, net: 2500 });
    await expectAccounted(eventId);
  });

  it('every ticket cancelled on its own, all at once: the refunds add up to what was paid, never more', async () => {
    const { eventId, order, ticketIds, payment } = await paidOrder(5, 1001);
    const answers = await Promise.all(ticketIds.map((id) => cancel(order.id, [id])));
    expect(answers.map((a) => a.status)).toEqual(ticketIds.map(() => 200));
    await expect.poll(() => books(order.id, payment.reference)).toMatchObject({ providerRefunded: 5005, providerState: 'refunded', orderRefund: 5005, sharesPending: 0, paymentStatus: 'refunded' });
    expect(await revenue(eventId)).toMatchObject({ gross: 5005, refunded: 5005, net: 0 });
    await expectAccounted(eventId);
  });

  it('the same ticket cancelled twice at once is refunded once', async () => {
    const { order, ticketIds, payment } = await paidOrder(3);
    const answers = await Promise.all(Array.from({ length: 6 }, () => cancel(order.id, [ticketIds[0]!])));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409)) expect(refused.body.error.code).toBe('ticket_void');
    expect(await books(order.id, payment.reference)).toMatchObject({ providerRefunded: 2500, orderRefund: 2500, shares: 2500 });
  });

  it('a share the provider could not take is not lost: the reconciler sends it, and a send repeated after a crash refunds nothing twice', async () => {
    const { order, ticketIds, payment } = await paidOrder(4);
    // The provider fails every refund for a while.
    await app.db.query(`create or replace function refuse_refunds() returns trigger language plpgsql as $$ begin raise exception 'provider down'; end $$`);
    await app.db.query('create trigger refuse_refunds before insert on sandbox_refunds for each row execute function refuse_refunds()');
    try {
      expect((await cancel(order.id, [ticketIds[0]!])).status).toBe(200);
      expect(await books(order.id, payment.reference)).toMatchObject({ providerRefunded: 0, orderRefund: 2500, sharesPending: 1 });
      await app.db.query(`update refunds set next_attempt_at = now() where order_id = $1`, [order.id]);
      await reconcile();
      const { rows: [failed] } = await app.db.query<{ attempts: number; lastError: string }>('select attempts, last_error as "lastError" from refunds where order_id = $1', [order.id]);
      expect(failed).toMatchObject({ attempts: 1, lastError: expect.stringContaining('provider down') });
    } finally {
      await app.db.query('drop trigger refuse_refunds on sandbox_refunds');
    }
    await app.db.query(`update refunds set next_attempt_at = now() where order_id = $1`, [order.id]);
    await reconcile();
    expect(await books(order.id, payment.reference)).toMatchObject({ providerRefunded: 2500, sharesPending: 0 });

    // A crash after the provider refunded but before the row said so: the row is pending again.
    await app.db.query(`update refunds set status = 'pending', next_attempt_at = now() where order_id = $1`, [order.id]);
    await reconcile();
    expect(await books(order.id, payment.reference)).toMatchObject({ providerRefunded: 2500, orderRefund: 2500, sharesPending: 0 });
    const { rows: keys } = await app.db.query('select 1 from sandbox_refunds where reference = $1', [payment.reference]);
    expect(keys).toHaveLength(1);
  });

  it('a share the reconciler gave up on is listed with its payment as parked, and the payment\'s retry sends it', async () => {
    const { order, ticketIds, payment } = await paidOrder(2);
    await app.db.query(`create or replace function refuse_refunds() returns trigger language plpgsql as $$ begin raise exception 'provider down'; end $$`);
    await app.db.query('create trigger refuse_refunds before insert on sandbox_refunds for each row execute function refuse_refunds()');
    try {
      expect((await cancel(order.id, [ticketIds[0]!])).status).toBe(200);
      // The last attempt allowed fails.
      await app.db.query('update refunds set attempts = $2, next_attempt_at = now() where order_id = $1', [order.id, limits.paymentAttemptsMax - 1]);
      await reconcile();
    } finally {
      await app.db.query('drop trigger refuse_refunds on sandbox_refunds');
    }
    const parked = await app.request('GET', '/api/v1/admin/payments?status=parked', { token: app.adminToken });
    expect(parked.body.items.map((p: { id: string }) => p.id)).toContain(payment.id);
    expect((await app.request('POST', `/api/v1/admin/payments/${payment.id}/retry`, { token: app.adminToken })).status).toBe(200);
    await reconcile();
    expect(await books(order.id, payment.reference)).toMatchObject({ providerRefunded: 2500, sharesPending: 0 });
    expect((await app.request('GET', '/api/v1/admin/payments?status=parked', { token: app.adminToken })).body.items.map((p: { id: string }) => p.id)).not.toContain(payment.id);
  });

  it('a share of a payment not captured yet waits for the capture, then goes', async () => {
    // The provider fails captures: the checkout's order stands with its payment authorized.
    await app.db.query(`create or replace function refuse_captures() returns trigger language plpgsql as $$ begin if new.state = 'captured' then raise exception 'capture failed'; end if; return new; end $$`);
    await app.db.query('create trigger refuse_captures before update on sandbox_payments for each row execute function refuse_captures()');
    let made: Awaited<ReturnType<typeof paidOrder>>;
    try {
      made = await paidOrder(2);
      expect((await app.db.query<{ status: string }>('select status from payments where id = $1', [made.payment.id])).rows[0]!.status).toBe('authorized');
      expect((await cancel(made.order.id, [made.ticketIds[0]!])).status).toBe(200);
      expect(await books(made.order.id, made.payment.reference)).toMatchObject({ providerRefunded: 0, providerState: 'authorized', orderRefund: 2500, sharesPending: 1 });
    } finally {
      await app.db.query('drop trigger refuse_captures on sandbox_payments');
    }
    // One pass captures the payment, then sends the share.
    await expect.poll(async () => { await reconcile(); return books(made.order.id, made.payment.reference); })
      .toMatchObject({ providerRefunded: 2500, providerState: 'captured', sharesPending: 0, paymentStatus: 'captured' });
  });

  it('an event cancelled after a partial cancellation gives back only the rest', async () => {
    const { eventId, order, ticketIds, payment } = await paidOrder(4);
    expect((await cancel(order.id, [ticketIds[0]!])).status).toBe(200);
    expect((await app.request('PATCH', `/api/v1/events/${eventId}`, { token: team.members.manager.token, body: { status: 'cancelled' } })).status).toBe(200);
    await expect.poll(() => books(order.id, payment.reference)).toMatchObject({ providerRefunded: 10_000, providerState: 'refunded', orderRefund: 10_000, paymentStatus: 'refunded' });
    expect(await revenue(eventId)).toMatchObject({ gross: 10_000, refunded: 10_000, net: 0 });
  });
});
