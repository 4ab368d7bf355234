import type { Queryable } from '../../db/database.js';

/** Where an event stands for its organizer: the list's filters. */
export type EventPhase = 'draft' | 'on_sale' | 'past' | 'cancelled';

export interface OrganizerEventRow {
  id: string;
  title: string;
  status: 'draft' | 'published' | 'cancelled';
  phase: EventPhase;
  startsAt: Date;
  venue: { name: string; city: string };
  capacity: number;
  sold: number;
}

/** SQL: an event's phase (a published event is past once it has started). */
const phaseOf = `case when e.status = 'published' and e.starts_at <= now() then 'past'
                      when e.status = 'published' then 'on_sale' else e.status end`;

/**
 * Every event whatever its status (drafts too, which the public catalogue never shows), optionally
 * of one phase: upcoming ones soonest first, then past ones latest first. Tickets sold are valid ones.
 */
export async function organizerEvents(db: Queryable, query: {
  phase?: EventPhase | undefined;
  /** The organizations whose events are listed; null: every one (the platform admin's view). */
  organizationIds: readonly string[] | null;
  limit: number;
  offset: number;
}): Promise<{ items: OrganizerEventRow[]; total: number }> {
  const { rows } = await db.query<OrganizerEventRow & { total: number }>(
    `select e.id, e.title, e.status, ${phaseOf} as phase, e.starts_at as "startsAt",
            json_build_object('name', v.name, 'city', v.city) as venue,
            (select coalesce(sum(s.capacity), 0) from sections s where s.event_id = e.id)::int as capacity,
            (select count(*) from tickets t where t.event_id = e.id and t.status = 'valid')::int as sold,
            count(*) over ()::int as total
       from events e join venues v on v.id = e.venue_id
      where ($1::text is null or ${phaseOf} = $1) and ($4::uuid[] is null or e.organization_id = any($4::uuid[]))
      order by (e.starts_at <= now()), case when e.starts_at > now() then e.starts_at end, e.starts_at desc, e.id
      limit $2 offset $3`,
    [query.phase ?? null, query.limit, query.offset, query.organizationIds],
  );
  return { items: rows.map(({ total: _, ...row }) => row), total: rows[0]?.total ?? 0 };
}
