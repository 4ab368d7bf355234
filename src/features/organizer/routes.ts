import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../context.js';
import type { Api } from '../../http/api.js';
import { BearerAuth, IdParams, TimestampOut, errorResponses } from '../../http/schemas.js';
import { notFound } from '../../errors.js';
import { findEvent } from '../events/events.js';

/** The most minutes a sales chart shows (one day). */
const salesMinutesMax = 1440;

export const SalesSchema = Type.Object({
  buckets: Type.Array(Type.Object({ minute: TimestampOut, tickets: Type.Integer(), revenue: Type.Integer() })),
  ticketsLastFiveMinutes: Type.Integer(),
});

export async function salesRoutes(app: Api, { db, guards }: AppContext): Promise<void> {
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
  }, async (request) => {
    if (!(await findEvent(db, request.params.id))) throw notFound('event');
    const { rows } = await db.query<{ minute: Date; tickets: number; revenue: number }>(
      `select date_trunc('minute', o.created_at) as minute,
              sum((select count(*) from tickets t where t.order_id = o.id))::int as tickets,
              sum(o.total)::int as revenue
         from orders o
        where o.event_id = $1 and o.status = 'confirmed'
        group by 1 order by 1 desc limit $2`,
      [request.params.id, salesMinutesMax],
    );
    const recent = await db.query<{ tickets: number }>(
      `select count(*)::int as tickets from tickets t join orders o on o.id = t.order_id
        where o.event_id = $1 and o.status = 'confirmed' and o.created_at > now() - interval '5 minutes'`,
      [request.params.id],
    );
    return { buckets: rows.reverse(), ticketsLastFiveMinutes: recent.rows[0]?.tickets ?? 0 };
  });
}
