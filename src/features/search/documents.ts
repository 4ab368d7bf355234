import type { Tx } from '../../db/database.js';

/**
 * Writes the search columns of the given events (migration 010): the weighted document (title and
 * performers A, venue and city B, description, category and tags C), the lower-case unaccented text
 * trigram similarity reads, and the lowest section price; and adds the document's words to the
 * catalogue's (search_words, for typo tolerance). Called in the transaction that creates or
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
            min_price = (select min(s.price) from sections s where s.event_id = e.id)
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
}
