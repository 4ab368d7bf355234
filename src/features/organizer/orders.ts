import type { Queryable } from '../../db/database.js';
import { notFound } from '../../errors.js';
import { findEvent } from '../events/events.js';

export interface EventOrder {
  id: string;
  status: 'confirmed' | 'cancelled';
  total: number;
  currency: string;
  createdAt: Date;
  buyer: { email: string; name: string };
  tickets: { code: string; status: 'valid' | 'void' }[];
}

/** `like` pattern characters in a search term, escaped so they match themselves. */
const escapeLike = (term: string) => term.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * An event's orders for its organizer, newest first: all, or those whose buyer's email starts with
 * `q` (any case) or that hold a ticket whose code is `q` exactly.
 */
export async function eventOrders(db: Queryable, eventId: string, { q, limit }: { q: string | undefined; limit: number }): Promise<{ items: EventOrder[] }> {
  if (!(await findEvent(db, eventId))) throw notFound('event');
  const term = q?.trim() || null;
  const { rows } = await db.query<EventOrder>(
    `select o.id, o.status, o.total, o.currency, o.created_at as "createdAt",
            json_build_object('email', u.email, 'name', u.name) as buyer,
            coalesce((select json_agg(json_build_object('code', t.code, 'status', t.status) order by t.code) from tickets t where t.order_id = o.id), '[]') as tickets
       from orders o join users u on u.id = o.user_id
      where o.event_id = $1
        and ($2::text is null
             or lower(u.email) like lower($3) || '%'
             or exists (select 1 from tickets t where t.order_id = o.id and t.code = upper($2)))
      order by o.created_at desc, o.id
      limit $4`,
    [eventId, term, term === null ? null : escapeLike(term), limit],
  );
  return { items: rows };
}
