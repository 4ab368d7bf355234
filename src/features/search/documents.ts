import type { Tx } from '../../db/database.js';

/**
 * Writes the search columns of the given events (migration 010): the weighted document (title and
 * performers A, venue and city B, description, category and tags C), the lower-case unaccented text
 * trigram similarity reads, and the lowest price (of public ticket types, or of sections without types); adds the document's words to the
 * catalogue's (search_words, for typo tolerance); and writes the event's names for suggestions
 * (migration 015). Called in the transaction that creates or
 * edits an event, so search never sees an event without its document.
 */
export async function refreshSearchDocuments(tx: Tx, eventIds: readonly string[]): Promise<void> {
  await tx.query(
    `update events e
        set search_document =
              setweight(to_tsvector('simple', unaccent(e.title || ' ' || array_to_string(e.performers, ' '))), 'A')
              || setweight(to_tsvector('simple', unaccent(v.name || ' ' || v.city)), 'B')
              || setweight(to_tsvector('simple', unaccent(concat_ws(' ', e.description, e.category, array_to_string(e.tags, ' ')))), 'C'),
            search_text = lower(unaccent(concat_ws(' ', e.title, array_to_string(e.performers, ' '), v.name, v.city))),
            search_title = lower(unaccent(e.title)),
            -- The cheapest public ticket type, or the price of a section without types.
            min_price = (select min(coalesce(t.price, s.price)) from sections s left join ticket_types t on t.section_id = s.id and t.visibility = 'public'
                          where s.event_id = e.id and (t.id is not null or not exists (select 1 from ticket_types x where x.section_id = s.id)))
       from venues v
      where v.id = e.venue_id and e.id = any($1::uuid[])`,
    [eventIds],
  );
  // In word order, so two transactions adding the same words wait for each other instead of deadlocking.
  await tx.query(
    `insert into search_words (word)
     select distinct unnest(tsvector_to_array(search_document)) from events where id = any($1::uuid[])
      order by 1
     on conflict do nothing`,
    [eventIds],
  );
  await refreshNames(tx, eventIds);
}

/**
 * The event's names (title, performers, venue, city) as suggestions read them: which events carry
 * each, with start and published-ness (search_event_names, rewritten), and each distinct name once
 * (search_names, added in key order like the words; the first spelling written is the one shown).
 */
async function refreshNames(tx: Tx, eventIds: readonly string[]): Promise<void> {
  const names = `
    select e.id as event_id, e.starts_at, e.status = 'published' as published, n.kind, n.normalized, n.text
      from events e
      join venues v on v.id = e.venue_id
      cross join lateral (
        select 'event' as kind, e.search_title as normalized, e.title as text
        union all select 'performer', lower(unaccent(p.name)), p.name from unnest(e.performers) as p(name)
        union all select 'venue', lower(unaccent(v.name)), v.name
        union all select 'city', lower(unaccent(v.city)), v.city) n
     where e.id = any($1::uuid[]) and n.normalized <> ''`;
  await tx.query('delete from search_event_names where event_id = any($1::uuid[])', [eventIds]);
  await tx.query(
    `insert into search_event_names (event_id, kind, normalized, starts_at, published)
     select distinct event_id, kind, normalized, starts_at, published from (${names}) names`,
    [eventIds],
  );
  await tx.query(
    `insert into search_names (kind, normalized, text)
     select distinct on (kind, normalized) kind, normalized, text from (${names}) names
      order by kind, normalized, text
     on conflict do nothing`,
    [eventIds],
  );
}
