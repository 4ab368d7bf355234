import type { Queryable } from '../../db/database.js';
import { notFound } from '../../errors.js';
import { findEvent } from '../events/events.js';

/** The most minutes a sales chart shows (one day). */
export const salesMinutesMax = 1440;

export interface Sales {
  buckets: { minute: Date; tickets: number; revenue: number }[];
  ticketsLastFiveMinutes: number;
  totals: SalesTotals;
}

/** Money in minor units: gross = every order taken, refunded = given back on cancellation, net = kept. */
export interface SalesTotals {
  confirmedOrders: number;
  cancelledOrders: number;
  gross: number;
  refunded: number;
  net: number;
}

/** Tickets and revenue per minute of confirmed orders (a cancelled order leaves the chart), oldest first. */
export async function salesOf(db: Queryable, eventId: string): Promise<Sales> {
  if (!(await findEvent(db, eventId))) throw notFound('event');
  const { rows } = await db.query<Sales['buckets'][number]>(
    `select date_trunc('minute', o.created_at) as minute,
            sum((select count(*) from tickets t where t.order_id = o.id))::int as tickets,
            sum(o.total)::int as revenue
       from orders o
      where o.event_id = $1 and o.status in ('confirmed', 'partially_cancelled')
      group by 1 order by 1 desc limit $2`,
    [eventId, salesMinutesMax],
  );
  const recent = await db.query<{ tickets: number }>(
    `select count(*)::int as tickets from tickets t join orders o on o.id = t.order_id
      where o.event_id = $1 and o.status in ('confirmed', 'partially_cancelled') and o.created_at > now() - interval '5 minutes'`,
    [eventId],
  );
  return { buckets: rows.reverse(), ticketsLastFiveMinutes: recent.rows[0]?.tickets ?? 0, totals: await salesTotals(db, eventId) };
}

async function salesTotals(db: Queryable, eventId: string): Promise<SalesTotals> {
  const { rows } = await db.query<Omit<SalesTotals, 'net'>>(
    `select count(*) filter (where status = 'confirmed')::int as "confirmedOrders",
            count(*) filter (where status = 'cancelled')::int as "cancelledOrders",
            coalesce(sum(total), 0)::float8 as gross,
            coalesce(sum(coalesce(refund_amount, total)) filter (where status = 'cancelled'), 0)::float8 as refunded
       from orders where event_id = $1`,
    [eventId],
  );
  const totals = rows[0]!;
  return { ...totals, net: totals.gross - totals.refunded };
}
