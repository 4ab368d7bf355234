import type { FastifyBaseLogger } from 'fastify';
import type { Database, Tx } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import type { Principal } from '../auth/tokens.js';
import { enqueue } from '../notifications/outbox.js';
import type { Metrics } from '../ops/metrics.js';
import { markOfferConverted, offerReturnedStock } from '../waitlist/offers.js';
import { findOrder, issueTickets, listOrders, type OrderView } from './orders.js';
import type { PaymentProvider } from './payments.js';

export interface CheckoutService {
  /** Pays for a hold. `created` is false when the hold was already paid for (same order returned). */
  checkout(userId: string, holdId: string, cardNumber: string): Promise<{ order: OrderView; created: boolean }>;
  getOrder(viewer: Principal, orderId: string): Promise<OrderView>;
  listOrders(userId: string): Promise<OrderView[]>;
  cancel(viewer: Principal, orderId: string): Promise<OrderView>;
  /** Sends the refunds that cancelled orders owe (after their transaction committed). */
  settleRefunds(owed: OwedRefund[]): Promise<void>;
  /** Finishes payments a crash left half-done: captures paid orders, voids orphans, sends refunds. */
  reconcilePayments(): Promise<void>;
}

interface LockedHold {
  status: 'active' | 'released' | 'expired' | 'converted';
  lapsed: boolean;
  eventId: string;
  userId: string;
  total: number;
  currency: string;
}

const holdExpired = () => new AppError('hold_expired', 'This hold has expired; its tickets went back on sale.');

/** Locks the hold and says whether it can still be paid for; throws the reason it cannot. */
async function lockPayableHold(tx: Tx, holdId: string, userId: string): Promise<LockedHold> {
  const { rows } = await tx.query<LockedHold & { eventCancelled: boolean }>(
    `select h.status, h.expires_at <= now() as lapsed, h.event_id as "eventId", h.user_id as "userId", h.total, h.currency,
            (select status = 'cancelled' from events where id = h.event_id) as "eventCancelled"
       from holds h where h.id = $1 and h.user_id = $2 for update of h`,
    [holdId, userId],
  );
  const hold = rows[0];
  if (!hold) throw notFound('hold');
  if (hold.status === 'converted') return hold;
  if (hold.eventCancelled) throw new AppError('not_on_sale', 'This event was cancelled; nothing can be bought for it.');
  if (hold.status === 'expired' || (hold.status === 'active' && hold.lapsed)) throw holdExpired();
  if (hold.status === 'released') throw new AppError('hold_not_active', 'This hold was released.');
  return hold;
}

/**
 * Turns a paid hold into an order, in one transaction: the hold must still be active and unexpired
 * under its row lock, and each of its seats must still be held by it (a lapsed seat may have gone
 * to someone else). Anything else rolls back and the caller voids the payment.
 */
async function commitOrder(tx: Tx, holdId: string, userId: string, paymentId: string): Promise<string> {
  const hold = await lockPayableHold(tx, holdId, userId);
  if (hold.status === 'converted') throw holdExpired();
  const seats = await tx.query<{ id: string; mine: boolean }>(
    `select id, (status = 'held' and hold_id = $1) as mine from seats
      where id in (select seat_id from hold_items where hold_id = $1 and seat_id is not null) order by id for update`,
    [holdId],
  );
  if (seats.rows.some((s) => !s.mine)) throw holdExpired();
  await tx.query(`update seats set status = 'sold', hold_id = null, held_until = null where id = any($1::uuid[])`, [seats.rows.map((s) => s.id)]);
  await tx.query(`update holds set status = 'converted', ended_at = now() where id = $1`, [holdId]);
  const order = await tx.query<{ id: string }>(
    `insert into orders (hold_id, user_id, event_id, status, total, currency) values ($1, $2, $3, 'confirmed', $4, $5) returning id`,
    [holdId, userId, hold.eventId, hold.total, hold.currency],
  );
  const orderId = order.rows[0]!.id;
  const tickets = await issueTickets(tx, orderId, hold.eventId, holdId);
  const linked = await tx.query(`update payments set order_id = $2, updated_at = now() where id = $1 and status = 'authorized'`, [paymentId, orderId]);
  // The reconciler voids authorizations left without an order; if it got here first, do not sell.
  if (linked.rowCount === 0) throw holdExpired();
  await markOfferConverted(tx, holdId);
  await enqueue(tx, {
    type: 'order.confirmed',
    userId,
    eventId: hold.eventId,
    payload: { orderId, holdId, total: hold.total, currency: hold.currency, tickets },
  });
  return orderId;
}

export function createCheckoutService(deps: { db: Database; payments: PaymentProvider; metrics: Metrics; log: FastifyBaseLogger }): CheckoutService {
  const { db, payments, metrics, log } = deps;

  const setPayment = (paymentId: string, status: string, extra: { reference?: string; failureCode?: string } = {}) =>
    db.query(
      `update payments set status = $2, reference = coalesce($3, reference), failure_code = coalesce($4, failure_code), updated_at = now() where id = $1`,
      [paymentId, status, extra.reference ?? null, extra.failureCode ?? null],
    );

  async function existingOrder(holdId: string): Promise<OrderView> {
    const order = await findOrder(db, { holdId });
    if (!order) throw new Error(`hold ${holdId} is converted but has no order`);
    return order;
  }

  /** Step 1: claims the hold's single live payment slot, or finds the order already made. */
  async function startPayment(userId: string, holdId: string): Promise<{ paymentId: string; hold: LockedHold } | { order: OrderView }> {
    const started = await db.transaction(async (tx) => {
      const hold = await lockPayableHold(tx, holdId, userId);
      if (hold.status === 'converted') return undefined;
      const payment = await tx.query<{ id: string }>(
        `insert into payments (hold_id, amount, currency, provider, status) values ($1, $2, $3, $4, 'authorizing')
         on conflict (hold_id) where status in ('authorizing', 'authorized', 'captured', 'refunding', 'refunded') do nothing
         returning id`,
        [holdId, hold.total, hold.currency, payments.name],
      );
      if (!payment.rows[0]) throw new AppError('checkout_in_progress', 'A payment for this hold is already being processed.');
      return { paymentId: payment.rows[0].id, hold };
    });
    return started ?? { order: await existingOrder(holdId) };
  }

  async function voidQuietly(paymentId: string, reference: string): Promise<void> {
    await payments.void(reference).catch((error: unknown) => log.error({ err: error, paymentId }, 'void failed; the reconciler retries'));
    await setPayment(paymentId, 'voided');
  }

  return {
    async checkout(userId, holdId, cardNumber) {
      const started = await startPayment(userId, holdId);
      if ('order' in started) return { order: started.order, created: false };
      const { paymentId, hold } = started;

      const authorization = await payments.authorize({ amount: hold.total, currency: hold.currency, cardNumber, idempotencyKey: paymentId });
      if (!authorization.ok) {
        await setPayment(paymentId, 'declined', { failureCode: authorization.reason });
        metrics.paymentsDeclined.inc({ reason: authorization.reason });
        throw new AppError('payment_declined', 'The card was declined; the hold is still yours until it expires.', { reason: authorization.reason });
      }
      await setPayment(paymentId, 'authorized', { reference: authorization.reference });

      let orderId: string;
      try {
        orderId = await db.transaction((tx) => commitOrder(tx, holdId, userId, paymentId));
      } catch (error) {
        await voidQuietly(paymentId, authorization.reference);
        throw error;
      }
      metrics.ordersConfirmed.inc();
      try {
        await payments.capture(authorization.reference);
        await setPayment(paymentId, 'captured');
      } catch (error) {
        // The order stands; the reconciler captures it later.
        log.error({ err: error, paymentId }, 'capture failed after the order was committed');
      }
      return { order: (await findOrder(db, { orderId }))!, created: true };
    },

    async getOrder(viewer, orderId) {
      const order = await findOrder(db, { orderId });
      if (!order || (viewer.role !== 'admin' && !(await ownsOrder(db, viewer.userId, orderId)))) throw notFound('order');
      return order;
    },

    listOrders: (userId) => listOrders(db, userId),

    async cancel(viewer, orderId) {
      const owed = await db.transaction(async (tx) => {
        const { rows } = await tx.query<CancellableOrder & { status: string; started: boolean }>(
          `select o.id, o.user_id as "userId", o.event_id as "eventId", o.status, e.starts_at <= now() as started, o.total, o.currency
             from orders o join events e on e.id = o.event_id where o.id = $1 for update of o`,
          [orderId],
        );
        const order = rows[0];
        if (!order || (viewer.role !== 'admin' && order.userId !== viewer.userId)) throw notFound('order');
        if (order.status === 'cancelled') return [];
        if (order.started) throw new AppError('not_cancellable', 'The event has started; this order can no longer be cancelled.');
        return cancelLockedOrders(tx, [order]);
      });
      await settleRefunds(owed);
      return (await findOrder(db, { orderId }))!;
    },

    settleRefunds,

    async reconcilePayments() {
      const { rows } = await db.query<{ id: string; reference: string | null; status: string; orderId: string | null; amount: number; orderStatus: string | null }>(
        `select p.id, p.reference, p.status, p.order_id as "orderId", p.amount, o.status as "orderStatus"
           from payments p left join orders o on o.id = p.order_id
          where (p.status in ('authorizing', 'authorized') and p.updated_at < now() - interval '1 minute') or p.status = 'refunding'
          limit 100`,
      );
      for (const payment of rows) {
        if (payment.status === 'refunding') {
          // Refunds are idempotent per payment at the provider, so racing the cancel that owes it is harmless.
          await settleRefund({ id: payment.id, reference: payment.reference!, previousStatus: 'captured', amount: payment.amount });
        } else if (payment.orderId) {
          await payments.capture(payment.reference!);
          await setPayment(payment.id, 'captured');
        } else {
          // An authorization with no order: claim it conditionally, so a checkout finishing now loses.
          const claimed = await db.query(`update payments set status = 'voided', failure_code = 'abandoned', updated_at = now() where id = $1 and order_id is null and status = $2`, [payment.id, payment.status]);
          if (claimed.rowCount > 0 && payment.reference) await payments.void(payment.reference);
        }
      }
    },
  };

  async function settleRefunds(owed: OwedRefund[]): Promise<void> {
    metrics.ordersCancelled.inc(owed.length);
    for (const payment of owed) await settleRefund(payment);
  }

  /** Sends the money back: a captured payment is refunded, an authorization only voided. */
  async function settleRefund(payment: OwedRefund): Promise<void> {
    try {
      if (payment.previousStatus === 'authorized') {
        await payments.void(payment.reference);
      } else {
        await payments.refund(payment.reference, payment.amount);
        await setPayment(payment.id, 'refunded');
      }
    } catch (error) {
      log.error({ err: error, paymentId: payment.id }, 'refund failed; the reconciler retries');
    }
  }
}

async function ownsOrder(db: Database, userId: string, orderId: string): Promise<boolean> {
  return (await db.query('select 1 from orders where id = $1 and user_id = $2', [orderId, userId])).rowCount > 0;
}

export interface CancellableOrder {
  id: string;
  userId: string;
  eventId: string;
  total: number;
  currency: string;
}

/** A payment a cancelled order must give back once its transaction has committed. */
export interface OwedRefund {
  id: string;
  reference: string;
  previousStatus: 'authorized' | 'captured';
  amount: number;
}

/**
 * Cancels orders the caller has locked, in its transaction: tickets void, their units back on sale
 * (the waitlist first), the buyer told, and each payment marked for refund (`refunding`, which the
 * reconciler retries until sent) or, if it was never captured, voided. Returns what is owed.
 */
export async function cancelLockedOrders(tx: Tx, orders: CancellableOrder[]): Promise<OwedRefund[]> {
  if (orders.length === 0) return [];
  for (const order of orders) await returnOrderStock(tx, order.id);
  const ids = orders.map((o) => o.id);
  await tx.query(`update orders set status = 'cancelled', cancelled_at = now(), refund_amount = total where id = any($1::uuid[])`, [ids]);
  await enqueue(tx, ...orders.map((order) => ({
    type: 'order.cancelled' as const,
    userId: order.userId,
    eventId: order.eventId,
    payload: { orderId: order.id, refund: { amount: order.total, currency: order.currency } },
  })));
  const { rows } = await tx.query<OwedRefund>(
    `update payments p set status = case when old.status = 'captured' then 'refunding' else 'voided' end, updated_at = now()
       from payments old
      where p.id = old.id and p.order_id = any($1::uuid[]) and old.status in ('authorized', 'captured')
      returning p.id, p.reference, old.status as "previousStatus", p.amount`,
    [ids],
  );
  return rows;
}

/**
 * For an event being cancelled: locks its confirmed orders, then all of its sections (lock order:
 * orders, sections, then seats and waitlist entries), and returns the orders for `cancelLockedOrders`.
 */
export async function lockEventOrders(tx: Tx, eventId: string): Promise<CancellableOrder[]> {
  const { rows } = await tx.query<CancellableOrder>(
    `select id, user_id as "userId", event_id as "eventId", total, currency
       from orders where event_id = $1 and status = 'confirmed' order by id for update`,
    [eventId],
  );
  await tx.query('select 1 from sections where event_id = $1 order by id for update', [eventId]);
  return rows;
}

/**
 * Voids an order's tickets and puts exactly those units and seats back (lock order: sections, then
 * seats); they go to the waitlist first, in this transaction.
 */
async function returnOrderStock(tx: Tx, orderId: string): Promise<void> {
  await tx.query(
    `select id from sections where id in (select section_id from tickets where order_id = $1 and status = 'valid')
      order by id for update`,
    [orderId],
  );
  const voided = await tx.query<{ sectionId: string; seatId: string | null }>(
    `update tickets set status = 'void' where order_id = $1 and status = 'valid' returning section_id as "sectionId", seat_id as "seatId"`,
    [orderId],
  );
  const gaCounts = new Map<string, number>();
  for (const t of voided.rows) if (!t.seatId) gaCounts.set(t.sectionId, (gaCounts.get(t.sectionId) ?? 0) + 1);
  await tx.query(
    `update sections s set available = s.available + r.quantity from unnest($1::uuid[], $2::int[]) as r(id, quantity) where s.id = r.id`,
    [[...gaCounts.keys()], [...gaCounts.values()]],
  );
  const seatIds = voided.rows.flatMap((t) => (t.seatId ? [t.seatId] : []));
  await tx.query(
    `with locked as (select id from seats where id = any($1::uuid[]) and status = 'sold' order by id for update)
     update seats set status = 'available' where id in (select id from locked)`,
    [seatIds],
  );
  await offerReturnedStock(tx, [...new Set(voided.rows.map((t) => t.sectionId))]);
}
