-- Suggestions read distinct names, not events (src/features/search): every event title, performer,
-- venue name and city once per spelling that search reads alike (lower-case, unaccented), with a
-- trigram GiST index that orders them by distance to the words typed. 100,000 events carry a few
-- thousand such names, so a suggestion no longer walks the events' index (migration 010's
-- events_search_text, whose KNN took over a second at the 99th percentile).
--   * search_names only grows, like search_words: a name stays when its last event goes.
--   * search_event_names says which events carry each name, with the event's start and whether it
--     is published, so a candidate name is kept only when a published, upcoming event carries it,
--     by one index probe (the soonest such event is the one an event suggestion opens).
--   * search/documents.ts rewrites an event's rows of both in the transaction that writes its
--     document (creating or editing it, publishing and cancelling included).
create table search_names (
  kind       text not null check (kind in ('event', 'performer', 'venue', 'city')),
  normalized text not null,
  -- The spelling shown: the first one written (names differing only in case or accents are one).
  text       text not null,
  primary key (kind, normalized)
);
create index search_names_trigrams on search_names using gist (normalized gist_trgm_ops);

create table search_event_names (
  event_id   uuid not null references events (id) on delete cascade,
  kind       text not null,
  normalized text not null,
  starts_at  timestamptz not null,
  published  boolean not null,
  primary key (event_id, kind, normalized)
);
create index search_event_names_live on search_event_names (kind, normalized, starts_at) where published;

-- The names of the events that exist now (a snapshot of documents.ts's SQL).
create temporary table names_now on commit drop as
select e.id as event_id, e.starts_at, e.status = 'published' as published, n.kind, n.normalized, n.text
  from events e
  join venues v on v.id = e.venue_id
  cross join lateral (
    select 'event' as kind, e.search_title as normalized, e.title as text
    union all select 'performer', lower(unaccent(p.name)), p.name from unnest(e.performers) as p(name)
    union all select 'venue', lower(unaccent(v.name)), v.name
    union all select 'city', lower(unaccent(v.city)), v.city) n
 where n.normalized <> '';
insert into search_event_names (event_id, kind, normalized, starts_at, published)
select distinct event_id, kind, normalized, starts_at, published from names_now;
insert into search_names (kind, normalized, text)
select distinct on (kind, normalized) kind, normalized, text from names_now order by kind, normalized, text;

-- The GIN indexes of migration 010 without their pending list (fastupdate off): every insert goes
-- into the index itself, so a scan never walks a list of pending entries. On PGlite (no autovacuum,
-- so the list is only flushed by inserts) a packaged server's ranked search, right after the typo
-- lookup on search_words found no alike words it should have found, spun inside PGlite and never
-- answered (1 start in 3 on a loaded machine; a wedged one was in PostgreSQL's error path, errfinish,
-- never returning; docs/search.md). The entries already pending are moved
-- into the index now.
alter index events_search_document set (fastupdate = off);
alter index search_words_trigrams set (fastupdate = off);
select gin_clean_pending_list('events_search_document'::regclass), gin_clean_pending_list('search_words_trigrams'::regclass);
-- Suggestions read search_names now. Without this index the planner no longer walks a GiST trigram
-- index to list published events; events.search_text stays written for a release, for the nodes of
-- the previous one during a rolling deploy (their suggestions fall back to a scan).
drop index events_search_text;
