import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Queryable } from '../../db/database.js';
import { BearerAuth, IdParams, StrictObject, TimestampOut, Uuid, errorResponses } from '../../http/schemas.js';
import type { Guards } from '../auth/guard.js';
import { limits } from '../../limits.js';
import { organizerEvents } from './event-list.js';
import { eventOrders } from './orders.js';
import { salesOf } from './sales.js';

export const SalesSchema = Type.Object({
  buckets: Type.Array(Type.Object({ minute: TimestampOut, tickets: Type.Integer(), revenue: Type.Integer() })),
  ticketsLastFiveMinutes: Type.Integer(),
  totals: Type.Object({
    confirmedOrders: Type.Integer({ description: 'Orders standing: what cancelling the event would refund' }),
    cancelledOrders: Type.Integer(),
    gross: Type.Integer({ description: 'Every order taken, in minor units of the event currency' }),
    refunded: Type.Integer({ description: 'Given back for cancelled orders' }),
    net: Type.Integer({ description: 'gross - refunded' }),
  }),
});

const Phase = Type.Union([Type.Literal('draft'), Type.Literal('on_sale'), Type.Literal('past'), Type.Literal('cancelled')]);

export const OrganizerEventsQuery = StrictObject({
  phase: Type.Optional(Phase),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.pageSizeMax })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: limits.organizerListOffsetMax })),
});

export const OrganizerEventListSchema = Type.Object({
  items: Type.Array(Type.Object({
    id: Uuid,
    title: Type.String(),
    status: Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('cancelled')]),
    phase: Phase,
    startsAt: TimestampOut,
    venue: Type.Object({ name: Type.String(), city: Type.String() }),
    capacity: Type.Integer(),
    sold: Type.Integer(),
  })),
  total: Type.Integer({ description: 'Events matching the filter, over all pages' }),
});

export const EventOrdersQuery = StrictObject({
  q: Type.Optional(Type.String({ maxLength: 320, description: "The start of the buyer's email (any case), or a ticket code" })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.pageSizeMax })),
});

export const EventOrdersSchema = Type.Object({
  items: Type.Array(Type.Object({
    id: Uuid,
    status: Type.Union([Type.Literal('confirmed'), Type.Literal('cancelled')]),
    total: Type.Integer(),
    currency: Type.String(),
    createdAt: TimestampOut,
    buyer: Type.Object({ email: Type.String(), name: Type.String() }),
    tickets: Type.Array(Type.Object({ code: Type.String(), status: Type.Union([Type.Literal('valid'), Type.Literal('void')]) })),
  })),
});

export const salesRoutes: FastifyPluginAsyncTypebox<{ db: Queryable; guards: Guards }> = async (app, { db, guards }) => {
  app.get('/events/:id/sales', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['events'],
      summary: 'Tickets sold per minute, for the organizer dashboard (admin)',
      description: 'Confirmed orders only (a cancelled order leaves the chart). At most the last 1,440 minutes that had sales.',
      security: BearerAuth,
      params: IdParams,
      response: { 200: SalesSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => salesOf(db, request.params.id));

  app.get('/events/:id/orders', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['events'],
      summary: "An event's orders, newest first, found by the buyer's email or a ticket code (admin)",
      security: BearerAuth,
      params: IdParams,
      querystring: EventOrdersQuery,
      response: { 200: EventOrdersSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => eventOrders(db, request.params.id, { q: request.query.q, limit: request.query.limit ?? limits.pageSizeDefault }));

  app.get('/organizer/events', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['events'],
      summary: 'Every event for the organizer: drafts, on sale, past and cancelled (admin)',
      description: '`phase` filters: `on_sale` = published and not started, `past` = published and started. Upcoming events soonest first, then past ones latest first.',
      security: BearerAuth,
      querystring: OrganizerEventsQuery,
      response: { 200: OrganizerEventListSchema, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => organizerEvents(db, { phase: request.query.phase, limit: request.query.limit ?? limits.pageSizeDefault, offset: request.query.offset ?? 0 }));
};
