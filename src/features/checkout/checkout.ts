import type { FastifyBaseLogger } from 'fastify';
import type { DomainEventBus } from '../../bus.js';
import type { Database, Tx } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import { enqueue } from '../notifications/outbox.js';
import type { Metrics } from '../ops/metrics.js';
import { returnedTicketColumns, type ReturnedTicket, type Stock } from '../inventory/stock.js';
import { findOrder, issueTickets, listOrders, type OrderView, type QrSigner } from './orders.js';
import type { PaymentProvider } from './payments.js';
import { eventCalendar } from './calendar.js';
import { ticketVenue } from './ticket-pdf.js';
import type { PdfRenderer } from './pdf-renderer.js';
import { breakdownColumn } from '../inventory/holds.js';
import type { Breakdown } from '../inventory/breakdown.js';
import type { EmailAttachment } from '../notifications/email.js';
import { createPaymentSettlement, movePayment, oweAuthorizationBack, type PaymentStatus, type PaymentView, type SettlementSettings } from './settlement.js';

export interface CheckoutService {
  /** Pays for a hold. `created` is false when the hold was already paid for (same order returned). */
  checkout(userId: string, holdId: string, cardNumber: string): Promise<{ order: OrderView; created: boolean }>;
  /** Whether the account bought the order (it may then see, resend and cancel it). */
  isBuyerOf(userId: string, orderId: string): Promise<boolean>;
  /** The routes decide who may (the buyer, or a role of the event's organization). */
  getOrder(orderId: string): Promise<OrderView>;
  /** The order's valid tickets as a PDF, one page each (owner or admin). */
  ticketsPdf(orderId: string): Promise<Uint8Array>;
  /** The order's receipt as a PDF: its tickets and the breakdown of what was paid (and refunded). */
  receiptPdf(orderId: string): Promise<Uint8Array>;
  /** What the confirmation email carries: the PDF tickets and the event's calendar entry. */
  confirmationAttachments(orderId: string): Promise<EmailAttachment[]>;
  /** Sends the confirmation of a confirmed order again, through the outbox like the first. */
  resendConfirmation(orderId: string): Promise<void>;
  listOrders(userId: string): Promise<OrderView[]>;
  /** Cancels the whole order, or only `ticketIds` of it (their share refunded; `partially_cancelled` while others remain). */
  cancel(orderId: string, ticketIds?: readonly string[]): Promise<OrderView>;
  /** Gives back the payments that cancelled orders owe (after their transaction committed). */
  settleRefunds(owed: OwedRefund[]): Promise<void>;
  /** One reconciler pass over payments left half-way: captures paid orders, voids orphans, sends refunds. */
  reconcilePayments(): Promise<number>;
  /** Payments for admins, newest first; `parked` lists those the reconciler gave up on. */
  listPayments(filter: PaymentStatus | 'parked' | undefined, limit: number): Promise<PaymentView[]>;
  retryPayment(paymentId: string): Promise<PaymentView>;
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

/**
 * Locks the hold and says whether it can still be paid for; throws the reason it cannot. With
 * `forOrder` (the commit), first the hold's sections FOR KEY SHARE (lock order, inventory/stock.ts:
 * the tickets' foreign keys take that lock anyway, and taken after the hold it deadlocked with a
 * release holding the section and waiting for the hold). Holding them until commit is also what
 * fences the event's cancellation: its second step takes every section of the event FOR UPDATE
 * before it reads the orders, so an order committed on a status read before the cancellation is
 * seen and cancelled with the others (events.ts, `finishCancellation`).
 */
async function lockPayableHold(tx: Tx, holdId: string, userId: string, { forOrder }: { forOrder: boolean }): Promise<LockedHold> {
  if (forOrder) {
    await tx.query('select 1 from sections where id in (select section_id from hold_items where hold_id = $1) order by id for key share', [holdId]);
  }
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
async function commitOrder(tx: Tx, stock: Stock, holdId: string, userId: string, paymentId: string): Promise<string> {
  const hold = await lockPayableHold(tx, holdId, userId, { forOrder: true });
  if (hold.status === 'converted') throw holdExpired();
  const seats = await tx.query<{ id: string; mine: boolean }>(
    `select id, (status = 'held' and hold_id = $1) as mine from seats
      where id in (select seat_id from hold_items where hold_id = $1 and seat_id is not null) order by id for update`,
    [holdId],
  );
  if (seats.rows.some((s) => !s.mine)) throw holdExpired();
  await stock.convertHold(tx, holdId, seats.rows.map((s) => s.id));
  // The order keeps the hold's breakdown as it was priced (breakdown.ts): what was charged never changes after.
  const order = await tx.query<{ id: string; breakdown: Breakdown; pricing: OrderView['pricing'] }>(
    `insert into orders (hold_id, user_id, event_id, status, total, currency, subtotal, discount, fees, tax, tax_included, pricing)
     select id, $2, $3, 'confirmed', $4, $5, subtotal, discount, fees, tax, tax_included, pricing from holds where id = $1
     returning id, ${breakdownColumn('orders', 'orders.hold_id')} as breakdown, coalesce(pricing, '{"fees": [], "tax": null}'::jsonb) as pricing`,
    [holdId, userId, hold.eventId, hold.total, hold.currency],
  );
  const orderId = order.rows[0]!.id;
  const tickets = await issueTickets(tx, orderId, hold.eventId, holdId);
  const linked = await tx.query(`update payments set order_id = $2, updated_at = now() where id = $1 and status = 'authorized'`, [paymentId, orderId]);
  // The reconciler voids authorizations left without an order; if it got here first, do not sell.
  if (linked.rowCount === 0) throw holdExpired();
  await enqueue(tx, {
    type: 'order.confirmed',
    userId,
    eventId: hold.eventId,
    payload: { orderId, holdId, total: hold.total, currency: hold.currency, breakdown: order.rows[0]!.breakdown, pricing: order.rows[0]!.pricing, tickets },
  });
  return orderId;
}

export function createCheckoutService(deps: {
  db: Database;
  stock: Stock;
  bus: DomainEventBus;
  payments: PaymentProvider;
  metrics: Metrics;
  log: FastifyBaseLogger;
  settlement: SettlementSettings;
  /** Signs each valid ticket's QR payload in the order views. */
  signQr: QrSigner;
  /** Draws the tickets and receipts, off the event loop. */
  pdfs: PdfRenderer;
}): CheckoutService {
  const { db, stock, bus, payments, metrics, log, signQr, pdfs } = deps;
  const settlement = createPaymentSettlement({ db, provider: payments, log, settings: deps.settlement });

  async function existingOrder(holdId: string): Promise<OrderView> {
    const order = await findOrder(db, signQr, { holdId });
    if (!order) throw new Error(`hold ${holdId} is converted but has no order`);
    return order;
  }

  /** Step 1: claims the hold's single live payment slot, or finds the order already made. */
  async function startPayment(userId: string, holdId: string): Promise<{ paymentId: string; hold: LockedHold } | { order: OrderView }> {
    const started = await db.transaction(async (tx) => {
      const hold = await lockPayableHold(tx, holdId, userId, { forOrder: false });
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

  /** Gives a payment back now; if the provider fails, the payment stays owed and the reconciler retries. */
  async function giveBackSoon(paymentId: string): Promise<void> {
    await settlement.giveBack(paymentId).catch((error: unknown) => log.error({ err: error, paymentId }, 'could not give the payment back yet; the reconciler retries'));
  }

  /** Sends a partial cancellation's share now; if it cannot go yet (provider down, payment not captured), the reconciler sends it. */
  async function sendShareSoon(refundId: string): Promise<void> {
    await settlement.sendShare(refundId).catch((error: unknown) => log.error({ err: error, refundId }, 'could not send the partial refund yet; the reconciler retries'));
  }

  /** The order was not made: its authorization goes back (unless the order did commit and only its answer was lost). */
  async function releaseAuthorization(paymentId: string, cause: unknown): Promise<void> {
    const owed = await oweAuthorizationBack(db, paymentId, 'authorized', cause instanceof AppError ? cause.code : 'order_failed').catch((error: unknown) => {
      log.error({ err: error, paymentId }, 'could not release the authorization; the reconciler voids it');
      return false;
    });
    if (owed) await giveBackSoon(paymentId);
  }

  // Cancellations elsewhere (an event's) owe refunds once they committed.
  bus.subscribe('refunds.owed', ({ paymentIds }) => settleRefunds(paymentIds.map((id) => ({ id }))));

  return {
    async checkout(userId, holdId, cardNumber) {
      const started = await startPayment(userId, holdId);
      if ('order' in started) return { order: started.order, created: false };
      const { paymentId, hold } = started;

      const authorization = await payments.authorize({ amount: hold.total, currency: hold.currency, cardNumber, idempotencyKey: paymentId });
      if (!authorization.ok) {
        await movePayment(db, paymentId, 'authorizing', 'declined', { failureCode: authorization.reason });
        metrics.paymentsDeclined.inc({ reason: authorization.reason });
        throw new AppError('payment_declined', 'The card was declined; the hold is still yours until it expires.', { reason: authorization.reason });
      }
      if (!(await movePayment(db, paymentId, 'authorizing', 'authorized', { reference: authorization.reference }))) {
        // The authorization outlived PAYMENT_STALE_AFTER_MS and the reconciler settled this payment
        // as abandoned, perhaps before the authorization existed: give it back here.
        await payments.void(authorization.reference).catch((error: unknown) => log.error({ err: error, paymentId }, 'could not void a late authorization'));
        throw new AppError('unavailable', 'The payment took too long and was cancelled; nothing was charged. Please try again.');
      }

      let orderId: string;
      try {
        orderId = await db.transaction((tx) => commitOrder(tx, stock, holdId, userId, paymentId));
      } catch (error) {
        await releaseAuthorization(paymentId, error);
        throw error;
      }
      metrics.ordersConfirmed.inc();
      // The order stands either way; if the capture fails, the reconciler captures it later.
      await settlement.capture(paymentId, authorization.reference).catch((error: unknown) => log.error({ err: error, paymentId }, 'capture failed after the order was committed'));
      await bus.publish('order.confirmed', { eventId: hold.eventId, userId, orderId });
      return { order: (await findOrder(db, signQr, { orderId }))!, created: true };
    },

    isBuyerOf: (userId, orderId) => ownsOrder(db, userId, orderId),

    async getOrder(orderId) {
      const order = await findOrder(db, signQr, { orderId });
      if (!order) throw notFound('order');
      return order;
    },

    async ticketsPdf(orderId) {
      const order = await this.getOrder(orderId);
      return pdfs.draw('tickets', order, (await ticketVenue(db, order.eventId))!);
    },

    async receiptPdf(orderId) {
      const order = await this.getOrder(orderId);
      return pdfs.draw('receipt', order, (await ticketVenue(db, order.eventId))!);
    },

    async confirmationAttachments(orderId) {
      const order = await findOrder(db, signQr, { orderId });
      const venue = order && (await ticketVenue(db, order.eventId));
      if (!order || !venue || order.status === 'cancelled') return [];
      return [
        { filename: 'tickets.pdf', contentType: 'application/pdf', content: Buffer.from(await pdfs.draw('tickets', order, venue)) },
        { filename: 'event.ics', contentType: 'text/calendar; charset=utf-8', content: Buffer.from(eventCalendar(order.eventId, venue)) },
      ];
    },

    async resendConfirmation(orderId) {
      const order = await this.getOrder(orderId);
      if (order.status === 'cancelled') throw new AppError('invalid_status_change', 'This order was cancelled; there is no confirmation to send.');
      const tickets = order.tickets.filter((t) => t.status === 'valid').map((t) => ({ code: t.code, sectionName: t.sectionName, seatLabel: t.seatLabel ?? null }));
      const { rows: [owner] } = await db.query<{ userId: string }>('select user_id as "userId" from orders where id = $1', [orderId]);
      await db.transaction((tx) => enqueue(tx, {
        type: 'order.confirmed',
        userId: owner!.userId,
        eventId: order.eventId,
        payload: { orderId, holdId: order.holdId, total: order.total, currency: order.currency, breakdown: order.breakdown, pricing: order.pricing, tickets, resent: true },
      }));
    },

    listOrders: (userId) => listOrders(db, signQr, userId),

    async cancel(orderId, ticketIds) {
      const owed = await db.transaction(async (tx): Promise<Owed> => {
        // Lock order (inventory/stock.ts): the event row FOR SHARE (its start decides, and the
        // event's changes take it FOR NO KEY UPDATE), the order's sections, then the order.
        const event = await tx.query<{ started: boolean }>(
          'select starts_at <= now() as started from events where id = (select event_id from orders where id = $1) for share',
          [orderId],
        );
        if (!event.rows[0]) throw notFound('order');
        await lockOrderSections(tx, orderId);
        const { rows } = await tx.query<CancellableOrder & { status: string }>(
          'select id, user_id as "userId", event_id as "eventId", status, total, currency from orders where id = $1 for update',
          [orderId],
        );
        const order = rows[0]!;
        if (order.status === 'cancelled' && ticketIds === undefined) return { payments: [], shares: [] };
        if (event.rows[0].started) throw new AppError('not_cancellable', 'The event has started; this order can no longer be cancelled.');
        if (ticketIds === undefined) return { payments: await cancelLockedOrders(tx, stock, [order], { keepFees: true }), shares: [] };
        return cancelLockedTickets(tx, stock, order, ticketIds);
      });
      await settleRefunds(owed.payments);
      for (const refundId of owed.shares) await sendShareSoon(refundId);
      return (await findOrder(db, signQr, { orderId }))!;
    },

    settleRefunds,

    reconcilePayments: () => settlement.reconcile(),
    listPayments: (filter, limit) => settlement.list(filter, limit),
    retryPayment: (paymentId) => settlement.retry(paymentId),
  };

  async function settleRefunds(owed: OwedRefund[]): Promise<void> {
    metrics.ordersCancelled.inc(owed.length);
    for (const payment of owed) await giveBackSoon(payment.id);
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
}

/** What a cancellation owes once committed: payments given back whole, and partial shares (`refunds` rows). */
interface Owed {
  payments: OwedRefund[];
  shares: string[];
}

/** SQL: what cancelling ticket `t` gives back (docs/fees.md): what it cost but the fees that are not refundable. */
const ticketRefundable = (t: string) => `(coalesce(${t}.charged, ${t}.price, 0) - ${t}.fees_kept)`;

/**
 * Cancels orders the caller has locked, in its transaction: tickets void, their units back on sale
 * (the waitlist first), the buyer told, and each payment owed back: `refunding` if captured,
 * `voiding` if only authorized (a capture racing this still ends refunded: settlement.ts), which
 * the reconciler retries until settled. Returns what is owed. With `keepFees` (a buyer's or the
 * team's cancellation, not the event's) the fees that are not refundable stay paid: the order's
 * refund is what its earlier partial refunds gave plus its valid tickets' refundable part (never
 * more than the total); an order none of whose tickets kept a fee gives back its whole total.
 */
export async function cancelLockedOrders(tx: Tx, stock: Stock, orders: CancellableOrder[], { keepFees }: { keepFees: boolean } = { keepFees: false }): Promise<OwedRefund[]> {
  if (orders.length === 0) return [];
  const ids = orders.map((o) => o.id);
  // Read before the tickets void: what each order gives back.
  const { rows: refunds } = await tx.query<{ id: string; amount: number }>(
    `select o.id, case when not $2 or not exists (select 1 from tickets k where k.order_id = o.id and k.fees_kept > 0) then o.total
                       else least(o.total, coalesce(o.refund_amount, 0)
                                           + (select coalesce(sum(${ticketRefundable('t')}), 0) from tickets t where t.order_id = o.id and t.status = 'valid'))::int
                  end as amount
       from orders o where o.id = any($1::uuid[])`,
    [ids, keepFees],
  );
  const refundOf = new Map(refunds.map((r) => [r.id, r.amount]));
  for (const order of orders) await returnOrderStock(tx, stock, order.id);
  await tx.query(
    `update orders o set status = 'cancelled', cancelled_at = now(), refund_amount = t.amount
       from unnest($1::uuid[], $2::int[]) as t(id, amount) where o.id = t.id`,
    [ids, ids.map((id) => refundOf.get(id)!)],
  );
  await enqueue(tx, ...orders.map((order) => ({
    type: 'order.cancelled' as const,
    userId: order.userId,
    eventId: order.eventId,
    payload: { orderId: order.id, refund: { amount: refundOf.get(order.id)!, currency: order.currency } },
  })));
  const { rows } = await tx.query<OwedRefund>(
    `update payments set status = case when status = 'captured' then 'refunding' else 'voiding' end, updated_at = now(),
            attempts = 0, parked_at = null, next_attempt_at = now()
      where order_id = any($1::uuid[]) and status in ('authorized', 'captured')
      returning id`,
    [ids],
  );
  return rows;
}

/**
 * Cancels some of a locked order's tickets (its sections locked too): exactly those are voided and
 * their units and seats returned (the waitlist first), and their share is added to the order's
 * refund. Cancelling every ticket still valid is cancelling the order. 404 for a ticket of another
 * order, 409 `ticket_void` for one no longer valid. The share is what those tickets cost (price
 * after discount, tax, fees) less their fees that are not refundable (docs/fees.md), never more than
 * the order has left to give back, so the refunds of an order never exceed its total.
 * The share is owed back through the provider as a `refunds` row of the order's payment, written
 * here with the rest, so it is sent once committed and, after a crash, by the reconciler.
 */
async function cancelLockedTickets(tx: Tx, stock: Stock, order: CancellableOrder, ticketIds: readonly string[]): Promise<Owed> {
  const { rows: tickets } = await tx.query<{ id: string; valid: boolean }>(
    `select id, status = 'valid' as valid from tickets where order_id = $1 and (status = 'valid' or id = any($2::uuid[])) order by id for update`,
    [order.id, ticketIds],
  );
  const asked = new Set(ticketIds);
  const unknown = [...asked].filter((id) => !tickets.some((t) => t.id === id));
  if (unknown.length > 0) throw new AppError('not_found', 'Some tickets are not of this order.', { ticketIds: unknown });
  const gone = tickets.filter((t) => asked.has(t.id) && !t.valid).map((t) => t.id);
  if (gone.length > 0) throw new AppError('ticket_void', 'Some tickets were already cancelled or transferred.', { ticketIds: gone, reason: 'cancelled' });
  if (tickets.every((t) => asked.has(t.id))) return { payments: await cancelLockedOrders(tx, stock, [order], { keepFees: true }), shares: [] };

  const voided = await tx.query<ReturnedTicket & { refundable: number }>(
    `update tickets t set status = 'void' where id = any($1::uuid[]) and status = 'valid' returning ${returnedTicketColumns}, ${ticketRefundable('t')} as refundable`,
    [[...asked]],
  );
  await stock.returnTickets(tx, voided.rows.map(({ refundable: _, ...ticket }) => ticket));
  // The tickets' own share (their price, tax and refundable fees), within what the order has not
  // given back yet: under the order's row lock, so concurrent cancellations add up one after another.
  const { rows: [refund] } = await tx.query<{ share: number }>(
    `with share as (select least($2::int, o.total - coalesce(o.refund_amount, 0)) as amount from orders o where o.id = $1)
     update orders o set status = 'partially_cancelled', refund_amount = coalesce(o.refund_amount, 0) + share.amount
       from share where o.id = $1
     returning share.amount as share`,
    [order.id, voided.rows.reduce((sum, t) => sum + t.refundable, 0)],
  );
  await enqueue(tx, {
    type: 'order.cancelled',
    userId: order.userId,
    eventId: order.eventId,
    payload: { orderId: order.id, ticketIds: [...asked], refund: { amount: refund!.share, currency: order.currency } },
  });
  if (refund!.share === 0) return { payments: [], shares: [] };
  // The order's one live payment (a comp has none); captured or not yet, the share waits for the capture.
  const { rows: shares } = await tx.query<{ id: string }>(
    `insert into refunds (payment_id, order_id, amount)
     select id, $1, $2 from payments where order_id = $1 and status in ('authorized', 'captured') returning id`,
    [order.id, refund!.share],
  );
  return { payments: [], shares: shares.map((r) => r.id) };
}

/**
 * For an event being cancelled: locks all of its sections, then its confirmed orders (lock order:
 * sections, orders, then seats and waitlist entries), and returns the orders for `cancelLockedOrders`.
 * The orders are read once the sections are locked, so a checkout that was committing (it holds its
 * sections FOR KEY SHARE) has finished, and its order is among them.
 */
export async function lockEventOrders(tx: Tx, eventId: string): Promise<CancellableOrder[]> {
  await tx.query('select 1 from sections where event_id = $1 order by id for update', [eventId]);
  const { rows } = await tx.query<CancellableOrder>(
    `select id, user_id as "userId", event_id as "eventId", total, currency
       from orders where event_id = $1 and status in ('confirmed', 'partially_cancelled') order by id for update`,
    [eventId],
  );
  return rows;
}

/** Locks the sections an order's tickets are in, in id order (they come before the order in the lock order). */
async function lockOrderSections(tx: Tx, orderId: string): Promise<void> {
  await tx.query('select 1 from sections where id in (select section_id from tickets where order_id = $1) order by id for no key update', [orderId]);
}

/**
 * Voids an order's tickets and puts exactly those units and seats back (lock order: sections, then
 * seats); they go to the waitlist first, in this transaction.
 */
async function returnOrderStock(tx: Tx, stock: Stock, orderId: string): Promise<void> {
  await lockOrderSections(tx, orderId);
  const voided = await tx.query<ReturnedTicket>(
    `update tickets set status = 'void' where order_id = $1 and status = 'valid' returning ${returnedTicketColumns}`,
    [orderId],
  );
  await stock.returnTickets(tx, voided.rows);
}
