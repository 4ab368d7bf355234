/**
 * Search and suggestion latency (issue 17): seeds a catalogue of N events (invented but realistic
 * titles, lineups, cities with real coordinates, dates over a year) and times typical queries —
 * one word, two words, misspelled, prefix, with facet filters, near — through the same functions
 * `GET /events` and `GET /search/suggest` call (no HTTP), on PostgreSQL and on PGlite. Each query
 * kind runs a warm-up, then `--queries` timed runs with varied words; p50/p99 per kind. The plans
 * of one query of each kind are printed with the indexes they use.
 *
 *   npx tsx bench/search.ts --events 100000 --queries 300 --backends postgres,pglite
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { listEvents } from '../src/features/events/events.js';
import type { ListEventsQuery } from '../src/features/events/schemas.js';
import { suggest, type SearchDatabase } from '../src/features/search/search.js';

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '30' },
    backends: { type: 'string', default: 'postgres,pglite' },
    pg: { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const eventCount = Number(flags.events);
const queryCount = Number(flags.queries);
const warmupCount = Number(flags.warmup);

/** Word lists the catalogue and the queries draw from; the same seed gives the same catalogue. */
const firstWords = ['Midnight', 'Iron', 'Blue', 'Silver', 'Golden', 'Electric', 'Velvet', 'Crimson', 'Neon', 'Wild', 'Hollow', 'Quiet', 'Northern', 'Savage', 'Crystal', 'Broken', 'Lunar', 'Solar', 'Rolling', 'Black'];
const secondWords = ['Owls', 'Lanterns', 'Harbour', 'Tides', 'Wolves', 'Crown', 'Rivers', 'Hearts', 'Echoes', 'Foxes', 'Pilots', 'Saints', 'Ghosts', 'Giants', 'Sparrows', 'Engines', 'Roses', 'Kings', 'Shadows', 'Comets'];
const givenNames = ['Sofia', 'Taylor', 'Elena', 'Mariza', 'Carmen', 'Rita', 'Priya', 'Sam', 'Ana', 'Lucas', 'Marta', 'Jonas', 'Chloe', 'Mateo', 'Ines', 'Noah', 'Lea', 'Hugo', 'Nora', 'Ivan'];
const surnames = ['Valverde', 'Swift', 'Marsh', 'Lopes', 'Heredia', 'Gomes', 'Shah', 'Okafor', 'Moura', 'Becker', 'Rossi', 'Dubois', 'Novak', 'Silva', 'Jensen', 'Costa', 'Weber', 'Murphy', 'Garcia', 'Sato'];
const categories = ['rock', 'pop', 'jazz', 'metal', 'fado', 'folk', 'electronic', 'classical', 'comedy', 'sport', 'festival', 'flamenco'];
const titleForms = ['%s Live', '%s: World Tour', '%s en Concierto', '%s ao Vivo', 'An Evening with %s', '%s Unplugged', '%s — Farewell Tour', '%s & Friends'];
const cities: [string, number, number][] = [
  ['Lisbon', 38.7223, -9.1393], ['Porto', 41.1579, -8.6291], ['Madrid', 40.4168, -3.7038], ['Barcelona', 41.3874, 2.1686], ['Paris', 48.8566, 2.3522],
  ['London', 51.5072, -0.1276], ['Berlin', 52.52, 13.405], ['São Paulo', -23.5505, -46.6333], ['Zürich', 47.3769, 8.5417], ['Kraków', 50.0647, 19.945],
  ['Málaga', 36.7213, -4.4214], ['Köln', 50.9375, 6.9603], ['Amsterdam', 52.3676, 4.9041], ['Dublin', 53.3498, -6.2603], ['Rome', 41.9028, 12.4964],
  ['Milan', 45.4642, 9.19], ['Vienna', 48.2082, 16.3738], ['Prague', 50.0755, 14.4378], ['Copenhagen', 55.6761, 12.5683], ['Stockholm', 59.3293, 18.0686],
];
const venueWords = ['Arena', 'Hall', 'Theatre', 'Club', 'Coliseum', 'Pavilion', 'Garden', 'Academy', 'Forum', 'Palace'];

const sqlArray = (items: readonly string[]) => `array[${items.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ')}]`;
const pick = (array: string, length: number, seedExpr: string) => `(${array})[1 + ((${seedExpr}) % ${length})]`;

/** Seeds venues (10 per city, scattered within ~10 km) and `count` events of one GA section each, in a few statements. */
async function seed(db: Database, count: number): Promise<void> {
  await db.query('select setseed(0.17)');
  await db.query(
    `insert into venues (name, city, latitude, longitude)
     select c.name || ' ' || ${pick(sqlArray(venueWords), venueWords.length, 'n')}, c.name,
            round((c.lat + (random() - 0.5) * 0.15)::numeric, 6), round((c.lng + (random() - 0.5) * 0.2)::numeric, 6)
       from unnest(${sqlArray(cities.map((c) => c[0]))}::text[], $1::float8[], $2::float8[]) as c(name, lat, lng), generate_series(1, 10) n`,
    [cities.map((c) => c[1]), cities.map((c) => c[2])],
  );
  const act = (offset: string) => `${pick(sqlArray(firstWords), firstWords.length, `h + ${offset}`)} || ' ' || ${pick(sqlArray(secondWords), secondWords.length, `h / 20 + ${offset}`)}`;
  const person = (offset: string) => `${pick(sqlArray(givenNames), givenNames.length, `h / 7 + ${offset}`)} || ' ' || ${pick(sqlArray(surnames), surnames.length, `h / 400 + ${offset}`)}`;
  await db.query(
    `insert into events (venue_id, title, description, category, performers, tags, starts_at, currency, status)
     select v.id,
            case when g.h % 3 = 0 then replace(${pick(sqlArray(titleForms), titleForms.length, 'g.h / 9')}, '%s', ${person('0')})
                 else replace(${pick(sqlArray(titleForms), titleForms.length, 'g.h / 11')}, '%s', ${act('0')}) end,
            'With support acts. Doors open an hour before.',
            ${pick(sqlArray(categories), categories.length, 'g.h / 13')},
            case when g.h % 3 = 0 then array[${person('0')}, ${act('3')}] else array[${act('0')}, ${person('5')}] end,
            array[${pick(sqlArray(categories), categories.length, 'g.h / 17')}],
            now() + (g.h % 365) * interval '1 day' + (g.h % 24) * interval '1 hour' + interval '1 hour',
            'EUR', 'published'
       from (select n, (abs(hashint4(n)) % 1000000007) as h from generate_series(1, $1) n) g,
            (select array_agg(id order by id) as ids from venues) vs,
            lateral (select vs.ids[1 + g.h % cardinality(vs.ids)] as id) v`,
    [count],
  );
  await db.query(
    `insert into sections (event_id, name, kind, price, capacity, available, position)
     select id, 'General Admission', 'ga', 1000 + (abs(hashtext(id::text)) % 120) * 250, 500, 500, 0 from events`,
  );
}

/** The search columns for every event, in batches (documents.ts writes them per event in the app). */
async function writeDocuments(db: Database): Promise<void> {
  const { refreshSearchDocuments } = await import('../src/features/search/documents.js');
  const { rows } = await db.query<{ id: string }>('select id from events');
  for (let i = 0; i < rows.length; i += 5_000) {
    await db.transaction((tx) => refreshSearchDocuments(tx, rows.slice(i, i + 5_000).map((r) => r.id)));
  }
  await db.query('analyze');
}

const misspell = (word: string, n: number) => {
  const i = 1 + (n % (word.length - 2));
  return n % 2 ? word.slice(0, i) + word.slice(i + 1) : word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
};

type Kind = 'one word' | 'two words' | 'misspelled' | 'prefix' | 'with facets' | 'near' | 'suggest' | 'suggest misspelled';

/** The n-th query of a kind: words vary with n, so caches do not answer every run. */
function queryOf(kind: Kind, n: number): ListEventsQuery | string {
  const first = firstWords[n % firstWords.length]!;
  const second = secondWords[(n * 7) % secondWords.length]!;
  const name = `${givenNames[n % givenNames.length]} ${surnames[(n * 3) % surnames.length]}`;
  const city = cities[n % cities.length]!;
  switch (kind) {
    case 'one word': return { q: second };
    case 'two words': return { q: `${first} ${second}` };
    case 'misspelled': return { q: misspell(surnames[n % surnames.length]!, n) };
    case 'prefix': return { q: `${givenNames[n % givenNames.length]!.slice(0, 3)}` };
    case 'with facets': return { q: second, category: categories[n % categories.length]!, city: city[0] };
    case 'near': return { near: `${city[1]},${city[2]}`, radiusKm: 50, sort: 'distance' };
    case 'suggest': return `${name.slice(0, 4 + (n % 6))}`;
    case 'suggest misspelled': return misspell(name, n);
  }
}

const run = (db: SearchDatabase, query: ListEventsQuery | string) => (typeof query === 'string' ? suggest(db, query) : listEvents(db, query));

/** A database that remembers the statements it ran, to EXPLAIN them afterwards. */
function recording(db: SearchDatabase) {
  const statements: { sql: string; params: readonly unknown[] }[] = [];
  const recorder: SearchDatabase = {
    kind: db.kind,
    query: (sql, params = []) => {
      statements.push({ sql, params });
      return db.query(sql, params);
    },
  };
  return { recorder, statements };
}

const indexNames = ['events_search_document', 'events_search_text', 'search_names_trigrams', 'search_event_names_live', 'search_words_trigrams', 'venues_earth', 'events_venue', 'events_listing', 'sections_event_id_position_key'];

async function plansOf(db: Database, kind: Kind) {
  const { recorder, statements } = recording(db);
  await run(recorder, queryOf(kind, 1));
  const plans: { statement: string; indexes: string[]; plan: string }[] = [];
  for (const { sql, params } of statements) {
    if (!/from events|from venues|events e|search_words/.test(sql)) continue;
    const { rows } = await db.query<Record<string, string>>(`explain ${sql}`, params);
    const plan = rows.map((r) => Object.values(r)[0]).join('\n');
    plans.push({ statement: sql.replace(/\s+/g, ' ').slice(0, 80), indexes: indexNames.filter((name) => plan.includes(name)), plan });
  }
  return plans;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function measure(db: Database, kind: Kind) {
  for (let n = 0; n < warmupCount; n++) await run(db, queryOf(kind, n + 10_000));
  const times: number[] = [];
  let results = 0;
  for (let n = 0; n < queryCount; n++) {
    const started = performance.now();
    const answer = await run(db, queryOf(kind, n));
    times.push(performance.now() - started);
    results += Array.isArray(answer) ? answer.length : answer.items.length;
  }
  times.sort((a, b) => a - b);
  return { kind, p50Ms: +percentile(times, 50).toFixed(2), p99Ms: +percentile(times, 99).toFixed(2), meanResults: +(results / queryCount).toFixed(1) };
}

const kinds: Kind[] = ['one word', 'two words', 'misspelled', 'prefix', 'with facets', 'near', 'suggest', 'suggest misspelled'];

async function bench(backend: string) {
  let db: Database;
  let drop = async () => undefined as unknown;
  const databaseName = `onsale_bench_search_${randomBytes(4).toString('hex')}`;
  if (backend === 'postgres') {
    const admin = new pg.Client({ connectionString: flags.pg });
    await admin.connect();
    await admin.query(`create database ${databaseName}`);
    await admin.end();
    db = await openPostgres(Object.assign(new URL(flags.pg), { pathname: `/${databaseName}` }).toString(), 4);
    drop = async () => {
      const again = new pg.Client({ connectionString: flags.pg });
      await again.connect();
      await again.query(`drop database if exists ${databaseName} with (force)`);
      await again.end();
    };
  } else {
    db = await openPglite();
  }
  try {
    await migrate(db);
    const seeding = performance.now();
    await seed(db, eventCount);
    await writeDocuments(db);
    const seedSeconds = +((performance.now() - seeding) / 1000).toFixed(1);
    console.log(`${backend}: seeded ${eventCount} events in ${seedSeconds} s`);
    const results = [];
    for (const kind of kinds) {
      const result = await measure(db, kind);
      console.log(`${backend}  ${kind.padEnd(20)} p50 ${String(result.p50Ms).padStart(7)} ms  p99 ${String(result.p99Ms).padStart(7)} ms  (${result.meanResults} results)`);
      results.push(result);
    }
    const plans = Object.fromEntries(await Promise.all(kinds.map(async (kind) => [kind, await plansOf(db, kind)] as const)));
    return { backend, seedSeconds, results, plans };
  } finally {
    await db.close();
    await drop();
  }
}

const startedAt = new Date().toISOString();
const output = [];
for (const backend of flags.backends.split(',')) output.push(await bench(backend));
const commit = execSync('git rev-parse --short HEAD').toString().trim();
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/search-${startedAt.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ commit, startedAt, events: eventCount, queries: queryCount, machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), loadavg: loadavg() }, output }, null, 2));
console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; raw results and plans in ${file}`);
for (const { backend, plans } of output) {
  for (const [kind, statements] of Object.entries(plans)) console.log(`${backend} ${kind}: ${statements.map((s) => s.indexes.join('+') || 'no index').join(' | ')}`);
}
