-- Search and discovery (src/features/search): ranked full-text search, typo tolerance, suggestions,
-- facets and distance, on PostgreSQL's own contrib extensions (PGlite loads the same ones, see
-- db/database.ts), so both backends answer alike.
--   * `search_document` (weighted tsvector), `search_text` and `search_title` (lower-case, unaccented,
--     for trigram similarity) and `min_price` are written by search/documents.ts in the transaction
--     that changes the event; unaccent() is not immutable, so they are stored rather than indexed
--     expressions, and they carry the venue's name and city, which an expression index could not.
--   * the indexes on events are partial on published events: buyers find nothing else.
create extension if not exists pg_trgm;
create extension if not exists unaccent;
create extension if not exists cube;
create extension if not exists earthdistance;

alter table events
  add column performers      text[] not null default '{}' check (cardinality(performers) <= 50),
  add column tags            text[] not null default '{}' check (cardinality(tags) <= 20),
  add column search_document tsvector not null default ''::tsvector,
  add column search_text     text not null default '',
  add column search_title    text not null default '',
  add column min_price       integer;

-- The events that exist now get the document search/documents.ts writes (a snapshot of its SQL:
-- migrations are frozen, the module is the definition from here on).
update events e
   set search_document =
         setweight(to_tsvector('simple', unaccent(e.title || ' ' || array_to_string(e.performers, ' '))), 'A')
         || setweight(to_tsvector('simple', unaccent(v.name || ' ' || v.city)), 'B')
         || setweight(to_tsvector('simple', unaccent(concat_ws(' ', e.description, e.category, array_to_string(e.tags, ' ')))), 'C'),
       search_text = lower(unaccent(concat_ws(' ', e.title, array_to_string(e.performers, ' '), v.name, v.city))),
       search_title = lower(unaccent(e.title)),
       min_price = (select min(s.price) from sections s where s.event_id = e.id)
  from venues v
 where v.id = e.venue_id;

create index events_search_document on events using gin (search_document) where status = 'published';
-- GiST: it orders by trigram distance (`<->>`, suggestions), which GIN cannot.
create index events_search_text on events using gist (search_text gist_trgm_ops) where status = 'published';

-- Every word of every event's document, for typo tolerance: a misspelled word is looked up here by
-- trigram similarity (a small table, GIN), and the words found join the full-text query. Words are
-- added with their event's document and never removed (a stale word only widens a query whose
-- events are filtered anyway).
create table search_words (word text primary key);
create index search_words_trigrams on search_words using gin (word gin_trgm_ops);
insert into search_words (word)
select distinct unnest(tsvector_to_array(search_document)) from events order by 1 on conflict do nothing;
create index events_venue on events (venue_id);
create index venues_earth on venues using gist (ll_to_earth(latitude, longitude)) where latitude is not null and longitude is not null;
