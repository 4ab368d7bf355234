import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Access, Permission } from '../auth/access.js';
import { callerOf, type Guards } from '../auth/guard.js';
import type { CheckoutService } from './checkout.js';
import type { TicketService } from './tickets.js';
import { Type } from '@sinclair/typebox';
import { BearerAuth, IdParams, Nullable, StrictObject, Text, TimestampOut, Uuid, errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import { principalOf } from '../auth/guard.js';
import { BreakdownSchema, PricingSchema } from '../inventory/breakdown-schemas.js';

export const OrderSchema = Type.Object({
  id: Uuid,
  status: Type.Union([Type.Literal('confirmed'), Type.Literal('partially_cancelled'), Type.Literal('cancelled')]),
  holdId: Uuid,
  eventId: Uuid,
  eventTitle: Type.String(),
  eventStartsAt: TimestampOut,
  venue: Type.Object({ name: Type.String(), address: Nullable(Type.String()), city: Type.String(), timeZone: Type.String({ description: "IANA zone of the venue: show the event's time in it" }) }),
  breakdown: BreakdownSchema,
  pricing: PricingSchema,
  total: Type.Integer({ description: 'What was charged: breakdown.total' }),
  currency: Type.String(),
  createdAt: TimestampOut,
  refund: Type.Optional(Type.Object({ amount: Type.Integer(), currency: Type.String() })),
  tickets: Type.Array(Type.Object({
    id: Uuid,
    code: Type.String(),
    sectionId: Uuid,
    sectionName: Type.String(),
    seatId: Type.Optional(Uuid),
    seatLabel: Type.Optional(Type.String()),
    ticketTypeId: Type.Optional(Uuid),
    ticketTypeName: Type.Optional(Type.String()),
    price: Type.Integer({ description: 'What the ticket sold for, in minor units (its type\'s price less `discount`; fees and tax are in the order\'s breakdown)' }),
    discount: Type.Optional(Type.Integer({ description: 'What a code took off (absent when nothing)' })),
    status: Type.Union([Type.Literal('valid'), Type.Literal('void')]),
    attendeeName: Type.Optional(Type.String()),
    qr: Type.Optional(Type.String({ description: 'Signed QR payload of a valid ticket: what the door scans (docs/checkin.md)' })),
  })),
});

export const CancelBody = StrictObject({
  ticketIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: limits.ticketsPerOrderMax, uniqueItems: true, description: 'Only these tickets (default: all)' })),
});

export const OrderListSchema = Type.Object({ items: Type.Array(OrderSchema) });
export const CheckoutBody = StrictObject({ payment: StrictObject({ cardNumber: Type.String({ pattern: '^[0-9]{12,19}$' }) }) });

const PaymentStatus = Type.Union(
  (['authorizing', 'authorized', 'captured', 'declined', 'voiding', 'voided', 'refunding', 'refunded'] as const).map((s) => Type.Literal(s)),
);

const PaymentSchema = Type.Object({
  id: Uuid,
  holdId: Uuid,
  orderId: Nullable(Uuid),
  amount: Type.Integer(),
  currency: Type.String(),
  provider: Type.String(),
  reference: Nullable(Type.String()),
  status: PaymentStatus,
  failureCode: Nullable(Type.String()),
  attempts: Type.Integer({ description: 'Failed settlement attempts in a row' }),
  nextAttemptAt: TimestampOut,
  lastError: Nullable(Type.String()),
  parkedAt: Nullable(TimestampOut),
  createdAt: TimestampOut,
  updatedAt: TimestampOut,
});

export const orderRoutes: FastifyPluginAsyncTypebox<{ checkout: CheckoutService; guards: Guards; access: Access }> = async (app, { checkout, guards, access }) => {
  // A confirmation is an email to the buyer's own address; a few a minute is plenty for a lost one.
  const resendRateLimit = app.limitRate('Too many confirmations asked for; try again in a minute.', [
    { scope: 'order-resend', perMinute: limits.confirmationResendsPerMinute, key: (request) => callerKey(callerOf(request)) },
  ]);
  /** The buyer of the order, or a role of its event's organization with the permission (else 404 or 403). */
  const buyerOr = (permission: Permission) => async (request: FastifyRequest) => {
    const caller = callerOf(request);
    const orderId = (request.params as { id: string }).id;
    if (caller.kind === 'user' && (await checkout.isBuyerOf(caller.userId, orderId))) return;
    await access.require(caller, permission, { order: orderId });
  };

  app.post('/orders/:id/resend', {
    onRequest: guards.authenticateCaller,
    preHandler: [buyerOr('orders.create'), resendRateLimit],
    schema: {
      tags: ['orders'],
      summary: 'Send the order\'s confirmation email again, with the PDF tickets and the calendar entry (its buyer; owner, manager, box office)',
      security: BearerAuth,
      params: IdParams,
      response: { 202: Type.Null(), ...errorResponses(400, 401, 404, 409, 429) },
    },
  }, async (request, reply) => {
    await checkout.resendConfirmation(request.params.id);
    return reply.status(202).send(null);
  });

  app.post('/holds/:id/checkout', {
    onRequest: guards.authenticate,
    schema: {
      tags: ['orders'],
      summary: 'Pay for a hold and get tickets',
      description: 'Test cards: 4242424242424242 succeeds, 4000000000000002 is declined, 4000000000009995 has insufficient funds. Repeating a successful checkout returns the same order with 200.',
      security: BearerAuth,
      params: IdParams,
      body: CheckoutBody,
      response: { 200: OrderSchema, 201: OrderSchema, ...errorResponses(400, 401, 402, 404, 409, 410) },
    },
  }, async (request, reply) => {
    const { userId } = principalOf(request);
    const { order, created } = await checkout.checkout(userId, request.params.id, request.body.payment.cardNumber);
    return reply.status(created ? 201 : 200).send(order);
  });

  app.get('/orders', {
    onRequest: guards.authenticate,
    schema: { tags: ['orders'], summary: 'Your orders, newest first', security: BearerAuth, response: { 200: OrderListSchema, ...errorResponses(401) } },
  }, async (request) => ({ items: await checkout.listOrders(principalOf(request).userId) }));

  app.get('/orders/:id', {
    onRequest: guards.authenticateCaller,
    preHandler: buyerOr('orders.read'),
    schema: { tags: ['orders'], summary: 'One order with its tickets (its buyer; owner, manager, box office, finance)', security: BearerAuth, params: IdParams, response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => checkout.getOrder(request.params.id));

  app.get('/orders/:id/tickets.pdf', {
    onRequest: guards.authenticateCaller,
    preHandler: buyerOr('orders.read'),
    schema: {
      tags: ['orders'],
      summary: 'The order\'s valid tickets as a PDF, one page each with its QR code (its buyer; owner, manager, box office, finance)',
      security: BearerAuth,
      params: IdParams,
      produces: ['application/pdf'],
      response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'application/pdf' }), ...errorResponses(400, 401, 404) },
    },
  }, async (request, reply) => {
    const pdf = await checkout.ticketsPdf(request.params.id);
    return reply.type('application/pdf').header('content-disposition', `inline; filename="tickets-${request.params.id}.pdf"`).send(Buffer.from(pdf));
  });

  app.get('/orders/:id/receipt.pdf', {
    onRequest: guards.authenticateCaller,
    preHandler: buyerOr('orders.read'),
    schema: {
      tags: ['orders'],
      summary: 'The order\'s receipt as a PDF: its tickets and the breakdown of what was paid, fees and tax, and any refund (its buyer; owner, manager, box office, finance)',
      security: BearerAuth,
      params: IdParams,
      produces: ['application/pdf'],
      response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'application/pdf' }), ...errorResponses(400, 401, 404) },
    },
  }, async (request, reply) => {
    const pdf = await checkout.receiptPdf(request.params.id);
    return reply.type('application/pdf').header('content-disposition', `inline; filename="receipt-${request.params.id}.pdf"`).send(Buffer.from(pdf));
  });

  app.post('/orders/:id/cancel', {
    onRequest: guards.authenticateCaller,
    preHandler: buyerOr('orders.refund'),
    // No body at all (as before partial cancellation) means every ticket.
    preValidation: async (request) => {
      request.body ??= {};
    },
    schema: {
      tags: ['orders'],
      summary: 'Cancel an order, or some of its tickets: exactly those void, their stock back (the waitlist first), their share refunded (its buyer; owner, manager)',
      description: 'With `ticketIds`, the order is `partially_cancelled` while some tickets remain. Without a body, every remaining ticket is cancelled.',
      security: BearerAuth,
      params: IdParams,
      body: CancelBody,
      response: { 200: OrderSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => checkout.cancel(request.params.id, request.body.ticketIds));
}

/** Rate limits count per person, or per API key. */
const callerKey = (caller: ReturnType<typeof callerOf>) => (caller.kind === 'user' ? caller.userId : `api-key:${caller.keyId}`);

export const paymentAdminRoutes: FastifyPluginAsyncTypebox<{ checkout: CheckoutService; guards: Guards }> = async (app, { checkout, guards }) => {
  app.get('/admin/payments', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['orders'],
      summary: 'Payments, newest first (platform admin); `status=parked` lists the ones the reconciler gave up on, or on a partial refund of',
      security: BearerAuth,
      querystring: StrictObject({
        status: Type.Optional(Type.Union([PaymentStatus, Type.Literal('parked')])),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.pageSizeMax })),
      }),
      response: { 200: Type.Object({ items: Type.Array(PaymentSchema) }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => ({ items: await checkout.listPayments(request.query.status, request.query.limit ?? limits.pageSizeDefault) }));

  app.post('/admin/payments/:id/retry', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['orders'],
      summary: 'Hand a parked payment, and its parked partial refunds, back to the reconciler with a fresh set of attempts (platform admin)',
      security: BearerAuth,
      params: IdParams,
      response: { 200: PaymentSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => checkout.retryPayment(request.params.id));
}

const HeldTicketSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  eventId: Uuid,
  attendeeName: Nullable(Type.String()),
  status: Type.Union([Type.Literal('valid'), Type.Literal('void')]),
});
export const AttendeeNameBody = StrictObject({ attendeeName: Nullable(Text()) });
/** An email as registration accepts it (auth's RegisterBody). */
export const TransferBody = StrictObject({ email: Type.String({ format: 'email', maxLength: 254 }) });

export const ticketRoutes: FastifyPluginAsyncTypebox<{ tickets: TicketService; guards: Guards }> = async (app, { tickets, guards }) => {
  app.patch('/tickets/:id', {
    onRequest: guards.authenticate,
    schema: {
      tags: ['orders'],
      summary: 'Name who will use a ticket (its holder, until the event starts); null clears it',
      security: BearerAuth,
      params: IdParams,
      body: AttendeeNameBody,
      response: { 200: HeldTicketSchema, ...errorResponses(400, 401, 404, 409) },
    },
  }, async (request) => tickets.setAttendeeName(principalOf(request), request.params.id, request.body.attendeeName));

  app.get('/events/:id/calendar.ics', {
    schema: {
      tags: ['orders'],
      summary: 'The event as a calendar entry (anyone; published events)',
      params: IdParams,
      produces: ['text/calendar'],
      response: { 200: Type.String({ description: 'text/calendar' }), ...errorResponses(400, 404) },
    },
  }, async (request, reply) => reply.type('text/calendar; charset=utf-8')
    .header('content-disposition', 'attachment; filename="event.ics"').send(await tickets.calendar(request.params.id)));

  app.post('/tickets/:id/transfer', {
    onRequest: guards.authenticate,
    schema: {
      tags: ['orders'],
      summary: 'Pass a ticket to the account with that email: its code stops working at once, the recipient gets a new one',
      description: 'Refused after check-in (`ticket_checked_in`), once the event started (`event_started`), when the event disallows transfers (`transfers_not_allowed`) or the recipient would pass `maxTicketsPerUser` (`limit_reached`). Returns the old, void ticket.',
      security: BearerAuth,
      params: IdParams,
      body: TransferBody,
      response: { 200: HeldTicketSchema, ...errorResponses(400, 401, 404, 409) },
    },
  }, async (request) => tickets.transfer(principalOf(request), request.params.id, request.body.email));
};
