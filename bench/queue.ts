/**
 * Waiting-room benchmark (see docs/benchmarks.md, "Waiting room", and docs/scaling.md).
 *   npx tsx bench/queue.ts [--seconds 10] [--connections 100] [--sockets 10000] [--cpu-prof DIR]
 *                          [--nodes 1] [--redis-masters 1,3] [--redis-replicas 0] [--phases trivial,join,status]
 * Starts --nodes server processes (PostgreSQL + Redis), then from this process:
 *   1. a trivial route (GET /healthz), joins (POST /events/:id/queue, a new account each) and status
 *      checks (GET /events/:id/queue), each for --seconds with autocannon (one instance per node,
 *      --connections shared among them), trivial route measured again after, to report each queue
 *      figure as a ratio of the trivial one in the same run;
 *   2. WebSocket fan-out (on the first node; --sockets 0 skips it): --sockets clients wait in line,
 *      then one admission tick lets them all in; reports how long each took to hear it (from the
 *      tick's recorded time).
 * Without --redis-masters the nodes use REDIS_URL (default redis://127.0.0.1:6379). With it, for each
 * count in the list (`1,3`: the same run measures both), the bench starts a Redis Cluster of that many
 * masters on free loopback ports (test/support/redis-cluster.ts; --redis-replicas replicas each, and
 * then REDIS_WAIT_REPLICAS=1), runs the phases on it behind the same nodes, prints per master the
 * CPU and the Redis commands it ran during the joins, and stops it.
 * --cpu-prof DIR writes each server's V8 CPU profile there (open it in Chrome DevTools or speedscope;
 * `npx tsx bench/profile-top.ts FILE` prints the frames with the most self time). --phases runs only the
 * named load phases (trivial, join, status), so a profile holds one kind of request; the fan-out needs
 * join (it admits the places the joins gave).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { createAccessTokens } from '../src/features/auth/tokens.js';
import { createQueueTokens } from '../src/features/queue/tokens.js';
import { limits } from '../src/limits.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { startRedisCluster, type RedisCluster } from '../test/support/redis-cluster.js';
import { processCpuSeconds } from './support.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '100' }, sockets: { type: 'string', default: '10000' }, 'cpu-prof': { type: 'string' },
    nodes: { type: 'string', default: '1' }, 'redis-masters': { type: 'string' }, 'redis-replicas': { type: 'string', default: '0' },
    phases: { type: 'string', default: 'trivial,join,status' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const socketCount = Number(values.sockets);
const nodeCount = Number(values.nodes);
const masterCounts = values['redis-masters']?.split(',').map(Number);
const replicas = Number(values['redis-replicas']);
const phases = new Set(values.phases.split(','));
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const jwtSecret = randomBytes(24).toString('hex');
const queueSecret = randomBytes(24).toString('hex');
// One tick admits every socket: past limits.admitPerMinuteMax a tick of 1 s cannot (beyond ~16,600 sockets), so it lengthens.
const tickMs = Math.max(1000, Math.ceil((socketCount * 60_000) / limits.admitPerMinuteMax));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const freePort = () => new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** Where the nodes find Redis: one server, or a cluster this bench started. */
interface RedisSetup {
  label: string;
  env: Record<string, string>;
  cluster?: RedisCluster;
}

/** Per master: CPU seconds and commands processed so far (to report what one phase cost each). */
async function masterCounters(cluster: RedisCluster | undefined) {
  const masters = cluster?.nodes.filter((n) => n.replicaOf === undefined) ?? [];
  return Promise.all(masters.map(async (master) => {
    const direct = cluster!.connect(master.port);
    const stats = await direct.info('stats');
    direct.disconnect();
    return { port: master.port, cpu: processCpuSeconds(master.process.pid!), commands: Number(/total_commands_processed:(\d+)/.exec(stats)?.[1] ?? 0) };
  }));
}

async function startServer(env: Record<string, string>, database: string, index: number): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const profiling = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
  const child = spawn(process.execPath, [...profiling, '--import', 'tsx', 'src/cli.ts', 'serve'], {
    env: {
      ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: database, PG_POOL_SIZE: '10', QUEUE_TICK_MS: String(tickMs),
      QUEUE_TOKEN_SECRET: queueSecret, JWT_SECRET: jwtSecret, SEED_DEMO: 'false', LOG_LEVEL: 'error', ADMIN_EMAIL: 'admin@example.test',
      ADMIN_PASSWORD: 'admin-password', AUTH_IP_LIMIT_PER_MINUTE: '10000000', QUEUE_JOIN_IP_LIMIT_PER_MINUTE: '10000000', QUEUE_JOIN_LIMIT_PER_MINUTE: '1000000',
      // The first node migrates; the others start once it answers.
      MIGRATE_ON_START: index === 0 ? 'true' : 'false', ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  while (!(await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) await sleep(200);
  return { url, child };
}

async function measure(setup: RedisSetup): Promise<void> {
  console.log(`--- ${setup.label}, ${nodeCount} node(s) ---`);
  const database = await createTestDatabase();
  const servers: { url: string; child: ChildProcess }[] = [];
  const sql = new pg.Client({ connectionString: database.url });
  try {
    servers.push(await startServer(setup.env, database.url, 0));
    servers.push(...(await Promise.all(Array.from({ length: nodeCount - 1 }, (_, i) => startServer(setup.env, database.url, i + 1)))));
    const url = servers[0]!.url;
    await sql.connect();
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return response.json() as Promise<any>;
    };
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.test', password: 'admin-password' }) }).then((r) => r.json() as Promise<any>);
    const admin = login.accessToken as string;
    const venue = await call('POST', '/api/v1/venues', admin, { name: 'Bench Hall', city: 'Porto' });
    const onsale = (admitPerMinute: number) => ({ startsAt: new Date(Date.now() - 60_000).toISOString(), queue: { enabled: true, admitPerMinute, stockAware: false } });
    const event = await call('POST', '/api/v1/events', admin, {
      title: 'Bench sale', venueId: venue.id, startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), currency: 'EUR', status: 'published',
      sections: [{ name: 'Floor', price: 100, capacity: 1_000_000 }], onsale: onsale(1),
    });

    const accessTokens = createAccessTokens(jwtSecret, 3600);
    const buyers = Array.from({ length: 300_000 }, () => `Bearer ${accessTokens.sign({ userId: randomUUID(), role: 'buyer' })}`);
    const queueTokens = createQueueTokens(queueSecret);
    const statusTokens = Array.from({ length: Math.max(10_000, socketCount) }, (_, i) => queueTokens.sign({ eventId: event.id, userId: randomUUID(), seq: i + 1, issuedAt: Date.now() }));

    /** One autocannon per node at once, the connections shared among them; the summed rate. */
    const run = async (title: string, path: string, options: Record<string, unknown> = {}) => {
      const cpu0 = servers.reduce((sum, server) => sum + processCpuSeconds(server.child.pid!), 0);
      const results = await Promise.all(servers.map((server) => autocannon({ url: server.url + path, connections: Math.max(1, Math.round(connections / servers.length)), duration: seconds, ...options } as autocannon.Options)));
      const cpu = servers.reduce((sum, server) => sum + processCpuSeconds(server.child.pid!), 0) - cpu0;
      const rate = results.reduce((sum, r) => sum + r.requests.average, 0);
      const answered = results.reduce((sum, r) => sum + r.requests.total, 0);
      const non2xx = results.reduce((sum, r) => sum + r.non2xx + r.errors, 0);
      const p99 = Math.max(...results.map((r) => r.latency.p99));
      // Server CPU per request: what a request costs whatever else the machine runs (a loaded machine's
      // rates are noise, its CPU seconds per request far less).
      console.log(`${title}: ${Math.round(rate)} req/s, latency p50 ${results[0]!.latency.p50} ms p99 ${p99} ms, server CPU ${Math.round((cpu / Math.max(1, answered)) * 1e6)} µs/request${non2xx ? `, ${non2xx} non-2xx/errors` : ''}`);
      return rate;
    };
    let b = 0;
    let s = 0;
    const trivial1 = phases.has('trivial') ? await run('trivial GET /healthz', '/healthz') : NaN;
    const before = await masterCounters(setup.cluster);
    const joinPath = `/api/v1/events/${event.id}/queue`;
    const joinOptions = (extra: Record<string, unknown> = {}) => ({
      method: 'POST',
      requests: [{ setupRequest: (request: any) => ({ ...request, headers: { ...request.headers, authorization: buyers[b++ % buyers.length] } }) }],
      ...extra,
    });
    const joins = phases.has('join') ? await run('join POST /events/:id/queue (new account each)', joinPath, joinOptions()) : NaN;
    const after = await masterCounters(setup.cluster);
    // Places given (the organizer's figure), not reserved: blocks run ahead of the joins.
    const issued = async () => Number((await call('GET', `/api/v1/events/${event.id}/stats`, admin)).queue.issued);
    const joined = await issued();
    for (const [i, master] of phases.has('join') ? after.entries() : []) {
      const cpu = master.cpu - before[i]!.cpu;
      const commands = master.commands - before[i]!.commands;
      // Commands count each script call and each command it runs inside.
      console.log(`  master :${master.port}: ${Math.round((cpu / seconds) * 100)} % of a core, ${commands} commands (${(commands / Math.max(1, joined)).toFixed(2)} per join, scripts' inner commands included)`);
    }
    const status = phases.has('status') ? await run('status GET /events/:id/queue', `/api/v1/events/${event.id}/queue`, {
      requests: [{ setupRequest: (request: any) => ({ ...request, headers: { ...request.headers, 'x-queue-token': statusTokens[s++ % statusTokens.length] } }) }],
    }) : NaN;
    const trivial2 = phases.has('trivial') ? await run('trivial GET /healthz (again)', '/healthz') : NaN;
    const trivial = (trivial1 + trivial2) / 2;
    console.log(`ratios to the trivial route: joins ${(joins / trivial).toFixed(2)}, status ${(status / trivial).toFixed(2)} (${b} join requests sent, ${joined} places given)`);
    if (socketCount > 0 && phases.has('join')) {
      // Every socket needs a place given: joins beyond the measured phase's, if it gave fewer.
      if (joined < socketCount) await autocannon({ url: url + joinPath, connections: Math.min(connections, socketCount - joined), ...joinOptions({ amount: socketCount - joined }) } as autocannon.Options);
      await fanOut(url, sql, event.id, statusTokens.slice(0, Math.min(socketCount, await issued())), (rate) => call('PATCH', `/api/v1/events/${event.id}`, admin, { onsale: onsale(rate) }));
    }
  } finally {
    for (const server of servers) server.child.kill('SIGTERM');
    await sql.end().catch(() => undefined);
    await sleep(500);
    await database.drop();
  }
}

/** Every socket waits, then one tick admits them all: how long each took to hear it. */
async function fanOut(url: string, sql: pg.Client, eventId: string, statusTokens: string[], setRate: (admitPerMinute: number) => Promise<unknown>): Promise<void> {
  const count = statusTokens.length;
  const live = `${url.replace('http', 'ws')}/api/v1/events/${eventId}/live`;
  const heard = new Array<number>(count).fill(0);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, j) => new Promise<void>((resolve, reject) => {
      const index = i + j;
      const socket = new WebSocket(`${live}?queueToken=${statusTokens[index]}`);
      socket.on('message', (data) => {
        if (heard[index] === 0 && String(data).includes('"admitted"')) heard[index] = Date.now();
      });
      socket.once('open', () => resolve());
      socket.once('error', reject);
      sockets.push(socket);
    })));
  }
  await sleep(3000);
  await setRate(Math.ceil((count * 60_000) / tickMs));
  const deadline = Date.now() + 30_000;
  while (heard.some((t) => t === 0) && Date.now() < deadline) await sleep(100);
  const ticks = (await sql.query('select through::int as through, admitted_at from queue_admissions where event_id = $1 order by through', [eventId])).rows as { through: number; admitted_at: Date }[];
  // A place no tick reached within the deadline counts as never heard.
  const delays = heard.flatMap((t, i) => {
    const tick = ticks.find((admission) => admission.through >= i + 1);
    return t > 0 && tick ? [t - tick.admitted_at.getTime()] : [];
  }).sort((x, y) => x - y);
  const missing = count - delays.length;
  console.log(`fan-out to ${count} sockets (${ticks.length} admitting tick(s)): delivery p50 ${percentile(delays, 0.5)} ms, p99 ${percentile(delays, 0.99)} ms, max ${delays.at(-1)} ms${missing ? `, ${missing} never heard` : ''}`);
  for (const socket of sockets) socket.terminate();
}

async function main() {
  if (!masterCounts) {
    const prefix = `bench:${randomBytes(4).toString('hex')}:`;
    try {
      await measure({ label: `one Redis (${redisUrl})`, env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } });
    } finally {
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
    return;
  }
  for (const masters of masterCounts) {
    const cluster = await startRedisCluster({ masters, replicas });
    try {
      await measure({
        label: `Redis Cluster of ${masters} master(s), ${replicas} replica(s) each`,
        env: { REDIS_URL: '', REDIS_CLUSTER_NODES: cluster.seeds, REDIS_WAIT_REPLICAS: replicas > 0 ? '1' : '0' },
        cluster,
      });
    } finally {
      await cluster.stop();
    }
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
