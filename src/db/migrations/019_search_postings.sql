-- A narrow inverted list for searches of one word (src/features/search): one row per word of each
-- published event's document, with what ranking, the filters and the facets read, so a word found in
-- a twentieth of 100,000 events reads its 5,000 rows side by side in one index instead of every
-- event (the GIN index's matches are spread over the whole events table, so the planner scanned it
-- and ranked every match; docs/benchmarks.md).
--   * `rank` is ts_rank of the event's document for the word alone. ts_rank of a query of one word,
--     or of alternatives (`'w':* | 'x'`), is the sum of these over the words matched divided by the
--     number of alternatives (tsrank.c, calc_rank_or), so search.ts ranks a one-word query from
--     these rows exactly as ts_rank would, without reading the documents.
--   * `whole_title`: the event's title is this word (the exact-title bonus).
--   * `starts_at`, `category`, `venue_id`, `min_price` are the event's, for the dates, the facets and
--     their filters; search/documents.ts rewrites an event's rows in the transaction that writes its
--     document, and writes none for an event that is not published (buyers find nothing else).
--   * `lexeme` sorts bytewise (collation "C") so a prefix is one range of the index; the index
--     carries every column read, so a search is an index-only scan where the table is vacuumed.
create table search_postings (
  lexeme      text collate "C" not null,
  event_id    uuid not null references events (id) on delete cascade,
  rank        real not null,
  whole_title boolean not null,
  starts_at   timestamptz not null,
  category    text,
  venue_id    uuid not null,
  min_price   integer
);
create index search_postings_lexeme on search_postings (lexeme, rank desc, event_id)
  include (starts_at, whole_title, category, venue_id, min_price);
-- For rewriting and deleting an event's rows; not unique (documents.ts writes each word once), so
-- the index deduplicates its ~20 entries per event into one.
create index search_postings_event on search_postings (event_id);

-- The published events that exist now (a snapshot of documents.ts's SQL).
insert into search_postings (lexeme, event_id, rank, whole_title, starts_at, category, venue_id, min_price)
select w.lexeme, e.id,
       ts_rank('{0.1, 0.2, 0.4, 1.0}', e.search_document, format('''%s''', replace(replace(w.lexeme, '\', '\\'), '''', ''''''))::tsquery),
       e.search_title = w.lexeme, e.starts_at, e.category, e.venue_id, e.min_price
  from events e
 cross join unnest(tsvector_to_array(e.search_document)) as w(lexeme)
 where e.status = 'published';

-- "near" without words: the events of the venues in the box, read from this index alone (id, start,
-- category and cheapest price are what the page and the facets read), not from events' pages, over
-- which a venue's events are spread one a page.
create index events_published_venue on events (venue_id, starts_at) include (id, category, min_price) where status = 'published';
