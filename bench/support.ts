/** Process, CPU and load-generation helpers for bench/holds.ts and the simulator (bench/simulate/). */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import pg from 'pg';

const repoRoot = new URL('../', import.meta.url).pathname;
const children = new Set<ChildProcess>();
/** How long a started child may take to answer its ready path. */
const readyTimeoutMs = 180_000;

/** Children die with the bench, however it ends. */
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface Child {
  pid: number;
  url: string;
  /** SIGTERM, then SIGKILL after 15 s; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

/**
 * Starts `node --import tsx <script> …args` (one process, so its CPU and --cpu-prof are its own) and waits
 * until GET `readyPath` answers 200. Its output is kept and shown if it dies early.
 */
export async function startChild(name: string, script: string, args: string[], env: Record<string, string>, port: number, readyPath: string, nodeFlags: string[] = []): Promise<Child> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
  const url = `http://127.0.0.1:${port}`;
  // Generous: on a machine shared with other test runs a node has been seen to take over a minute to start.
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`${name} did not become ready in ${readyTimeoutMs / 1000} s:\n${output}`);
    if (await fetch(url + readyPath).then((r) => r.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    pid: child.pid!,
    url,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      const errors = output.split('\n').filter((line) => /"level":(50|60)/.test(line));
      if (errors.length > 0) console.warn(`${name} logged errors:\n${errors.slice(0, 5).join('\n')}`);
      return code;
    },
  };
}

// ---- CPU accounting from /proc (Linux): which layer burns the cores during a phase. ----

const ticksPerSecond = 100;

/** User + system CPU of a process; with `reapedChildren`, of its ended children instead (pgbench). */
export function processCpuSeconds(pid: number | 'self', reapedChildren = false): number {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), reapedChildren);
  } catch {
    return 0;
  }
}

/** CPU seconds in a `/proc/<pid>/stat` line: the process's own, or the children it reaped. */
function statCpuSeconds(stat: string, reapedChildren: boolean): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const first = reapedChildren ? 13 : 11;
  return (Number(fields[first]) + Number(fields[first + 1])) / ticksPerSecond;
}

/**
 * For each command name, every process with that name on the machine (for `postgres`: our backends,
 * pgbench's, background writers, and other users'), plus the children that ended meanwhile: the
 * postmaster reaps its backends, so their CPU moves to its children's. One pass over /proc, each
 * process's stat read once: a sampler reading it every second must stay cheap on a machine with
 * hundreds of processes.
 */
export function commandsCpuSeconds<C extends string>(commands: readonly C[]): Record<C, number> {
  const totals = Object.fromEntries(commands.map((command) => [command, 0])) as Record<C, number>;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // the process ended between readdir and read
    }
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) as C;
    if (Object.hasOwn(totals, command)) totals[command] += statCpuSeconds(stat, false) + statCpuSeconds(stat, true);
  }
  return totals;
}

const postgresCpuSeconds = () => commandsCpuSeconds(['postgres']).postgres;

export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const ticks = line.split(/\s+/).slice(1, 9).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / ticksPerSecond, total: total / ticksPerSecond };
}

/** CPU used during a phase, in percent of one core (200 = both cores of a 2-core machine). */
export interface CpuShare {
  server: number;
  postgres: number;
  /** autocannon in the bench process, or pgbench (a child of it). */
  loadGenerator: number;
  machineBusy: number;
  other: number;
}

export function startCpuMeter(serverPid?: number): () => CpuShare {
  const started = Date.now();
  const server0 = serverPid ? processCpuSeconds(serverPid) : 0;
  const pg0 = postgresCpuSeconds();
  const self0 = process.cpuUsage();
  const reaped0 = processCpuSeconds('self', true);
  const machine0 = machineCpuSeconds();
  return () => {
    const seconds = (Date.now() - started) / 1000;
    const self = process.cpuUsage(self0);
    const machine = machineCpuSeconds();
    const percent = (cpu: number) => Math.round((cpu / seconds) * 100);
    const server = serverPid ? processCpuSeconds(serverPid) - server0 : 0;
    const postgres = postgresCpuSeconds() - pg0;
    const loadGenerator = (self.user + self.system) / 1e6 + processCpuSeconds('self', true) - reaped0;
    const busy = machine.busy - machine0.busy;
    return {
      server: percent(server),
      postgres: percent(postgres),
      loadGenerator: percent(loadGenerator),
      machineBusy: percent(busy),
      other: percent(Math.max(0, busy - server - postgres - loadGenerator)),
    };
  };
}

// ---- Load generation ----

export interface LoadResult {
  seconds: number;
  requests: number;
  ok: number;
  opsPerSecond: number;
  /** Latency of every answer (2xx or not), from autocannon's per-response timer. */
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers by `status code` (the JSON error code where there is one). */
  errors: Record<string, number>;
  socketErrors: number;
  timeouts: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface LoadSpec {
  url: string;
  connections: number;
  durationSeconds: number;
  method?: 'GET' | 'POST';
  body?: unknown;
  /** Access tokens sent in turn, one per request, so requests come from many users. */
  tokens?: string[];
}

/** Closed-loop load: `connections` keep-alive sockets, each sending its next request when answered. */
export async function load(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let turn = 0;
  const tokens = spec.tokens ?? [];
  let instance!: autocannon.Instance;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({
      url: spec.url,
      connections: spec.connections,
      duration: spec.durationSeconds,
      timeout: 10,
      requests: [{
        method: spec.method ?? 'GET',
        ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body), headers: { 'content-type': 'application/json' } }),
        setupRequest(request) {
          if (tokens.length === 0) return request;
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[turn++ % tokens.length]}` } };
        },
        onResponse(status, body) {
          if (status < 300) return;
          let code = '';
          try {
            code = (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '';
          } catch {
            // not JSON; the status alone says it
          }
          const key = code ? `${status} ${code}` : String(status);
          errors[key] = (errors[key] ?? 0) + 1;
        },
      }],
    }, (error, result) => (error ? reject(error) : resolve(result)));
  });
  // Every answer's latency, refusals included: a buyer waits for those too.
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await finished;
  const sorted = Float64Array.from(latencies).sort();
  const seconds = result.duration;
  return {
    seconds,
    requests: result.requests.total,
    ok: result['2xx'],
    opsPerSecond: result['2xx'] / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors,
    socketErrors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Runs `work` on a PostgreSQL connection of its own (creating and dropping databases), then closes it. */
export async function withPgClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
