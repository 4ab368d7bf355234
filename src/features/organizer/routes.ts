import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Queryable } from '../../db/database.js';
import { BearerAuth, IdParams, TimestampOut, errorResponses } from '../../http/schemas.js';
import type { Guards } from '../auth/guard.js';
import { salesOf } from './sales.js';

export const SalesSchema = Type.Object({
  buckets: Type.Array(Type.Object({ minute: TimestampOut, tickets: Type.Integer(), revenue: Type.Integer() })),
  ticketsLastFiveMinutes: Type.Integer(),
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
};
