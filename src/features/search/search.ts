import type { Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { limits } from '../../limits.js';
import { eventHasStockNow } from '../inventory/availability.js';
import { rankWeights } from './documents.js';
import { cleanSearchText, decodeCursor, encodeCursor, parsePoint, type Cursor, type MatchMode, type Point } from './query.js';
import type { Facets, SearchSort, Suggestion } from './schemas.js';

export interface SearchInput {
  q?: string | undefined;
  city?: string | undefined;
  category?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  near?: string | undefined;
  radiusKm?: number | undefined;
  priceMax?: number | undefined;
  available?: boolean | undefined;
  sort?: SearchSort | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

/** One event found: its id, and its score (with `q`) and distance (with `near`). */
export interface SearchHit {
  id: string;
  score?: number;
  distanceKm?: number;
}

export interface SearchPage {
  hits: SearchHit[];
  facets: Facets;
  nextCursor: string | null;
}

/** Price bands of the facet, in minor units: [0, 2500), [2500, 5000), …, [20000, ∞). */
const priceBandBounds = [2_500, 5_000, 10_000, 20_000];
const facetValuesMax = 50;

/** The user's words as the database reads them: the full-text query (last word a prefix) and the lower-case unaccented text. */
interface TextQuery {
  /** null when the words hold no lexeme (only punctuation): nothing matches. */
  tsquery: string | null;
  normalized: string;
  /** The query's lexemes in order (the last is the prefix). */
  lexemes: string[];
}

/** A lexeme as tsquery input: quoted, with quotes and backslashes escaped as tsquery's own output does. */
const quoteLexeme = (lexeme: string) => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
/** The lexemes of tsquery output text (`'a' & 'b':*`), in order. */
const lexemesOf = (tsquery: string) => [...tsquery.matchAll(/'((?:[^'\\]|''|\\.)*)'/g)].map((m) => m[1]!.replace(/''/g, "'").replace(/\\(.)/g, '$1'));

/**
 * plainto_tsquery parses any text (it has no operators), and its output quotes every lexeme, so
 * appending `:*` to it makes its last word a prefix and still parses.
 */
async function parseText(db: Queryable, text: string): Promise<TextQuery> {
  const { rows } = await db.query<Omit<TextQuery, 'lexemes'>>(
    `select case when numnode(words) = 0 then null else words::text || ':*' end as tsquery, lower(unaccent($1)) as normalized
       from plainto_tsquery('simple', unaccent($1)) as words`,
    [text],
  );
  const parsed = rows[0]!;
  return { ...parsed, lexemes: parsed.tsquery ? lexemesOf(parsed.tsquery) : [] };
}

/** Words of the catalogue this alike (trigram similarity, pg_trgm's `%` threshold 0.3) stand in for a typed word, at most this many. */
const alikeWordsMax = 10;

/**
 * For each word typed, the words of the catalogue (search_words) alike to it, most alike first. The
 * catalogue's words only grow, and an event's words are there from its first commit, so a word added
 * later matches only events added later: the score of an event already listed does not change
 * between pages.
 */
async function alikeWords(db: Queryable, lexemes: string[]): Promise<string[][]> {
  const { rows } = await db.query<{ position: string; word: string }>(
    `select t.position, w.word
       from unnest($1::text[]) with ordinality as t(word, position)
       cross join lateral (
         select s.word from search_words s
          where s.word % t.word and s.word <> t.word
          order by similarity(s.word, t.word) desc, s.word
          limit $2) w`,
    [lexemes, alikeWordsMax],
  );
  return lexemes.map((_, i) => rows.filter((row) => Number(row.position) === i + 1).map((row) => row.word));
}

/** A word as the query matches it: a lexeme, whole or as a prefix. */
interface Operand {
  lexeme: string;
  prefix: boolean;
}

/** Per word typed, what may match it: the word itself (the last one a prefix), then the alike words. */
const alternativesOf = (lexemes: string[], alike: string[][] = []): Operand[][] =>
  lexemes.map((lexeme, i) => [{ lexeme, prefix: i === lexemes.length - 1 }, ...(alike[i] ?? []).map((word) => ({ lexeme: word, prefix: false }))]);

/** The typo-tolerant query: each word typed or any word alike to it, `('metalica':* | 'metallica')`. */
const tsqueryOf = (words: Operand[][]) =>
  words.map((alternatives) => `(${alternatives.map((o) => quoteLexeme(o.lexeme) + (o.prefix ? ':*' : '')).join(' | ')})`).join(' & ');

/** Builds one statement's parameter list: `param(value)` returns its placeholder. */
function parameters() {
  const values: unknown[] = [];
  return { values, param: (value: unknown) => `$${values.push(value)}` };
}
type Param = ReturnType<typeof parameters>['param'];

interface Plan {
  text: TextQuery | undefined;
  mode: MatchMode;
  near: Point | undefined;
  sort: SearchSort;
  /**
   * A query of one word: its alternatives, read from search_postings (migration 019) instead of the
   * events. Which statement answers is a function of the words and the mode alone, so every page of
   * a cursor is ranked alike.
   */
  oneWord: Operand[] | undefined;
}

const venuePoint = 'll_to_earth(v.latitude, v.longitude)';

/**
 * The venues a search may find, as `v`. With `near`: those with coordinates in the radius (the box by
 * the venues' GiST index, venues_earth; the distance decides), each with its distance computed once
 * (`offset 0` keeps the planner from moving it into the join, where it ran once per event).
 */
function venues(near: Point | undefined, input: SearchInput, param: Param): string {
  if (!near) return 'venues v';
  const origin = `ll_to_earth(${param(near.lat)}::float8, ${param(near.lng)}::float8)`;
  const conditions = ['v.latitude is not null and v.longitude is not null'];
  if (input.radiusKm !== undefined) {
    const metres = `${param(input.radiusKm * 1000)}::float8`;
    conditions.push(`earth_box(${origin}, ${metres}) @> ${venuePoint} and earth_distance(${origin}, ${venuePoint}) <= ${metres}`);
  }
  return `(select v.*, earth_distance(${origin}, ${venuePoint}) / 1000 as distance_km from venues v where ${conditions.join(' and ')} offset 0) v`;
}

/** A placeholder bound on first use: a statement must reference every parameter it sends. */
const lazy = (bind: () => string) => {
  let placeholder: string | undefined;
  return () => (placeholder ??= bind());
};

/** `from` defaults to now (past events are never found); with `available`, never before now. */
function dateConditions(input: SearchInput, param: Param, column: string): string[] {
  const from = input.from ? `${param(input.from)}::timestamptz` : undefined;
  const conditions = [`${column} >= ${!from ? 'now()' : input.available ? `greatest(${from}, now())` : from}`];
  if (input.to) conditions.push(`${column} <= ${param(input.to)}::timestamptz`);
  return conditions;
}

/**
 * The postings of a one-word query: per alternative, its rows in the dates in index order (a prefix
 * is the range from the word to the word followed by U+10FFFF, the last code point, in bytewise
 * order; a word is its own range), the best ranked first, at most its share of searchMatchesMax.
 */
function postings(operands: Operand[], input: SearchInput, param: Param): string {
  return `postings as (
    select o.n, p.event_id, p.event_id as id, p.lexeme, p.rank, p.whole_title, p.starts_at, p.category, p.venue_id, p.min_price
      from unnest(${param(operands.map((o) => o.lexeme))}::text[], ${param(operands.map((o) => o.prefix))}::boolean[]) with ordinality as o(lexeme, prefix, n)
     cross join lateral (
       select * from search_postings p
        where p.lexeme >= o.lexeme collate "C"
          and p.lexeme <= (case when o.prefix then o.lexeme || chr(1114111) else o.lexeme end) collate "C"
          and ${dateConditions(input, param, 'p.starts_at').join(' and ')}
        order by p.lexeme, p.rank desc, p.event_id
        limit ${param(postingsPerOperand(operands))}) p)`;
}

const postingsPerOperand = (operands: Operand[]) => Math.max(1, Math.floor(limits.searchMatchesMax / operands.length));

/** The SQL of one search, over `e` (an event: id, starts_at, category, venue_id, min_price) joined to its venue `v`; each binds its parameters when used. */
function expressions(plan: Plan, input: SearchInput, param: Param) {
  const { text, near, oneWord } = plan;
  const tsquery = lazy(() => `${param(text?.tsquery ?? null)}::tsquery`);
  const normalized = lazy(() => `${param(text?.normalized ?? '')}::text`);
  const nearVenues = lazy(() => venues(near, input, param));
  return {
    /** The start of a statement's `with`: the postings for one word, then the statement's own expressions. */
    with: () => (oneWord ? `with ${postings(oneWord, input, param)}, ` : 'with '),
    /**
     * One word: the events of its postings, scored as ts_rank would score the document (the sum of
     * the ranks of the words matched over the number of alternatives) plus the title bonus.
     */
    from: () => oneWord
      ? `(select p.event_id as id, p.starts_at, p.category, p.venue_id, p.min_price,
                 sum(p.rank::float8) / ${oneWord.length} + bool_or(p.whole_title and p.lexeme = ${normalized()} collate "C")::int as score
            from postings p
           group by p.event_id, p.starts_at, p.category, p.venue_id, p.min_price) e
         join ${nearVenues()} on v.id = e.venue_id`
      : `events e join ${nearVenues()} on v.id = e.venue_id`,
    // Weighted full-text rank (title and performers A, venue and city B, the rest C); a title
    // that is exactly the words typed scores 1 more.
    score: () => oneWord ? 'e.score' : text
      ? `(coalesce(ts_rank(${rankWeights}, e.search_document, ${tsquery()}), 0)::float8 + (e.search_title = ${normalized()})::int)`
      : 'null::float8',
    /** Published events in the dates with the words (the postings hold nothing else). */
    found: () => oneWord ? [] : [`e.status = 'published'`, ...(text ? [`e.search_document @@ ${tsquery()}`] : []), ...dateConditions(input, param, 'e.starts_at')],
    /** Whether the facets were counted over fewer than every match (`found` is the facets' CTE). */
    capped: () => oneWord
      ? `(select coalesce(max(c), 0) >= ${param(postingsPerOperand(oneWord))} from (select count(*) as c from postings group by n) per_operand)`
      : `(select count(*) >= ${param(limits.searchMatchesMax)} from found)`,
    distanceKm: () => (near ? 'v.distance_km' : 'null::float8'),
  };
}
type Expressions = ReturnType<typeof expressions>;

/** What every search filters by besides its facets and the venues': published, the dates, the text and, with `available`, stock on sale now. */
function baseConditions(input: SearchInput, sql: Expressions): string[] {
  const conditions = sql.found();
  if (input.available) conditions.push(eventHasStockNow('e'));
  return conditions.length ? conditions : ['true'];
}

/** The faceted filters, each apart so that a facet can be counted without its own. */
function facetConditions(input: SearchInput, param: Param) {
  return {
    category: input.category ? `lower(e.category) = lower(${param(input.category)})` : 'true',
    city: input.city ? `lower(unaccent(v.city)) = lower(unaccent(${param(input.city)}))` : 'true',
    price: input.priceMax !== undefined ? `e.min_price <= ${param(input.priceMax)}` : 'true',
  };
}

const sortKeys: Record<SearchSort, { key: string; descending: boolean; cast: string }> = {
  relevance: { key: 'score', descending: true, cast: 'float8' },
  date: { key: 'starts_at', descending: false, cast: 'timestamptz' },
  distance: { key: 'distance_km', descending: false, cast: 'float8' },
  price: { key: 'min_price', descending: false, cast: 'integer' },
};

/** After the cursor's item in the page order (key, then id ascending to break ties). */
function afterCursor(cursor: Cursor | undefined, param: Param): string {
  if (!cursor) return 'true';
  const { key, descending, cast } = sortKeys[cursor.sort];
  const value = `${param(cursor.key)}::${cast}`;
  const id = `${param(cursor.id)}::uuid`;
  return `(${key} ${descending ? '<' : '>'} ${value} or (${key} = ${value} and id > ${id}))`;
}

function sortOf(input: SearchInput, hasText: boolean, near: Point | undefined): SearchSort {
  const sort = input.sort ?? (hasText ? 'relevance' : 'date');
  if (sort === 'relevance' && !hasText) throw badSort('sort=relevance needs q.');
  if (sort === 'distance' && !near) throw badSort('sort=distance needs near.');
  return sort;
}

const badSort = (message: string) => new AppError('validation_failed', message, { fields: [{ in: 'querystring', field: '/sort', message }] });

/** One page of published events for the filters, in the sort's order, with the facets. */
export async function searchEvents(db: Queryable, input: SearchInput): Promise<SearchPage> {
  const q = cleanSearchText(input.q);
  const near = input.near ? parsePoint(input.near) : undefined;
  const sort = sortOf(input, q !== undefined, near);
  const cursor = input.cursor ? decodeCursor(input.cursor, sort) : undefined;
  const text = q === undefined ? undefined : await parseText(db, q);
  const oneWord = text?.lexemes.length === 1 ? alternativesOf(text.lexemes)[0] : undefined;
  const plan: Plan = { text, near, sort, mode: cursor?.mode ?? 'exact', oneWord };
  const limit = input.limit ?? limits.pageSizeDefault;
  const find = () => Promise.all([findPage(db, plan, input, cursor, limit), countFacets(db, plan, input)]);
  /** Each word also matches the catalogue's words alike to it; false when none is alike, so the query is the exact one. */
  const typoTolerant = async () => {
    plan.mode = 'fuzzy';
    if (!text?.tsquery) return false;
    const alike = await alikeWords(db, text.lexemes);
    if (alike.every((words) => words.length === 0)) return false;
    const words = alternativesOf(text.lexemes, alike);
    plan.text = { ...text, tsquery: tsqueryOf(words) };
    if (oneWord) plan.oneWord = words[0];
    return true;
  };
  // A cursor keeps the mode of its first page, so pages agree while events come and go.
  if (cursor?.mode === 'fuzzy') await typoTolerant();
  let found = await find();
  // Exact full-text search, unless it finds fewer than searchExactHitsEnough events for the filters
  // that are not facets (the facets count them): then typo-tolerant, so "metalica" finds "Metallica".
  if (!cursor && text && found[1].matched < limits.searchExactHitsEnough && (await typoTolerant())) found = await find();
  const [page, { facets }] = found;
  const last = page.length > limit ? page[limit - 1] : undefined;
  return {
    hits: page.slice(0, limit).map((row) => ({
      id: row.id,
      ...(text ? { score: row.score! } : {}),
      ...(near ? { distanceKm: row.distance_km! } : {}),
    })),
    facets,
    nextCursor: last ? encodeCursor({ sort, mode: plan.mode, key: sortKeyOf(sort, last), id: last.id }) : null,
  };
}

interface PageRow {
  id: string;
  score: number | null;
  distance_km: number | null;
  starts_at: Date;
  min_price: number;
}

const sortKeyOf = (sort: SearchSort, row: PageRow): string | number =>
  sort === 'date' ? row.starts_at.toISOString() : sort === 'price' ? row.min_price : sort === 'relevance' ? row.score! : row.distance_km!;

async function findPage(db: Queryable, plan: Plan, input: SearchInput, cursor: Cursor | undefined, limit: number): Promise<PageRow[]> {
  const { values, param } = parameters();
  const sql = expressions(plan, input, param);
  const facets = facetConditions(input, param);
  const { key, descending } = sortKeys[plan.sort];
  const { rows } = await db.query<PageRow>(
    `${sql.with()}found as (
       select e.id, e.starts_at, coalesce(e.min_price, 0) as min_price, ${sql.score()} as score, ${sql.distanceKm()} as distance_km
         from ${sql.from()}
        where ${[...baseConditions(input, sql), facets.category, facets.city, facets.price].join(' and ')})
     select * from found
      where ${afterCursor(cursor, param)}
      order by ${key} ${descending ? 'desc' : 'asc'}, id
      limit ${param(limit + 1)}`,
    values,
  );
  return rows;
}

interface FacetRow {
  facet: 'category' | 'city' | 'price' | 'capped' | 'matched';
  value: string | null;
  band: number | null;
  count: number;
}

/**
 * Counts per category, city and price band; each facet without its own filter, as shops count them.
 * Over at most searchMatchesMax matches (a one-word query's postings are bounded already): past it,
 * the counts are of the first ones read and `capped` says so.
 */
async function countFacets(db: Queryable, plan: Plan, input: SearchInput): Promise<{ facets: Facets; matched: number }> {
  const { values, param } = parameters();
  const sql = expressions(plan, input, param);
  const f = facetConditions(input, param);
  const bounds = param(priceBandBounds);
  const top = param(facetValuesMax);
  const { rows } = await db.query<FacetRow>(
    `${sql.with()}found as materialized (
       select e.category, v.city, coalesce(e.min_price, 0) as min_price,
              ${f.category} as in_category, ${f.city} as in_city, ${f.price} as in_price
         from ${sql.from()}
        where ${baseConditions(input, sql).join(' and ')}
        ${plan.oneWord ? '' : `limit ${param(limits.searchMatchesMax)}`})
     (select 'category' as facet, category as value, null::int as band, count(*)::int as count from found
       where in_city and in_price and category is not null group by category order by count desc, value limit ${top})
     union all
     (select 'city', city, null, count(*)::int from found where in_category and in_price group by city order by 4 desc, 2 limit ${top})
     union all
     (select 'price', null, width_bucket(min_price, ${bounds}::int[]), count(*)::int from found
       where in_category and in_city group by 3 order by 3)
     union all
     select 'capped', null, null, ${sql.capped()}::int
     union all
     select 'matched', null, null, (select count(*)::int from found)`,
    values,
  );
  const valuesOf = (facet: FacetRow['facet']) => rows.filter((r) => r.facet === facet).map((r) => ({ value: r.value!, count: r.count }));
  const facets = {
    categories: valuesOf('category'),
    cities: valuesOf('city'),
    prices: rows.filter((r) => r.facet === 'price').map((r) => ({
      min: r.band === 0 ? 0 : priceBandBounds[r.band! - 1]!,
      max: priceBandBounds[r.band!] ?? null,
      count: r.count,
    })),
    capped: rows.some((r) => r.facet === 'capped' && r.count === 1),
  };
  return { facets, matched: rows.find((r) => r.facet === 'matched')!.count };
}

/** How alike a suggestion must be to the words typed (trigram word similarity, 0 to 1). */
const suggestionSimilarityMin = 0.3;
/** Names read by trigram distance to draw the suggestions from. */
const suggestionCandidatesMax = 40;

/**
 * Up to `suggestionsMax` events, performers, venues and cities like the words typed so far, most
 * alike first. Candidates are the distinct names nearest the words (GiST KNN on search_names, a few
 * thousand rows where events are 100,000, so the cost stays flat as the catalogue grows); each is
 * kept only when a published, upcoming event carries it, and an event name opens the soonest such event.
 */
export async function suggest(db: Queryable, input: string): Promise<Suggestion[]> {
  const q = cleanSearchText(input);
  if (!q) return [];
  const { rows } = await db.query<Suggestion & { eventId: string | null }>(
    `with typed as (select lower(unaccent($1)) as words),
     candidates as (
       -- The words as an expression, not a join with typed: the index orders by a value known at the start.
       select n.kind, n.normalized, n.text, word_similarity(typed.words, n.normalized) as similarity
         from search_names n, typed
        order by n.normalized <->> lower(unaccent($1))
        limit $2),
     found as materialized (
       -- The soonest published, upcoming event carrying the name (one probe of search_event_names_live); none: a stale name.
       select n.kind, n.text, n.similarity,
              (select l.event_id from search_event_names l
                where l.kind = n.kind and l.normalized = n.normalized and l.published and l.starts_at >= now()
                order by l.starts_at limit 1) as next_event
         from candidates n
        where n.similarity >= $3)
     select kind, text, case when kind = 'event' then next_event end as "eventId" from found
      where next_event is not null
      order by similarity desc, array_position(array['performer', 'event', 'venue', 'city'], kind), text
      limit $4`,
    [q, suggestionCandidatesMax, suggestionSimilarityMin, limits.suggestionsMax],
  );
  return rows.map(({ eventId, ...suggestion }) => (eventId ? { ...suggestion, eventId } : suggestion));
}
