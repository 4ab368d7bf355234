/** The run's report: a per-second timeline, the outcome, the checks, and the summary printed on stdout. */
import { steps, type SecondBucket, type Step } from './client.js';
import type { BuyerRecord, Outcome, Stage } from './buyer.js';
import type { Fairness } from './fairness.js';
import type { Check } from './invariants.js';
import type { SimulationOptions } from './options.js';
import type { Sample } from './sampler.js';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  count: number;
}

export interface TimelineRow {
  second: number;
  queueLength: number | null;
  admittedPerMinute: number | null;
  admittedThisSecond: number | null;
  activeShoppers: number | null;
  ticketsLeft: number | null;
  sold: number | null;
  held: number | null;
  holds: number;
  orders: number;
  latency: Partial<Record<Step, Percentiles>>;
  /** Answers other than 2xx, by `step status code`. */
  errors: Record<string, number>;
  cpu: Record<string, number>;
}

export interface Outcomes {
  capacity: number;
  ticketsSold: number;
  buyersServed: number;
  buyersToldSoldOut: number;
  secondsToSellOut: number | null;
  waitlist: { joined: number; offers: number; converted: number };
  byOutcome: Partial<Record<Outcome, number>>;
  unfinishedByStage: Partial<Record<Stage, number>>;
}

export interface Report {
  title: string;
  commit: string;
  date: string;
  machine: { cpus: number; loadAverage: number[] };
  options: SimulationOptions;
  seeding: { path: string; buyers: number; seconds: number };
  run: {
    completed: boolean;
    stoppedBy: string | null;
    seconds: number;
    openSecond: number;
    /** Seconds the checks waited, after the crowd stopped, for the server to finish what it had in hand. */
    restSeconds: number;
    crashes: string[];
  };
  verdict: { ok: boolean; failures: string[] };
  outcome: Outcomes;
  invariants: Check[];
  fairness: Fairness | null;
  answers: { total: Record<string, number>; fiveHundreds: number; unavailable: number; timeouts: number; note: string };
  latency: Partial<Record<Step, Percentiles>>;
  cpuAverage: Record<string, number>;
  falseSoldOuts: number;
  timeline: TimelineRow[];
}

export function percentiles(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : NaN);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), count: sorted.length };
}

const isError = (key: string) => !/^\S+ 2\d\d$/.test(key);

export function buildTimeline(buckets: [number, SecondBucket][], samples: Sample[], admittedPerSecond: Map<number, number>): TimelineRow[] {
  const bySecond = new Map(buckets);
  const sampleAt = new Map(samples.map((s) => [s.second, s]));
  const last = Math.max(0, ...buckets.map(([s]) => s), ...samples.map((s) => s.second));
  const rows: TimelineRow[] = [];
  for (let second = 0; second <= last; second++) {
    const bucket = bySecond.get(second) ?? { latencies: {}, answers: {} };
    const figures = sampleAt.get(second)?.figures ?? null;
    const sum = (pick: (s: Sample['figures'] & object) => number) => (figures ? pick(figures) : null);
    rows.push({
      second,
      queueLength: figures?.queue?.length ?? null,
      admittedPerMinute: figures?.queue?.admittedPerMinute ?? null,
      admittedThisSecond: admittedPerSecond.size ? admittedPerSecond.get(second) ?? 0 : null,
      activeShoppers: figures?.queue?.activeShoppers ?? null,
      ticketsLeft: sum((f) => f.sections.reduce((n, s) => n + s.available, 0)),
      sold: sum((f) => f.sections.reduce((n, s) => n + s.sold, 0)),
      held: sum((f) => f.sections.reduce((n, s) => n + s.held + (s.offered ?? 0), 0)),
      holds: bucket.answers['hold 201'] ?? 0,
      orders: bucket.answers['checkout 201'] ?? 0,
      latency: Object.fromEntries(Object.entries(bucket.latencies).map(([step, values]) => [step, percentiles(values)])),
      errors: Object.fromEntries(Object.entries(bucket.answers).filter(([key]) => isError(key))),
      cpu: sampleAt.get(second)?.cpu ?? {},
    });
  }
  return rows;
}

export function totalAnswers(buckets: [number, SecondBucket][]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const [, bucket] of buckets) for (const [key, count] of Object.entries(bucket.answers)) total[key] = (total[key] ?? 0) + count;
  return total;
}

export function overallLatency(buckets: [number, SecondBucket][]): Partial<Record<Step, Percentiles>> {
  return Object.fromEntries(steps.map((step) => [step, percentiles(buckets.flatMap(([, b]) => b.latencies[step] ?? []))]).filter(([, p]) => (p as Percentiles).count > 0));
}

export function averageCpu(samples: Sample[]): Record<string, number> {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.cpu)))];
  return Object.fromEntries(names.map((name) => [name, Math.round(samples.reduce((sum, s) => sum + (s.cpu[name] ?? 0), 0) / Math.max(1, samples.length))]));
}

export function countOutcomes(records: BuyerRecord[]): Partial<Record<Outcome, number>> {
  const counts: Partial<Record<Outcome, number>> = {};
  for (const record of records) counts[record.outcome] = (counts[record.outcome] ?? 0) + 1;
  return counts;
}

/** Where the buyers who did not finish were when the run ended, most first. */
export function unfinishedByStage(records: BuyerRecord[]): Partial<Record<Stage, number>> {
  const counts = new Map<Stage, number>();
  for (const record of records) if (record.outcome === 'unfinished') counts.set(record.stage, (counts.get(record.stage) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

// ---- stdout ----

export function table(header: string[], rows: (string | number)[][]): string {
  const cells = rows.map((row) => row.map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|')}|`, ...cells.map(line)].join('\n');
}

const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(0));

export function formatSummary(report: Report): string {
  const o = report.outcome;
  const f = report.fairness;
  const lines = [
    `${report.title} — ${report.verdict.ok ? 'PASSED' : 'FAILED'}`,
    `commit ${report.commit}, ${report.date}, ${report.machine.cpus} CPUs, load average ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
    `${report.options.buyers} buyers, ${o.capacity} tickets, ${report.options.target ? `target ${report.options.target}` : `${report.options.nodes} node(s)${report.options.nodes > 1 ? ' behind nginx' : ''}`}; ` +
      `run ${report.run.seconds.toFixed(0)} s${report.run.stoppedBy ? ` (STOPPED: ${report.run.stoppedBy})` : ''}, checks after waiting ${report.run.restSeconds.toFixed(1)} s for the server to finish; ${report.seeding.buyers} accounts seeded in ${report.seeding.seconds.toFixed(1)} s (${report.seeding.path})`,
    '',
    table(['outcome', 'value'], [
      ['tickets sold', `${o.ticketsSold} of ${o.capacity}`],
      ['time to sell out (from opening)', o.secondsToSellOut === null ? 'not sold out' : `${o.secondsToSellOut} s`],
      ['buyers served', o.buyersServed],
      ['buyers told sold out', o.buyersToldSoldOut],
      ['waitlist joined / offers / converted', `${o.waitlist.joined} / ${o.waitlist.offers} / ${o.waitlist.converted}`],
      ['refusals while stock remained (sampled)', report.falseSoldOuts],
      ['responses >= 500 (503 apart)', `${report.answers.fiveHundreds} (+ ${report.answers.unavailable} × 503)`],
      ['timeouts', report.answers.timeouts],
      ...Object.entries(o.byOutcome).map(([name, count]) => [`buyers: ${name}`, count ?? 0]),
      ...Object.entries(o.unfinishedByStage).map(([stage, count]) => [`  unfinished: ${stage}`, count ?? 0]),
    ]),
    '',
    table(['step', 'requests', 'p50 ms', 'p95 ms', 'p99 ms'], Object.entries(report.latency).map(([step, p]) => [step, p!.count, ms(p!.p50), ms(p!.p95), ms(p!.p99)])),
    '',
    table(['CPU, % of one core (mean)', ...Object.keys(report.cpuAverage)], [['', ...Object.values(report.cpuAverage)]]),
    '',
    table(['invariant', 'held', 'detail'], report.invariants.map((c) => [c.name, c.ok ? 'yes' : 'NO', c.detail])),
  ];
  if (f) {
    lines.push('', table(['fairness', 'value'], [
      ['after opening: joined / reached by the line', `${f.postOpen.buyers} / ${f.postOpen.admitted}`],
      ['after opening: Kendall tau (ordered pairs) / Spearman rho (all), arrival vs place', `${f.postOpen.kendallTau.toFixed(4)} / ${f.postOpen.spearmanRho.toFixed(4)}`],
      ['after opening: inversions (all pairs) / strict inversions', `${f.postOpen.inversions} / ${f.postOpen.strictInversions}`],
      ['pre-queue: Spearman rho (arrival vs place), buyers', `${f.preQueue.spearmanRho.toFixed(4)}, ${f.preQueue.buyers}`],
      ['told their place expired before their window ended', f.expiredEarly],
      ['admitted, then met sold_out', f.admittedMetSoldOut],
      ['admitted and got tickets / got none', `${f.admittedGotTickets} / ${f.admittedGotNone}`],
      ['waited the whole time and got none', f.waitedAndGotNone],
    ]), '', table(['fairness expectation', 'met', 'detail'], f.expectations.map((e) => [e.name, e.ok ? 'yes' : 'NO', e.detail])));
  }
  lines.push('', report.answers.note);
  if (!report.verdict.ok) lines.push('', 'FAILURES:', ...report.verdict.failures.map((failure) => `  - ${failure}`));
  return lines.join('\n');
}
