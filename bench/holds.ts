/**
 * Hold throughput (issue 2): holds per second and p50/p99 latency with N concurrent buyers on PostgreSQL,
 * for Onsale's HTTP API against, in the same run:
 *   - a naive optimistic version-column hold over HTTP (bench/naive-server.ts), with its false sold-outs;
 *   - pgbench doing a bare one-statement-per-transaction booking on the same database (bench/pgbench.ts);
 *   - GET /healthz on the Onsale server, the HTTP ceiling of this machine.
 * Each system runs alone (servers are child processes started for their phase and stopped after), and
 * Onsale's stock accounting is checked before any of its speed is quoted.
 *
 *   npm run bench:holds -- --connections 64 --duration 10 --runs 3
 */
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { openPostgres, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { sectionAccounting } from '../src/features/inventory/availability.js';
import { resetBenchTables, runPgbench, type PgbenchResult } from './pgbench.js';
import { load, startChild, startCpuMeter, withPgClient, type Child, type CpuShare, type LoadResult } from './support.js';

const { values: flags } = parseArgs({
  options: {
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    buyers: { type: 'string', default: '300' },
    pool: { type: 'string', default: '20' },
    capacity: { type: 'string', default: '1000000' },
    port: { type: 'string', default: '4310' },
    pg: { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'cpu-prof': { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
  },
});
const positive = (name: keyof typeof flags) => {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
};
const options = {
  connections: positive('connections'),
  durationSeconds: positive('duration'),
  runs: positive('runs'),
  warmupSeconds: positive('warmup'),
  buyers: positive('buyers'),
  poolSize: positive('pool'),
  capacity: positive('capacity'),
  port: positive('port'),
  cpuProfile: flags['cpu-prof'],
};

const databaseName = `onsale_bench_${randomBytes(4).toString('hex')}`;
const databaseUrl = Object.assign(new URL(flags.pg), { pathname: `/${databaseName}` }).toString();
const jwtSecret = randomBytes(32).toString('hex');
const adminLogin = { email: 'bench-admin@example.test', password: 'bench-admin-password' };

const onsaleEnv = {
  NODE_ENV: 'production',
  DATABASE_URL: databaseUrl,
  PG_POOL_SIZE: String(options.poolSize),
  LOG_LEVEL: 'warn',
  SEED_DEMO: 'false',
  HOST: '127.0.0.1',
  JWT_SECRET: jwtSecret,
  // Production refuses default secrets; no event here has a waiting room, but the check is global.
  QUEUE_TOKEN_SECRET: randomBytes(32).toString('hex'),
  ACCESS_TOKEN_TTL_SECONDS: '86400',
  // Only registration (setup) hashes passwords; a small argon2 cost keeps setup short and touches no hold.
  ARGON2_MEMORY_KIB: '1024',
  ADMIN_EMAIL: adminLogin.email,
  ADMIN_PASSWORD: adminLogin.password,
  // Setup registers hundreds of buyers from one address.
  AUTH_IP_LIMIT_PER_MINUTE: '10000000',
};

async function api<T>(url: string, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

const startOnsale = () =>
  startChild('onsale', 'src/cli.ts', ['serve'], onsaleEnv, options.port, '/readyz', options.cpuProfile ? ['--cpu-prof', '--cpu-prof-dir=bench/results/profiles'] : []);

interface Setup {
  adminToken: string;
  venueId: string;
  buyerTokens: string[];
}

/** The admin's token, a venue, and `buyers` registered buyers (registered 16 at a time). */
async function prepare(url: string): Promise<Setup> {
  const { accessToken: adminToken } = await api<{ accessToken: string }>(url, 'POST', '/api/v1/auth/login', adminLogin);
  const { id: venueId } = await api<{ id: string }>(url, 'POST', '/api/v1/venues', { name: 'Bench Arena', city: 'Lisbon' }, adminToken);
  const buyerTokens: string[] = [];
  while (buyerTokens.length < options.buyers) {
    const batch = Array.from({ length: Math.min(16, options.buyers - buyerTokens.length) }, (_, i) => buyerTokens.length + i);
    const replies = await Promise.all(batch.map((n) =>
      api<{ accessToken: string }>(url, 'POST', '/api/v1/auth/register', { email: `buyer-${n}@bench.test`, password: 'bench-password', name: `Buyer ${n}` })));
    buyerTokens.push(...replies.map((r) => r.accessToken));
  }
  return { adminToken, venueId, buyerTokens };
}

/**
 * A published event with one GA section of `capacity`; holds last a day, so none lapses mid-run. The
 * registered buyers stand in for a crowd, each placing hundreds of holds: no per-buyer caps.
 */
async function createEvent(url: string, setup: Setup) {
  const event = await api<{ id: string; sections: { id: string }[] }>(url, 'POST', '/api/v1/events', {
    title: `Bench on-sale ${new Date().toISOString()}`,
    venueId: setup.venueId,
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    currency: 'EUR',
    status: 'published',
    holdTtlSeconds: 86_400,
    maxTicketsPerUser: null,
    maxHoldsPerUser: null,
    sections: [{ name: 'Floor', price: 4500, capacity: options.capacity }],
  }, setup.adminToken);
  return { eventId: event.id, sectionId: event.sections[0]!.id };
}

/** Counters of the Onsale server, from /metrics. */
async function serverCounters(url: string): Promise<{ batchSizeSum: number; batches: number; holdsPlaced: number }> {
  const text = await (await fetch(url + '/metrics')).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { batchSizeSum: value('onsale_hold_batch_size_sum'), batches: value('onsale_hold_batch_size_count'), holdsPlaced: value('onsale_holds_placed_total') };
}

/** Counters once the requests cut off at the end of a load have finished on the server. */
async function settledCounters(url: string): Promise<Awaited<ReturnType<typeof serverCounters>>> {
  let previous = await serverCounters(url);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const current = await serverCounters(url);
    if (current.holdsPlaced === previous.holdsPlaced) return current;
    previous = current;
  }
}

class InvariantError extends Error {
  override name = 'InvariantError';
}

function expectEqual(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new InvariantError(`${what}: ${actual}, expected ${expected}`);
}

/**
 * Before any speed is quoted: sold + held + available == capacity, and one hold per 201 the server sent
 * (its own counter). The load generator saw at most that many: when a load ends, autocannon drops the
 * requests in flight (at most one per connection), which the server still completes.
 */
async function checkOnsaleInvariants(db: Database, eventId: string, answered: { placed: number; seenByClient: number; inFlightAtEnd: number }): Promise<void> {
  const sections = await sectionAccounting(db, eventId);
  expectEqual('sections of the bench event', sections.length, 1);
  const { capacity, sold, held, available } = sections[0]!;
  expectEqual('sold + held + available', sold + held + available, capacity);
  const successes = answered.placed;
  expectEqual('tickets held vs holds the server answered 201', held, successes);
  if (answered.seenByClient > successes || successes > answered.seenByClient + answered.inFlightAtEnd) {
    throw new InvariantError(`201s seen by the load generator: ${answered.seenByClient}; holds placed: ${successes}; requests cut off at the end: at most ${answered.inFlightAtEnd}`);
  }
  const { rows } = await db.query<{ holds: number; units: number; stock: number }>(
    `select (select count(*) from holds where event_id = $1)::int as holds,
            (select coalesce(sum(i.quantity), 0) from hold_items i join holds h on h.id = i.hold_id where h.event_id = $1)::int as units,
            (select available from sections where event_id = $1) as stock`,
    [eventId],
  );
  expectEqual('hold rows', rows[0]!.holds, successes);
  expectEqual('units in hold items', rows[0]!.units, successes);
  expectEqual('stock counter', rows[0]!.stock, capacity - successes);
}

interface OnsaleRun {
  holds: LoadResult;
  healthz: LoadResult;
  holdsCpu: CpuShare;
  healthzCpu: CpuShare;
  transactionsPerSecond: number;
  meanBatchSize: number;
}

async function onsalePhase(db: Database, setup: Setup): Promise<OnsaleRun> {
  const server = await startOnsale();
  try {
    const { eventId, sectionId } = await createEvent(server.url, setup);
    const holdLoad = { url: `${server.url}/api/v1/holds`, connections: options.connections, method: 'POST' as const, body: { eventId, sectionId, quantity: 1 }, tokens: setup.buyerTokens };
    const warmup = await load({ ...holdLoad, durationSeconds: options.warmupSeconds });
    await load({ url: `${server.url}/healthz`, connections: options.connections, durationSeconds: 1 });

    let meter = startCpuMeter(server.pid);
    const healthz = await load({ url: `${server.url}/healthz`, connections: options.connections, durationSeconds: options.durationSeconds });
    const healthzCpu = meter();

    const before = await serverCounters(server.url);
    meter = startCpuMeter(server.pid);
    const holds = await load({ ...holdLoad, durationSeconds: options.durationSeconds });
    const holdsCpu = meter();
    const after = await settledCounters(server.url);

    await checkOnsaleInvariants(db, eventId, { placed: after.holdsPlaced, seenByClient: warmup.ok + holds.ok, inFlightAtEnd: 2 * options.connections });
    return {
      holds,
      healthz,
      holdsCpu,
      healthzCpu,
      transactionsPerSecond: (after.batches - before.batches) / holds.seconds,
      meanBatchSize: (after.batchSizeSum - before.batchSizeSum) / (after.batches - before.batches),
    };
  } finally {
    await server.stop();
  }
}

interface NaiveRun {
  holds: LoadResult;
  cpu: CpuShare;
  falseSoldOut: number;
}

async function naivePhase(db: Database, setup: Setup): Promise<NaiveRun> {
  const server: Child = await startChild('naive', 'bench/naive-server.ts', [], {
    DATABASE_URL: databaseUrl,
    PG_POOL_SIZE: String(options.poolSize),
    JWT_SECRET: jwtSecret,
    NAIVE_STOCK: String(options.capacity),
  }, options.port + 1, '/healthz');
  try {
    const holdLoad = { url: `${server.url}/api/v1/holds`, connections: options.connections, method: 'POST' as const, body: { eventId: 'naive', sectionId: 'naive', quantity: 1 }, tokens: setup.buyerTokens };
    const warmup = await load({ ...holdLoad, durationSeconds: options.warmupSeconds });
    const meter = startCpuMeter(server.pid);
    const holds = await load({ ...holdLoad, durationSeconds: options.durationSeconds });
    const cpu = meter();
    const { rows } = await db.query<{ available: number; held: number; holds: number }>(
      `select (select available from naive_stock where id = 1) as available,
              (select coalesce(sum(quantity), 0) from naive_holds)::int as held, (select count(*) from naive_holds)::int as holds`,
    );
    const { available, held, holds: holdRows } = rows[0]!;
    expectEqual('naive: held + available', held + available, options.capacity);
    const seen = warmup.ok + holds.ok;
    if (holdRows < seen || holdRows > seen + 2 * options.connections) throw new InvariantError(`naive: ${holdRows} hold rows for ${seen} 201s seen`);
    // Stock never ran out, so every `conflict` refusal was a refusal while stock remained.
    if (available === 0) throw new InvariantError('naive: stock ran out; raise --capacity to measure false sold-outs');
    return { holds, cpu, falseSoldOut: holds.errors['409 conflict'] ?? 0 };
  } finally {
    await server.stop();
  }
}

async function pgbenchPhase(db: Database): Promise<{ result: PgbenchResult; cpu: CpuShare }> {
  await resetBenchTables(db, options.capacity);
  const meter = startCpuMeter();
  const result = await runPgbench(databaseUrl, options.connections, options.durationSeconds);
  const cpu = meter();
  const { rows } = await db.query<{ available: number; holds: number }>(
    'select (select available from bench_stock where id = 1) as available, (select count(*) from bench_holds)::int as holds',
  );
  expectEqual('pgbench: hold rows', rows[0]!.holds, result.transactions);
  expectEqual('pgbench: holds + available', rows[0]!.holds + rows[0]!.available, options.capacity);
  return { result, cpu };
}

interface Run {
  onsale: OnsaleRun;
  naive: NaiveRun;
  pgbench: { result: PgbenchResult; cpu: CpuShare };
  ratio: number;
}

// ---- Reporting ----

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const errorText = (result: LoadResult) => {
  const entries = Object.entries(result.errors).map(([key, count]) => `${count} × ${key}`);
  if (result.socketErrors - result.timeouts > 0) entries.push(`${result.socketErrors - result.timeouts} socket errors`);
  if (result.timeouts > 0) entries.push(`${result.timeouts} timeouts`);
  return entries.join(', ') || '0';
};

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...rows.map(line)].join('\n');
}

function summarize(runs: Run[]): string {
  const pgTps = median(runs.map((r) => r.pgbench.result.tps));
  const row = (name: string, ops: number[], p50: number[], p99: number[], errors: string) => {
    const ops50 = median(ops);
    return [name, fixed(ops50, 0), fixed(median(p50), 2), fixed(median(p99), 2), errors, `${fixed(ops50 / pgTps, 2)}×`];
  };
  const sumErrors = (results: LoadResult[]) => results.reduce((sum, r) => sum + r.requests - r.ok, 0);
  const falseSoldOut = runs.reduce((sum, r) => sum + r.naive.falseSoldOut, 0);
  const naiveRequests = runs.reduce((sum, r) => sum + r.naive.holds.requests, 0);
  const main = table(['', 'ops/s', 'p50 ms', 'p99 ms', 'errors / false sold out', 'vs pgbench'], [
    row('onsale holds (HTTP)', runs.map((r) => r.onsale.holds.opsPerSecond), runs.map((r) => r.onsale.holds.p50Ms), runs.map((r) => r.onsale.holds.p99Ms),
      `${sumErrors(runs.map((r) => r.onsale.holds))} errors`),
    row('naive optimistic (HTTP)', runs.map((r) => r.naive.holds.opsPerSecond), runs.map((r) => r.naive.holds.p50Ms), runs.map((r) => r.naive.holds.p99Ms),
      `${falseSoldOut} false sold out (${fixed((100 * falseSoldOut) / naiveRequests)}%)`),
    row('pgbench bare booking', runs.map((r) => r.pgbench.result.tps), runs.map((r) => r.pgbench.result.p50Ms), runs.map((r) => r.pgbench.result.p99Ms), '0 errors'),
    row('onsale GET /healthz', runs.map((r) => r.onsale.healthz.opsPerSecond), runs.map((r) => r.onsale.healthz.p50Ms), runs.map((r) => r.onsale.healthz.p99Ms),
      `${sumErrors(runs.map((r) => r.onsale.healthz))} errors`),
  ]);
  const perRun = table(['run', 'onsale holds/s', 'pgbench tps', 'ratio', 'onsale p99 ms', 'db transactions/s', 'holds per transaction'], runs.map((r, i) => [
    String(i + 1), fixed(r.onsale.holds.opsPerSecond, 0), fixed(r.pgbench.result.tps, 0), `${fixed(r.ratio, 2)}×`, fixed(r.onsale.holds.p99Ms, 2),
    fixed(r.onsale.transactionsPerSecond, 0), fixed(r.onsale.meanBatchSize, 1),
  ]));
  const cpuRow = (name: string, shares: CpuShare[]) => [name, ...(['server', 'postgres', 'loadGenerator', 'other', 'machineBusy'] as const).map((k) => `${median(shares.map((s) => s[k]))}%`)];
  const cpu = table(['phase (CPU, % of one core)', 'server (node)', 'postgres', 'load generator', 'other', 'machine busy'], [
    cpuRow('onsale holds', runs.map((r) => r.onsale.holdsCpu)),
    cpuRow('naive optimistic', runs.map((r) => r.naive.cpu)),
    cpuRow('pgbench bare booking', runs.map((r) => r.pgbench.cpu)),
    cpuRow('onsale GET /healthz', runs.map((r) => r.onsale.healthzCpu)),
  ]);
  const ratio = median(runs.map((r) => r.ratio));
  const p99 = median(runs.map((r) => r.onsale.holds.p99Ms));
  const verdict = `Target (≥ 1.00× pgbench, p99 < 50 ms): ratio ${fixed(ratio, 2)}× (median of per-run ratios), p99 ${fixed(p99, 2)} ms — ${ratio >= 1 && p99 < 50 ? 'MET' : 'NOT MET'}.`;
  return [main, '', perRun, '', cpu, '', verdict].join('\n');
}

function gitCommit(): string {
  try {
    const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain -- src bench', { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

// ---- Main ----

async function main(): Promise<void> {
  console.log(`bench database ${databaseName}; ${options.connections} connections, ${options.durationSeconds} s × ${options.runs} runs, ${options.warmupSeconds} s warm-up`);
  await withPgClient(flags.pg, (c) => c.query(`create database ${databaseName}`));
  const db = await openPostgres(databaseUrl, 2);
  try {
    await migrate(db);
    const postgresVersion = (await db.query<{ v: string }>('show server_version')).rows[0]!.v;
    const server = await startOnsale();
    const setup = await prepare(server.url).finally(() => server.stop());
    console.log(`registered ${setup.buyerTokens.length} buyers`);

    const runs: Run[] = [];
    for (let i = 1; i <= options.runs; i++) {
      const onsale = await onsalePhase(db, setup);
      const naive = await naivePhase(db, setup);
      const pgbench = await pgbenchPhase(db);
      const run = { onsale, naive, pgbench, ratio: onsale.holds.opsPerSecond / pgbench.result.tps };
      runs.push(run);
      console.log(`run ${i}: onsale ${fixed(onsale.holds.opsPerSecond, 0)} holds/s (p99 ${fixed(onsale.holds.p99Ms, 2)} ms, ${fixed(onsale.meanBatchSize, 1)} per tx), `
        + `naive ${fixed(naive.holds.opsPerSecond, 0)}/s (${naive.falseSoldOut} false sold out), pgbench ${fixed(pgbench.result.tps, 0)} tps, `
        + `healthz ${fixed(onsale.healthz.opsPerSecond, 0)}/s; onsale errors: ${errorText(onsale.holds)}`);
    }

    const report = summarize(runs);
    console.log(`\n${report}\n\npgbench: ${runs[0]!.pgbench.result.command}`);
    const results = {
      commit: gitCommit(),
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), postgres: postgresVersion },
      options,
      runs,
      report,
    };
    mkdirSync(new URL('results/', import.meta.url), { recursive: true });
    const file = new URL(`results/holds-${results.date.replace(/[:.]/g, '-')}.json`, import.meta.url);
    writeFileSync(file, JSON.stringify(results, null, 2));
    console.log(`raw results: ${file.pathname}`);
  } finally {
    await db.close();
    if (flags['keep-db']) console.log(`kept database ${databaseName}`);
    else await withPgClient(flags.pg, (c) => c.query(`drop database if exists ${databaseName} with (force)`));
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping; the bench database ${databaseName} may be left behind (drop it by hand).`);
    process.exit(130);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof InvariantError ? `INVARIANT BROKEN — no speed is quoted: ${error.message}` : error);
  process.exit(1);
});
