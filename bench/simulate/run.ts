/**
 * One simulated on-sale, start to finish: a deployment (ours, or `--target`), the crowd's accounts, the
 * event, the crowd in worker threads against the clock with a sampler watching, then the checks and the
 * report. Every phase is bounded, so a server that hangs ends the run as a failure instead of never.
 */
import { execSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { openPostgres, type Database } from '../../src/db/database.js';
import type { Sale } from './buyer.js';
import { startDeployment, type Secrets } from './cluster.js';
import { drawCrowd, openMs, type BuyerPlan } from './crowd.js';
import { measureFairness } from './fairness.js';
import { checkInvariants, serverErrors, untilAtRest } from './invariants.js';
import { startCrowd } from './load.js';
import type { SimulationOptions } from './options.js';
import { averageCpu, buildTimeline, countOutcomes, overallLatency, totalAnswers, unfinishedByStage, type Report } from './report.js';
import { adminToken, createSale, seedCrowd } from './sale.js';
import { falseSoldOuts, startSampler, type AvailabilitySample, type Sample, type SaleFigures } from './sampler.js';
import type { WorkerOutput } from './worker.js';

/** The workers' head start: they load the crowd before the clock starts. */
const clockLeadMs = 2000;
/** The checks read the database after the run; a database that hangs must not hold the run forever. */
const checksTimeoutMs = 120_000;
/** How often a running simulation says where the sale is (on stderr: stdout is the report's). */
const progressEveryMs = 10_000;
/** What the server still serves when the crowd stops gets this long to finish before the checks read. */
const restTimeoutMs = 30_000;

export interface CrowdRun {
  t0: number;
  sale: Sale;
  output: WorkerOutput;
  samples: Sample[];
  availability: AvailabilitySample[];
  stoppedBy: string | null;
  seconds: number;
}

/** One line on stderr: the clock, stock left, the line and the shoppers, and each node's CPU. */
function reportProgress(sample: Sample | undefined): void {
  if (!sample?.figures) return;
  const { sections, queue } = sample.figures;
  const left = sections.reduce((sum, s) => sum + s.available, 0);
  const held = sections.reduce((sum, s) => sum + s.held + (s.offered ?? 0), 0);
  const line = queue ? `, ${queue.length} in line, ${queue.activeShoppers} shopping` : '';
  const nodes = Object.entries(sample.cpu).filter(([name]) => name.startsWith('node')).map(([, v]) => `${v} %`).join(' / ');
  process.stderr.write(`[simulate] ${sample.second} s: ${left} tickets left, ${held} held${line}; node CPU ${nodes}\n`);
}

export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)));
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * Loads the crowd into its workers, sets up the sale once the clock's start is known, runs the crowd
 * until every buyer is done or `maxDurationSeconds` has passed (then stops it: a failure), watching it.
 */
export async function runCrowd(args: {
  url: string;
  plans: BuyerPlan[];
  buyers: { userId: string; accessToken: string }[];
  options: SimulationOptions;
  nodePids: number[];
  prepareSale(t0: number): Promise<Sale>;
  watch(sale: Sale): { figures(): Promise<SaleFigures>; availability(): Promise<Record<string, number>> };
}): Promise<CrowdRun> {
  const crowd = await startCrowd(args.plans, args.buyers, args.url, args.options);
  try {
    const t0 = Date.now() + clockLeadMs;
    const sale = await withTimeout(args.prepareSale(t0), clockLeadMs + 30_000, 'setting up the sale');
    const sampler = startSampler({ nodePids: args.nodePids, ...args.watch(sale) }, t0);
    crowd.start(t0, sale);
    // Unref: a run that fails on the way out must not be kept alive by its progress line.
    const progress = setInterval(() => reportProgress(sampler.latest()), progressEveryMs).unref();
    let stoppedBy: string | null = null;
    const deadline = setTimeout(() => {
      stoppedBy = `not finished ${args.options.maxDurationSeconds} s after the clock started (--max-duration-seconds)`;
      crowd.stop();
    }, t0 + args.options.maxDurationSeconds * 1000 - Date.now());
    const output = await crowd.finished;
    clearTimeout(deadline);
    clearInterval(progress);
    const seconds = (Date.now() - t0) / 1000;
    return { t0, sale, output, ...sampler.stop(), stoppedBy, seconds };
  } catch (error) {
    crowd.stop();
    throw error;
  }
}

export function gitCommit(): string {
  try {
    const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execSync('git status --porcelain -- src bench', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return dirty ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

interface Target {
  url: string;
  databaseUrl: string;
  secrets: Secrets;
  /** The deployment's environment, as `onsale seed-buyers` reads it. */
  env: NodeJS.ProcessEnv;
  nodePids: number[];
  stop(): Promise<void>;
}

function existingTarget(options: SimulationOptions): Target {
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`--target needs ${name} in the environment (the deployment's own)`);
    return value;
  };
  const secrets = { jwtSecret: need('JWT_SECRET'), queueTokenSecret: need('QUEUE_TOKEN_SECRET'), adminEmail: need('ADMIN_EMAIL'), adminPassword: need('ADMIN_PASSWORD') };
  return { url: options.target.replace(/\/$/, ''), databaseUrl: options.databaseUrl, secrets, env: process.env, nodePids: [], stop: async () => undefined };
}

async function ownDeployment(options: SimulationOptions): Promise<Target> {
  const deployment = await startDeployment({ nodes: options.nodes, postgresUrl: options.postgresUrl, redisUrl: options.redisUrl, cpuProfileDir: options.nodeCpuProfile || undefined });
  return { ...deployment, env: { JWT_SECRET: deployment.secrets.jwtSecret, ACCESS_TOKEN_TTL_SECONDS: '86400' } };
}

async function outcomeFigures(db: Database, eventId: string) {
  const { rows } = await db.query<{ sold: number; served: number; offers: number; converted: number; capacity: number }>(`
    select (select count(*) from tickets where event_id = $1 and status = 'valid')::int as sold,
           (select count(distinct user_id) from orders where event_id = $1 and status = 'confirmed')::int as served,
           (select count(*) from holds where event_id = $1 and waitlist_entry_id is not null)::int as offers,
           (select count(*) from orders o join holds h on h.id = o.hold_id where o.event_id = $1 and h.waitlist_entry_id is not null)::int as converted,
           (select sum(capacity) from sections where event_id = $1)::int as capacity`, [eventId]);
  return rows[0]!;
}

/** The line as the database has it: the pre-queue size, the watermark, and places admitted per second. */
async function lineFigures(db: Database, eventId: string, t0: number) {
  const state = (await db.query<{ pre_queue_size: string | null; admitted_through: string }>('select pre_queue_size, admitted_through from queue_state where event_id = $1', [eventId])).rows[0];
  const ticks = (await db.query<{ through: string; admitted_at: Date }>('select through, admitted_at from queue_admissions where event_id = $1 order by through', [eventId])).rows;
  const perSecond = new Map<number, number>();
  let previous = 0;
  for (const tick of ticks) {
    const second = Math.floor((tick.admitted_at.getTime() - t0) / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + Number(tick.through) - previous);
    previous = Number(tick.through);
  }
  return {
    preQueueSize: state?.pre_queue_size === null || !state ? null : Number(state.pre_queue_size),
    admittedThrough: Number(state?.admitted_through ?? 0),
    ticks: ticks.map((t) => ({ through: Number(t.through), admittedAt: t.admitted_at.getTime() })),
    perSecond,
  };
}

function note503(unavailable: number, byKey: Record<string, number>): string {
  if (unavailable === 0) return 'No 503 answers: the server never shed load.';
  const where = Object.entries(byKey).filter(([key]) => / 503/.test(key)).map(([key, n]) => `${n} × ${key}`).join(', ');
  return `${unavailable} answers were 503 (${where}): the server shed load and said when to retry (a full hold queue, or a database lock, statement or pool wait past its bound: the nodes' logs say which); buyers retried them with backoff. Zero is expected at default settings.`;
}

export async function runSimulation(options: SimulationOptions, hooks: { started?(target: { url: string; nodePids: number[]; sale: Sale }): void } = {}): Promise<Report> {
  const target = options.target ? existingTarget(options) : await ownDeployment(options);
  const db = await openPostgres(target.databaseUrl, 2);
  try {
    const seedStart = Date.now();
    const buyers = await seedCrowd(db, target.env, options.buyers);
    const seedSeconds = (Date.now() - seedStart) / 1000;
    const admin = await adminToken(target.url, target.secrets.adminEmail, target.secrets.adminPassword);
    const get = (path: string, token?: string) => fetch(target.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(2000) }).then((r) => r.json() as Promise<any>);
    const run = await runCrowd({
      url: target.url,
      plans: drawCrowd(options),
      buyers,
      options,
      nodePids: target.nodePids,
      async prepareSale(t0) {
        const sale = await createSale(target.url, admin, options, t0, t0 + openMs(options));
        hooks.started?.({ url: target.url, nodePids: target.nodePids, sale });
        return sale;
      },
      watch: (sale) => ({
        figures: () => get(`/api/v1/events/${sale.eventId}/stats`, admin),
        availability: async () => Object.fromEntries((await get(`/api/v1/events/${sale.eventId}`)).sections.map((s: { id: string; available: number }) => [s.id, s.available])),
      }),
    });
    const { output, sale } = run;
    const answers = totalAnswers(output.buckets);
    const restSeconds = await withTimeout(untilAtRest(db, sale.eventId, restTimeoutMs), restTimeoutMs + 10_000, 'waiting for the server to finish');
    const [invariants, outcome, line] = await withTimeout(Promise.all([
      checkInvariants(db, sale.eventId, { records: output.records, answers }),
      outcomeFigures(db, sale.eventId),
      lineFigures(db, sale.eventId, run.t0),
    ]), checksTimeoutMs, 'the final checks');
    const fairness = options.queue
      ? measureFairness(output.records, { eventId: sale.eventId, queueTokenSecret: target.secrets.queueTokenSecret, shoppingWindowSeconds: options.shoppingWindowSeconds, ...line })
      : null;
    const timeline = buildTimeline(output.buckets, run.samples, line.perSecond);
    const openSecond = openMs(options) / 1000;
    const soldOutAt = timeline.find((row) => row.second >= openSecond && row.ticketsLeft === 0)?.second;
    const byOutcome = countOutcomes(output.records);
    const errors = serverErrors(answers);
    const failed = output.records.filter((r) => r.outcome === 'failed');
    const failures = [
      ...(run.stoppedBy ? [`the run was stopped: ${run.stoppedBy}`] : []),
      ...(output.crashes.length ? [`${output.crashes.length} simulated buyers crashed (a simulator bug): ${output.crashes[0]}`] : []),
      ...(output.records.length < options.buyers ? [`${options.buyers - output.records.length} buyers' results are missing`] : []),
      ...(failed.length ? [`${failed.length} buyers met an unexpected answer (first: ${failed[0]!.failure})`] : []),
      ...(byOutcome.unfinished ? [`${byOutcome.unfinished} buyers did not finish (${Object.entries(unfinishedByStage(output.records)).map(([stage, n]) => `${n} ${stage}`).join(', ')})`] : []),
      ...invariants.filter((c) => !c.ok).map((c) => `invariant broken: ${c.name}: ${c.detail}`),
      ...(fairness?.expectations.filter((e) => !e.ok).map((e) => `fairness: ${e.name}: ${e.detail}`) ?? []),
    ];
    return {
      title: 'Onsale flash-sale simulation',
      commit: gitCommit(),
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, loadAverage: loadavg() },
      options,
      seeding: { path: 'bulk insert with one shared argon2 hash, tokens signed with the deployment secret (src/seed/buyers.ts, as `onsale seed-buyers`)', buyers: buyers.length, seconds: seedSeconds },
      run: { completed: run.stoppedBy === null, stoppedBy: run.stoppedBy, seconds: run.seconds, openSecond, restSeconds, crashes: output.crashes.slice(0, 5) },
      verdict: { ok: failures.length === 0, failures },
      outcome: {
        capacity: outcome.capacity,
        ticketsSold: outcome.sold,
        buyersServed: outcome.served,
        buyersToldSoldOut: output.records.filter((r) => r.toldSoldOut).length,
        secondsToSellOut: soldOutAt === undefined ? null : soldOutAt - openSecond,
        waitlist: { joined: output.records.filter((r) => r.waitlist && r.waitlist !== 'refused').length, offers: outcome.offers, converted: outcome.converted },
        byOutcome,
        unfinishedByStage: unfinishedByStage(output.records),
      },
      invariants,
      fairness,
      answers: { total: answers, fiveHundreds: errors.fiveHundreds, unavailable: errors.unavailable, timeouts: Object.entries(answers).filter(([k]) => k.endsWith(' timeout')).reduce((n, [, c]) => n + c, 0), note: note503(errors.unavailable, errors.byKey) },
      latency: overallLatency(output.buckets),
      cpuAverage: averageCpu(run.samples),
      falseSoldOuts: falseSoldOuts(output.refusals, run.availability),
      timeline,
    };
  } finally {
    await db.close();
    await target.stop();
  }
}
