import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { BearerAuth, IdParams, Nullable, StrictObject, Text, TimestampOut, Uuid, errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import { callerOf, type Guards } from '../auth/guard.js';
import type { Stock } from '../inventory/stock.js';
import type { CheckoutService } from './checkout.js';
import { createCompOrder, eventTicketsCsv, searchEventOrders, type CompOrderInput } from './desk.js';
import { OrderSchema } from './routes.js';

const DeskStatus = Type.Union([Type.Literal('confirmed'), Type.Literal('partially_cancelled'), Type.Literal('cancelled')]);

export const DeskOrderSchema = Type.Object({
  id: Uuid,
  number: Type.Integer({ description: 'The order number people read out' }),
  status: DeskStatus,
  kind: Type.Union([Type.Literal('sale'), Type.Literal('comp')]),
  buyer: Type.Object({ email: Type.String(), name: Type.String() }),
  total: Type.Integer(),
  refunded: Type.Integer(),
  currency: Type.String(),
  tickets: Type.Integer(),
  validTickets: Type.Integer(),
  reason: Nullable(Type.String()),
  createdAt: TimestampOut,
});

export const DeskOrdersQuery = StrictObject({
  q: Type.Optional(Type.String({ minLength: 1, maxLength: limits.orderSearchLengthMax, description: 'Buyer email or name (substring), order number, or ticket code' })),
  status: Type.Optional(DeskStatus),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.pageSizeMax })),
});

export const DeskOrderPageSchema = Type.Object({ items: Type.Array(DeskOrderSchema), nextCursor: Nullable(Type.String()) });

export const CompOrderBody = StrictObject({
  email: Type.String({ format: 'email', maxLength: 254 }),
  sectionId: Uuid,
  quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.ticketsPerOrderMax })),
  seatIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: limits.seatsPerHoldMax, uniqueItems: true })),
  ticketTypeId: Type.Optional(Uuid),
  reason: Text({ maxLength: limits.orderReasonLengthMax }),
});

export interface OrderDeskOptions {
  db: Database;
  stock: Stock;
  checkout: CheckoutService;
  guards: Guards;
}

export const orderDeskRoutes: FastifyPluginAsyncTypebox<OrderDeskOptions> = async (app, { db, stock, checkout, guards }) => {
  const theEvent = (request: FastifyRequest) => ({ event: (request.params as { id: string }).id });

  app.get('/events/:id/orders', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('orders.read', theEvent),
    schema: {
      tags: ['order desk'],
      summary: 'Search the event\'s orders, newest first (owner, manager, box office, finance)',
      description: 'Keyset pages: pass `nextCursor` back as `cursor`.',
      security: BearerAuth,
      params: IdParams,
      querystring: DeskOrdersQuery,
      response: { 200: DeskOrderPageSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => searchEventOrders(db, request.params.id, { ...request.query, limit: request.query.limit ?? limits.pageSizeDefault }));

  app.get('/events/:id/orders.csv', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('orders.export', theEvent),
    schema: {
      tags: ['order desk'],
      summary: 'Every ticket of the event with its order and buyer, as CSV, streamed (owner, manager, finance)',
      description: 'One row per ticket: buyer, section, seat, price, status, check-in time. Cells a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`) are prefixed with `\'`.',
      security: BearerAuth,
      params: IdParams,
      produces: ['text/csv'],
      response: { 200: Type.Unsafe<Readable>({ type: 'string', description: 'text/csv' }), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="orders-${request.params.id}.csv"`)
    // A byte stream (not objectMode, whose buffer is 16 batches): one batch is read ahead at most.
    .send(Readable.from(eventTicketsCsv(db, request.params.id), { objectMode: false })));

  app.post('/events/:id/orders', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('orders.create', theEvent),
    schema: {
      tags: ['order desk'],
      summary: 'A complimentary order (owner, manager, box office): confirmed, no payment, stock taken like any sale\'s; the tickets are emailed',
      description: 'Send `quantity` for a general-admission section or `seatIds` for reserved seats; in a section with ticket types, `ticketTypeId` (required there: the tickets are of that type and count in its quota, 409 `sold_out` past it; any type, hidden or outside its sales window included). An address without an account gets one (without a password).',
      security: BearerAuth,
      params: IdParams,
      body: CompOrderBody,
      response: { 201: OrderSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const { quantity, seatIds, ...rest } = request.body;
    if ((quantity === undefined) === (seatIds === undefined)) {
      throw new AppError('validation_failed', 'Send either quantity or seatIds.', { fields: [{ in: 'body', field: '/quantity', message: 'send exactly one of quantity and seatIds' }] });
    }
    const caller = callerOf(request);
    const input = (seatIds ? { ...rest, seatIds } : { ...rest, quantity: quantity! }) as CompOrderInput;
    const orderId = await createCompOrder(db, stock, request.params.id, input, caller.kind === 'user' ? caller.userId : null);
    return reply.status(201).send(await checkout.getOrder(orderId));
  });
};
