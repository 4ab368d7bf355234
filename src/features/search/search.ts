import type { Database, Queryable } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { limits } from '../../limits.js';
import { eventHasStockNow } from '../inventory/availability.js';
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

/** Search reads which backend it runs on: the typo lookup differs (alikeCondition). */
export type SearchDatabase = Queryable & Pick<Database, 'kind'>;

/**
 * Which catalogue words are alike to a typed one, the same words on both backends (`%` is
 * `similarity() >= 0.3` at pg_trgm's default threshold). PostgreSQL finds them through the GIN
 * trigram index. PGlite compares every word instead: its GIN trigram scans sometimes stopped
 * half-way under load and left PGlite spinning on the next statement, the event loop blocked
 * (docs/search.md, "On PGlite"); with the scan, none did. An embedded catalogue is small.
 */
const alikeCondition: Record<Database['kind'], string> = {
  postgres: 's.word % t.word',
  pglite: `similarity(s.word, t.word) >= 0.3`,
};

/**
 * The typo-tolerant query: each word typed, or any word of the catalogue (search_words) alike to
 * it, the last typed word still a prefix. The catalogue's words only grow, and an event's words are
 * there from its first commit, so a word added later matches only events added later: the score of
 * an event already listed does not change between pages.
 */
async function typoTolerantQuery(db: SearchDatabase, lexemes: string[]): Promise<string> {
  const { rows } = await db.query<{ position: string; word: string }>(
    `select t.position, w.word
       from unnest($1::text[]) with ordinality as t(word, position)
       cross join lateral (
         select s.word from search_words s
          where ${alikeCondition[db.kind]} and s.word <> t.word
          order by similarity(s.word, t.word) desc, s.word
          limit $2) w`,
    [lexemes, alikeWordsMax],
  );
  return lexemes.map((lexeme, i) => {
    const alike = rows.filter((row) => Number(row.position) === i + 1).map((row) => quoteLexeme(row.word));
    return `(${[quoteLexeme(lexeme) + (i === lexemes.length - 1 ? ':*' : ''), ...alike].join(' | ')})`;
  }).join(' & ');
}

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
}

const venuePoint = 'll_to_earth(v.latitude, v.longitude)';

/** A placeholder bound on first use: a statement must reference every parameter it sends. */
const lazy = (bind: () => string) => {
  let placeholder: string | undefined;
  return () => (placeholder ??= bind());
};

/** The SQL expressions of one search, over `events e join venues v`; each binds its parameters when used. */
function expressions(plan: Plan, param: Param) {
  const { text, near } = plan;
  const tsquery = lazy(() => `${param(text?.tsquery ?? null)}::tsquery`);
  const normalized = lazy(() => `${param(text?.normalized ?? '')}::text`);
  const origin = lazy(() => `ll_to_earth(${param(near?.lat)}::float8, ${param(near?.lng)}::float8)`);
  return {
    // Weighted full-text rank (title and performers A, venue and city B, the rest C); a title
    // that is exactly the words typed scores 1 more.
    score: () => text
      ? `(coalesce(ts_rank('{0.1, 0.2, 0.4, 1.0}', e.search_document, ${tsquery()}), 0)::float8 + (e.search_title = ${normalized()})::int)`
      : 'null::float8',
    textMatches: () => (text ? `e.search_document @@ ${tsquery()}` : 'true'),
    distanceKm: () => near ? `(earth_distance(${origin()}, ${venuePoint}) / 1000)` : 'null::float8',
    origin,
  };
}

/**
 * What every search filters by besides its facets: published, not past (`from` defaults to now),
 * the text, dates, distance and, with `available`, stock on sale now.
 */
function baseConditions(plan: Plan, input: SearchInput, param: Param, sql: ReturnType<typeof expressions>): string[] {
  const conditions = [`e.status = 'published'`, sql.textMatches()];
  const from = input.from ? `${param(input.from)}::timestamptz` : undefined;
  conditions.push(`e.starts_at >= ${!from ? 'now()' : input.available ? `greatest(${from}, now())` : from}`);
  if (input.to) conditions.push(`e.starts_at <= ${param(input.to)}::timestamptz`);
  if (plan.near) {
    conditions.push('v.latitude is not null and v.longitude is not null');
    if (input.radiusKm !== undefined) {
      const metres = `${param(input.radiusKm * 1000)}::float8`;
      // The box finds candidates by the venues' index; the distance decides.
      conditions.push(`earth_box(${sql.origin()}, ${metres}) @> ${venuePoint} and earth_distance(${sql.origin()}, ${venuePoint}) <= ${metres}`);
    }
  }
  if (input.available) conditions.push(eventHasStockNow('e'));
  return conditions;
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

/**
 * Exact full-text search, unless it finds fewer than `searchExactHitsEnough` events for the filters
 * that are not facets: then each word also matches the catalogue's words alike to it, so "metalica"
 * finds "Metallica".
 */
async function chooseMode(db: Queryable, plan: Plan, input: SearchInput): Promise<MatchMode> {
  if (!plan.text) return 'exact';
  const { values, param } = parameters();
  const sql = expressions(plan, param);
  const { rows } = await db.query<{ hits: number }>(
    `select count(*)::int as hits from (
       select 1 from events e join venues v on v.id = e.venue_id
        where ${baseConditions(plan, input, param, sql).join(' and ')}
        limit ${param(limits.searchExactHitsEnough)}) found`,
    values,
  );
  return rows[0]!.hits < limits.searchExactHitsEnough ? 'fuzzy' : 'exact';
}

/** One page of published events for the filters, in the sort's order, with the facets. */
export async function searchEvents(db: SearchDatabase, input: SearchInput): Promise<SearchPage> {
  const q = cleanSearchText(input.q);
  const near = input.near ? parsePoint(input.near) : undefined;
  const sort = sortOf(input, q !== undefined, near);
  const cursor = input.cursor ? decodeCursor(input.cursor, sort) : undefined;
  const text = q === undefined ? undefined : await parseText(db, q);
  const plan: Plan = { text, near, sort, mode: 'exact' };
  // A cursor keeps the mode of its first page, so pages agree while events come and go.
  plan.mode = cursor?.mode ?? (await chooseMode(db, plan, input));
  if (plan.mode === 'fuzzy' && text?.tsquery) plan.text = { ...text, tsquery: await typoTolerantQuery(db, text.lexemes) };
  const limit = input.limit ?? limits.pageSizeDefault;
  const [page, facets] = await Promise.all([findPage(db, plan, input, cursor, limit), countFacets(db, plan, input)]);
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
  const sql = expressions(plan, param);
  const facets = facetConditions(input, param);
  const { key, descending } = sortKeys[plan.sort];
  const { rows } = await db.query<PageRow>(
    `select * from (
       select e.id, e.starts_at, coalesce(e.min_price, 0) as min_price, ${sql.score()} as score, ${sql.distanceKm()} as distance_km
         from events e join venues v on v.id = e.venue_id
        where ${[...baseConditions(plan, input, param, sql), facets.category, facets.city, facets.price].join(' and ')}) found
      where ${afterCursor(cursor, param)}
      order by ${key} ${descending ? 'desc' : 'asc'}, id
      limit ${param(limit + 1)}`,
    values,
  );
  return rows;
}

interface FacetRow {
  facet: 'category' | 'city' | 'price';
  value: string | null;
  band: number | null;
  count: number;
}

/** Counts per category, city and price band; each facet without its own filter, as shops count them. */
async function countFacets(db: Queryable, plan: Plan, input: SearchInput): Promise<Facets> {
  const { values, param } = parameters();
  const sql = expressions(plan, param);
  const f = facetConditions(input, param);
  const bounds = param(priceBandBounds);
  const top = param(facetValuesMax);
  const { rows } = await db.query<FacetRow>(
    `with found as materialized (
       select e.category, v.city, coalesce(e.min_price, 0) as min_price,
              ${f.category} as in_category, ${f.city} as in_city, ${f.price} as in_price
         from events e join venues v on v.id = e.venue_id
        where ${baseConditions(plan, input, param, sql).join(' and ')})
     (select 'category' as facet, category as value, null::int as band, count(*)::int as count from found
       where in_city and in_price and category is not null group by category order by count desc, value limit ${top})
     union all
     (select 'city', city, null, count(*)::int from found where in_category and in_price group by city order by 4 desc, 2 limit ${top})
     union all
     (select 'price', null, width_bucket(min_price, ${bounds}::int[]), count(*)::int from found
       where in_category and in_city group by 3 order by 3)`,
    values,
  );
  const valuesOf = (facet: FacetRow['facet']) => rows.filter((r) => r.facet === facet).map((r) => ({ value: r.value!, count: r.count }));
  return {
    categories: valuesOf('category'),
    cities: valuesOf('city'),
    prices: rows.filter((r) => r.facet === 'price').map((r) => ({
      min: r.band === 0 ? 0 : priceBandBounds[r.band! - 1]!,
      max: priceBandBounds[r.band!] ?? null,
      count: r.count,
    })),
  };
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
