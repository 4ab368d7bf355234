import { Type, type Static } from '@sinclair/typebox';
import type { Queryable } from '../../db/database.js';
import { notFound } from '../../errors.js';
import { Uuid } from '../../http/schemas.js';

export const WaitlistSummarySchema = Type.Object({
  sections: Type.Array(Type.Object({
    sectionId: Type.Union([Uuid, Type.Null()], { description: 'null: entries that take any general-admission section of the event' }),
    waiting: Type.Integer({ description: 'Entries waiting in line' }),
    waitingTickets: Type.Integer({ description: 'Tickets the waiting entries ask for' }),
    offersOpen: Type.Integer({ description: 'Offers held for their buyer now' }),
    converted: Type.Integer({ description: 'Offers paid for' }),
    lapsed: Type.Integer({ description: 'Offers that ran out unanswered' }),
    declined: Type.Integer({ description: 'Offers passed on by their buyer (No thanks, or leaving the line)' }),
  })),
});
export type WaitlistSummary = Static<typeof WaitlistSummarySchema>;

/** The event's waitlist for its organizer, per section asked for: the line, and what became of the offers. */
export async function waitlistSummary(db: Queryable, eventId: string): Promise<WaitlistSummary> {
  if ((await db.query('select 1 from events where id = $1', [eventId])).rows.length === 0) throw notFound('event');
  const { rows } = await db.query<WaitlistSummary['sections'][number]>(
    `select w.section_id as "sectionId",
            count(*) filter (where w.status = 'waiting')::int as waiting,
            coalesce(sum(w.quantity) filter (where w.status = 'waiting'), 0)::int as "waitingTickets",
            count(*) filter (where w.status = 'offered')::int as "offersOpen",
            count(*) filter (where w.status = 'converted')::int as converted,
            count(*) filter (where w.status = 'lapsed')::int as lapsed,
            count(*) filter (where w.status = 'declined')::int as declined
       from waitlist_entries w left join sections s on s.id = w.section_id
      where w.event_id = $1
      group by w.section_id, s.name order by s.name nulls last`,
    [eventId],
  );
  return { sections: rows };
}
