import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { providerRecords } from '../../../test/support/payments.js';
import { limits } from '../../limits.js';

const card = { payment: { cardNumber: '4242424242424242' } };
/** Long enough that the reconciler job never runs by itself here: the tests run its passes. */
const reconcileIntervalMs = 600_000;

describe.each(backends)('the payment reconciler on %s', (backend) => {
  let app: TestApp;
  let buyer: Buyer;
  beforeAll(async () => {
    app = await startTestApp(backend, { PAYMENT_RECONCILE_INTERVAL_MS: String(reconcileIntervalMs) });
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  const reconcile = () => app.server.context.checkout.reconcilePayments();

  /** Orders `count` tickets, one order each; returns the orders with their payment ids, oldest first. */
  async function orders(count: number): Promise<{ orderId: string; paymentId: string; reference: string }[]> {
    const event = await app.createEvent();
    const made = [];
    for (let i = 0; i < count; i++) {
      const hold = (await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } })).body;
      const order = (await app.request('POST', `/api/v1/holds/${hold.id}/checkout`, { token: buyer.token, body: card })).body;
      const payment = (await app.db.query<{ id: string; reference: string }>('select id, reference from payments where order_id = $1', [order.id])).rows[0]!;
      made.push({ orderId: order.id as string, paymentId: payment.id, reference: payment.reference });
    }
    return made;
  }

  /** The provider stops knowing these charges (as if they were in an account it cannot reach), or knows them again. */
  const hide = (references: string[]) => app.db.query(`update sandbox_payments set reference = 'hidden-' || reference where reference = any($1::text[])`, [references]);
  const unhide = (references: string[]) => app.db.query(`update sandbox_payments set reference = substr(reference, 8) where reference = any($1::text[])`, [references.map((r) => `hidden-${r}`)]);

  const paymentRow = async (paymentId: string) =>
    (await app.db.query<{ status: string; attempts: number; lastError: string | null; parked: boolean; dueInMs: number }>(
      `select status, attempts, last_error as "lastError", parked_at is not null as parked,
              (extract(epoch from next_attempt_at - now()) * 1000)::float8 as "dueInMs"
         from payments where id = $1`,
      [paymentId],
    )).rows[0]!;
  const makeDue = (paymentId: string) => app.db.query('update payments set next_attempt_at = now() where id = $1', [paymentId]);

  it('settles each payment on its own: one the provider cannot settle neither stops nor delays the others', async () => {
    const made = await orders(3);
    await hide(made.map((m) => m.reference));
    for (const { orderId } of made) expect((await app.request('POST', `/api/v1/orders/${orderId}/cancel`, { token: buyer.token })).status).toBe(200);
    // The cancellations could not give the money back; it stays owed.
    expect(await Promise.all(made.map(async (m) => (await paymentRow(m.paymentId)).status))).toEqual(['refunding', 'refunding', 'refunding']);
    const [first, failing, last] = made;
    await unhide([first!.reference, last!.reference]);

    await reconcile();
    expect((await paymentRow(first!.paymentId)).status).toBe('refunded');
    expect((await paymentRow(last!.paymentId)).status).toBe('refunded');
    expect(await paymentRow(failing!.paymentId)).toMatchObject({ status: 'refunding', attempts: 1, parked: false, lastError: `the provider does not know payment ${failing!.reference}` });
    const books = await providerRecords(app.db);
    expect([books.get(first!.reference)?.state, books.get(last!.reference)?.state]).toEqual(['refunded', 'refunded']);
  });

  it('backs off exponentially from the reconcile interval, parks the payment after the bounded attempts, and an admin retry settles it', async () => {
    const [{ orderId, paymentId, reference }] = await orders(1) as [{ orderId: string; paymentId: string; reference: string }];
    await hide([reference]);
    expect((await app.request('POST', `/api/v1/orders/${orderId}/cancel`, { token: buyer.token })).status).toBe(200);

    const delays: number[] = [];
    for (let attempt = 1; attempt <= limits.paymentAttemptsMax; attempt++) {
      await makeDue(paymentId);
      await reconcile();
      const row = await paymentRow(paymentId);
      expect(row.attempts).toBe(attempt);
      delays.push(row.dueInMs);
    }
    // Each delay doubles the one before (up to 10 % jitter), starting at the interval, up to the cap.
    delays.forEach((delay, i) => {
      const expected = Math.min(limits.paymentBackoffMsMax, reconcileIntervalMs * 2 ** i);
      expect(delay).toBeGreaterThan(expected * 0.99);
      expect(delay).toBeLessThan(expected * 1.11);
    });
    expect(await paymentRow(paymentId)).toMatchObject({ status: 'refunding', parked: true });
    await makeDue(paymentId);
    await reconcile();
    expect(await paymentRow(paymentId)).toMatchObject({ status: 'refunding', attempts: limits.paymentAttemptsMax, parked: true });

    expect((await app.request('GET', '/api/v1/admin/payments?status=parked', { token: buyer.token })).status).toBe(403);
    const parked = await app.request('GET', '/api/v1/admin/payments?status=parked', { token: app.adminToken });
    expect(parked.status).toBe(200);
    expect(parked.body.items.map((p: { id: string }) => p.id)).toContain(paymentId);
    expect(parked.body.items.find((p: { id: string }) => p.id === paymentId)).toMatchObject({
      status: 'refunding', orderId, attempts: limits.paymentAttemptsMax, lastError: `the provider does not know payment ${reference}`, parkedAt: expect.any(String),
    });
    expect(parked.body.items.filter((p: { parkedAt: string | null }) => p.parkedAt === null)).toEqual([]);

    await unhide([reference]);
    const retried = await app.request('POST', `/api/v1/admin/payments/${paymentId}/retry`, { token: app.adminToken });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: paymentId, status: 'refunding', attempts: 0, parkedAt: null });
    await reconcile();
    expect(await paymentRow(paymentId)).toMatchObject({ status: 'refunded', parked: false });
    expect((await providerRecords(app.db)).get(reference)).toMatchObject({ state: 'refunded', refunded: 5000 });

    const again = await app.request('POST', `/api/v1/admin/payments/${paymentId}/retry`, { token: app.adminToken });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'payment_not_parked', details: { status: 'refunded' } });
    expect((await app.request('POST', '/api/v1/admin/payments/00000000-0000-4000-8000-000000000000/retry', { token: app.adminToken })).status).toBe(404);
  });

  it('voids an authorization a crash left without an order, found by its idempotency key when the checkout never learned its reference', async () => {
    const event = await app.createEvent();
    const hold = (await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } })).body;
    // A checkout that died between asking the provider and recording its answer.
    const { rows } = await app.db.query<{ id: string }>(
      `insert into payments (hold_id, amount, currency, provider, status, updated_at) values ($1, 5000, 'EUR', 'test', 'authorizing', now() - interval '2 minutes') returning id`,
      [hold.id],
    );
    const paymentId = rows[0]!.id;
    const authorization = await app.payments.authorize({ amount: 5000, currency: 'EUR', cardNumber: '4242424242424242', idempotencyKey: paymentId });
    if (!authorization.ok) throw new Error('expected an authorization');

    await reconcile();
    const payment = (await app.db.query<{ status: string; reference: string; failureCode: string }>(
      'select status, reference, failure_code as "failureCode" from payments where id = $1',
      [paymentId],
    )).rows[0];
    expect(payment).toEqual({ status: 'voided', reference: authorization.reference, failureCode: 'abandoned' });
    expect((await providerRecords(app.db)).get(authorization.reference)?.state).toBe('voided');
  });
});
