/**
 * Baseline A of bench/holds.ts: the database alone. pgbench runs a bare booking, ONE statement per
 * transaction (take one unit off a hot stock row and insert a hold row), on tables of its own.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Database } from '../src/db/database.js';
import { percentile } from './support.js';

const pgbenchBinary = process.env.PGBENCH ?? '/usr/bin/pgbench';

export const bareBooking =
  'with d as (update bench_stock set available = available - 1 where id = 1 and available >= 1 returning id) insert into bench_holds (stock_id) select id from d;';

export interface PgbenchResult {
  seconds: number;
  transactions: number;
  tps: number;
  latencyAverageMs: number;
  p50Ms: number;
  p99Ms: number;
  command: string;
}

export async function resetBenchTables(db: Database, stock: number): Promise<void> {
  await db.exec(`
    drop table if exists bench_holds;
    drop table if exists bench_stock;
    create table bench_stock (id integer primary key, available integer not null check (available >= 0));
    create table bench_holds (id bigserial primary key, stock_id integer not null references bench_stock, created_at timestamptz not null default now());
    insert into bench_stock values (1, ${Number(stock)});`);
}

/** Runs pgbench with `clients` connections for `seconds`; latencies come from its per-transaction log. */
export async function runPgbench(databaseUrl: string, clients: number, seconds: number): Promise<PgbenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'onsale-pgbench-'));
  try {
    const script = join(dir, 'booking.sql');
    await writeFile(script, bareBooking + '\n');
    const args = ['-n', '-c', String(clients), '-j', '2', '-T', String(seconds), '-M', 'prepared', '-f', script, '-l', `--log-prefix=${join(dir, 'tx')}`, databaseUrl];
    const { stdout } = await promisify(execFile)(pgbenchBinary, args, { maxBuffer: 16 * 1024 * 1024 });
    const number = (pattern: RegExp) => {
      const match = pattern.exec(stdout);
      if (!match) throw new Error(`pgbench output lacks ${pattern}:\n${stdout}`);
      return Number(match[1]);
    };
    const latencies: number[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.startsWith('tx.'))) {
      for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
        const micros = line.split(' ')[2];
        if (micros) latencies.push(Number(micros) / 1000);
      }
    }
    const sorted = Float64Array.from(latencies).sort();
    return {
      seconds,
      transactions: number(/number of transactions actually processed: (\d+)/),
      tps: number(/tps = ([\d.]+) \(without initial connection time\)/),
      latencyAverageMs: number(/latency average = ([\d.]+) ms/),
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      command: `pgbench ${args.slice(0, -1).join(' ').replaceAll(dir, '$TMP')} <bench database>`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
