/**
 * The strategy comparison (docs/benchmarks.md): the simulator's crowd, the same for every design (same
 * options, same seed), against the designs the field uses and Onsale, each alone on a fresh database:
 *   optimistic version column with retry · one SELECT … FOR UPDATE transaction per request ·
 *   Redis DECRBY with a PostgreSQL write-behind and expiry refill · Onsale (one node, no waiting room).
 * The crowd holds on arrival (no waiting room: the designs have none), pays, or walks away and lets the
 * hold lapse. Per design: oversold tickets, refusals while stock remained, time to sell out, p99 hold
 * latency, and the invariants that broke.
 *
 *   npm run bench:strategies -- --buyers 10000 --ga 1000      (any simulate option)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { createAccessTokens } from '../../src/features/auth/tokens.js';
import { freePort } from '../simulate/cluster.js';
import { drawCrowd } from '../simulate/crowd.js';
import type { Check } from '../simulate/invariants.js';
import { serverErrors } from '../simulate/invariants.js';
import { parseOptions, usage, type SimulationOptions } from '../simulate/options.js';
import { overallLatency, table, totalAnswers } from '../simulate/report.js';
import { gitCommit, runCrowd, runSimulation } from '../simulate/run.js';
import { falseSoldOuts } from '../simulate/sampler.js';
import { startChild, withPgClient } from '../support.js';

const designs = [
  { name: 'optimistic version + retry', script: 'bench/strategies/optimistic.ts' },
  { name: 'SELECT … FOR UPDATE per request', script: 'bench/strategies/for-update.ts' },
  { name: 'Redis DECRBY + PG write-behind', script: 'bench/strategies/redis-decrby.ts' },
] as const;

/** What every design gets: the same crowd, holding on arrival, general admission only. */
const crowdDefaults: Partial<SimulationOptions> = {
  buyers: 10_000, ga: 1_000, seats: 0, queue: false, preQueueShare: 0, waitlist: false, cancelShare: 0, nodes: 1, holdTtlSeconds: 30,
};

interface Row {
  design: string;
  oversold: number;
  falseSoldOut: number;
  secondsToSellOut: number | null;
  holdP99Ms: number;
  holds: number;
  ticketsSold: number;
  capacity: number;
  violations: string[];
}

const firstSoldOut = (samples: { second: number; figures: { sections: { available: number }[] } | null }[]) =>
  samples.find((s) => s.figures && s.figures.sections.every((section) => section.available <= 0))?.second ?? null;

async function runDesign(design: (typeof designs)[number], options: SimulationOptions): Promise<Row> {
  const databaseName = `onsale_strategy_${randomBytes(4).toString('hex')}`;
  const databaseUrl = Object.assign(new URL(options.postgresUrl), { pathname: `/${databaseName}` }).toString();
  const jwtSecret = randomBytes(32).toString('hex');
  await withPgClient(options.postgresUrl, (c) => c.query(`create database ${databaseName}`));
  const server = await startChild(design.name, design.script, [], {
    DATABASE_URL: databaseUrl, PG_POOL_SIZE: '20', JWT_SECRET: jwtSecret, STOCK: String(options.ga), HOLD_TTL_SECONDS: String(options.holdTtlSeconds),
    REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: `strategy:${randomBytes(4).toString('hex')}:`,
  }, await freePort(), '/healthz');
  try {
    const tokens = createAccessTokens(jwtSecret, 86_400);
    const buyers = Array.from({ length: options.buyers }, () => {
      const userId = randomUUID();
      return { userId, accessToken: tokens.sign({ userId, role: 'buyer' }) };
    });
    const get = async (path: string) => (await fetch(server.url + path, { signal: AbortSignal.timeout(2000) })).json() as Promise<any>;
    const accounting = async () => get('/bench/accounting') as Promise<{ capacity: number; sold: number; held: number; available: number }>;
    const run = await runCrowd({
      url: server.url,
      plans: drawCrowd(options),
      buyers,
      options,
      nodePids: [server.pid],
      async prepareSale() {
        const { eventId, sectionId } = await get('/bench/sale');
        return { eventId, gaSectionId: sectionId, seatedSectionId: null, queue: false, waitlist: false };
      },
      watch: (sale) => ({
        figures: async () => ({ queue: null, sections: [{ sectionId: sale.gaSectionId!, ...(await accounting()) }] }),
        availability: async () => Object.fromEntries((await get(`/api/v1/events/${sale.eventId}`)).sections.map((s: { id: string; available: number }) => [s.id, s.available])),
      }),
    });
    const final = await accounting();
    const answers = totalAnswers(run.output.buckets);
    const errors = serverErrors(answers);
    const holdsSeen = run.output.records.reduce((n, r) => n + r.holds.length, 0);
    const holdRows = Number((await withPgClient(databaseUrl, (c) => c.query('select count(*) as n from strategy_holds'))).rows[0].n);
    const checks: Check[] = [
      { name: 'sold + held + available = capacity', ok: final.sold + final.held + final.available === final.capacity, detail: JSON.stringify(final) },
      { name: 'no oversell', ok: final.sold <= final.capacity, detail: `${final.sold} sold of ${final.capacity}` },
      { name: 'zero responses >= 500', ok: errors.fiveHundreds + errors.unavailable === 0, detail: JSON.stringify(errors.byKey) },
      { name: 'one hold row per 201 seen', ok: holdRows === holdsSeen, detail: `${holdRows} rows, ${holdsSeen} seen` },
      ...(run.stoppedBy ? [{ name: 'finished in time', ok: false, detail: run.stoppedBy }] : []),
    ];
    return {
      design: design.name,
      oversold: Math.max(0, final.sold - final.capacity),
      falseSoldOut: falseSoldOuts(run.output.refusals, run.availability),
      secondsToSellOut: firstSoldOut(run.samples),
      holdP99Ms: overallLatency(run.output.buckets).hold?.p99 ?? NaN,
      holds: holdsSeen,
      ticketsSold: final.sold,
      capacity: final.capacity,
      violations: checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
    };
  } finally {
    await server.stop();
    await withPgClient(options.postgresUrl, (c) => c.query(`drop database if exists ${databaseName} with (force)`));
  }
}

async function runOnsale(options: SimulationOptions): Promise<Row> {
  const report = await runSimulation(options);
  return {
    design: 'Onsale (1 node)',
    oversold: Math.max(0, report.outcome.ticketsSold - report.outcome.capacity),
    falseSoldOut: report.falseSoldOuts,
    secondsToSellOut: report.outcome.secondsToSellOut,
    holdP99Ms: report.latency.hold?.p99 ?? NaN,
    holds: report.answers.total['hold 201'] ?? 0,
    ticketsSold: report.outcome.ticketsSold,
    capacity: report.outcome.capacity,
    violations: [...report.invariants.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`), ...(report.run.stoppedBy ? [report.run.stoppedBy] : [])],
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), crowdDefaults);
  if (options === 'help') {
    console.log(usage());
    return 0;
  }
  const started = new Date();
  const rows: Row[] = [];
  for (const design of designs) {
    console.log(`running ${design.name} …`);
    rows.push(await runDesign(design, options));
  }
  console.log('running Onsale …');
  rows.push(await runOnsale(options));
  const text = table(['design', 'oversold', 'false sold-out', 'time to sell out', 'p99 hold ms', 'tickets sold', 'invariant violations'], rows.map((r) => [
    r.design, r.oversold, r.falseSoldOut, r.secondsToSellOut === null ? 'not sold out' : `${r.secondsToSellOut} s`, r.holdP99Ms.toFixed(0), `${r.ticketsSold} / ${r.capacity}`,
    r.violations.length ? r.violations.join('; ') : '0',
  ]));
  const header = `commit ${gitCommit()}, ${started.toISOString()}, ${cpus().length} CPUs, load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
    `${options.buyers} buyers, ${options.ga} tickets, hold TTL ${options.holdTtlSeconds} s, seed ${options.seed}`;
  console.log(`\n${header}\n\n${text}`);
  await mkdir(new URL('../results/', import.meta.url), { recursive: true });
  const file = new URL(`../results/strategies-${started.toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url);
  await writeFile(file, JSON.stringify({ header, options, rows }, null, 2));
  console.log(`raw results: ${file.pathname}`);
  return 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
