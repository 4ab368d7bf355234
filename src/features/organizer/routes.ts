import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { BearerAuth, IdParams, StrictObject, TimestampOut, Uuid, errorResponses } from '../../http/schemas.js';
import type { Access, Caller } from '../auth/access.js';
import { callerOf, type Guards } from '../auth/guard.js';
import { limits } from '../../limits.js';
import { organizerEvents } from './event-list.js';
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
  organizationId: Type.Optional(Uuid),
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

export const salesRoutes: FastifyPluginAsyncTypebox<{ db: Queryable; guards: Guards; access: Access }> = async (app, { db, guards, access }) => {
  /** One organization asked for, else all of the caller's (the platform admin's: every one). */
  const listedOrganizations = async (caller: Caller, organizationId: string | undefined): Promise<string[] | null> => {
    if (organizationId !== undefined) return [await access.require(caller, 'events.view', { organization: organizationId })];
    if (caller.kind === 'user' && caller.platformAdmin) return null;
    const mine = await access.organizationsOf(caller);
    if (mine.length === 0) throw new AppError('forbidden', 'You belong to no organization.');
    return mine.map((o) => o.id);
  };

  app.get('/events/:id/sales', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('revenue.read', (request) => ({ event: (request.params as { id: string }).id })),
    schema: {
      tags: ['events'],
      summary: 'Tickets sold per minute, for the organizer dashboard (owner, manager, finance)',
      description: 'Confirmed orders only (a cancelled order leaves the chart). At most the last 1,440 minutes that had sales.',
      security: BearerAuth,
      params: IdParams,
      response: { 200: SalesSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => salesOf(db, request.params.id));

  app.get('/organizer/events', {
    onRequest: guards.authenticateCaller,
    schema: {
      tags: ['events'],
      summary: 'Every event of the caller\'s organizations: drafts, on sale, past and cancelled (any role)',
      description: '`organizationId` lists one of them only. `phase` filters: `on_sale` = published and not started, `past` = published and started. Upcoming events soonest first, then past ones latest first.',
      security: BearerAuth,
      querystring: OrganizerEventsQuery,
      response: { 200: OrganizerEventListSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => organizerEvents(db, {
    phase: request.query.phase,
    organizationIds: await listedOrganizations(callerOf(request), request.query.organizationId),
    limit: request.query.limit ?? limits.pageSizeDefault,
    offset: request.query.offset ?? 0,
  }));
};
