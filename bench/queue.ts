/**
 * Waiting-room benchmark on one node (see docs/benchmarks.md, "Waiting room").
 *   npx tsx bench/queue.ts [--seconds 10] [--connections 100] [--sockets 10000] [--cpu-prof DIR]
 * Starts one server process (PostgreSQL + Redis), then from this process:
 *   1. a trivial route (GET /healthz), joins (POST /events/:id/queue, a new account each) and status
 *      checks (GET /events/:id/queue), each for --seconds with autocannon, trivial route measured
 *      again after, to report each queue figure as a ratio of the trivial one in the same run;
 *   2. WebSocket fan-out: --sockets clients wait in line, then one admission tick lets them all in;
 *      reports how long each took to hear it (from the tick's recorded time).
 * --cpu-prof DIR writes the server's V8 CPU profile there (open it in Chrome DevTools or speedscope).
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { createAccessTokens } from '../src/features/auth/tokens.js';
import { createQueueTokens } from '../src/features/queue/tokens.js';
import { createTestDatabase } from '../test/support/postgres.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '100' }, sockets: { type: 'string', default: '10000' }, 'cpu-prof': { type: 'string' } } });
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const socketCount = Number(values.sockets);
const jwtSecret = randomBytes(24).toString('hex');
const queueSecret = randomBytes(24).toString('hex');
const tickMs = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const freePort = () => new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function main() {
  const database = await createTestDatabase();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prefix = `bench:${randomBytes(4).toString('hex')}:`;
  const profiling = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
  const server = spawn(process.execPath, [...profiling, '--import', 'tsx', 'src/cli.ts', 'serve'], {
    env: {
      ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: database.url, PG_POOL_SIZE: '10',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: prefix, QUEUE_TICK_MS: String(tickMs),
      QUEUE_TOKEN_SECRET: queueSecret, JWT_SECRET: jwtSecret, SEED_DEMO: 'false', LOG_LEVEL: 'error', ADMIN_EMAIL: 'admin@example.test',
      ADMIN_PASSWORD: 'admin-password', AUTH_IP_LIMIT_PER_MINUTE: '10000000', QUEUE_JOIN_IP_LIMIT_PER_MINUTE: '10000000', QUEUE_JOIN_LIMIT_PER_MINUTE: '1000000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const sql = new pg.Client({ connectionString: database.url });
  try {
    while (!(await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) await sleep(200);
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
    const statusTokens = Array.from({ length: 10_000 }, (_, i) => queueTokens.sign({ eventId: event.id, userId: randomUUID(), seq: i + 1, issuedAt: Date.now() }));

    const run = async (title: string, path: string, options: Record<string, unknown> = {}) => {
      const result = await autocannon({ url: url + path, connections, duration: seconds, ...options } as autocannon.Options);
      const non2xx = result.non2xx + result.errors;
      console.log(`${title}: ${Math.round(result.requests.average)} req/s, latency p50 ${result.latency.p50} ms p99 ${result.latency.p99} ms${non2xx ? `, ${non2xx} non-2xx/errors` : ''}`);
      return result.requests.average;
    };
    let b = 0;
    let s = 0;
    const trivial1 = await run('trivial GET /healthz', '/healthz');
    const joins = await run('join POST /events/:id/queue (new account each)', `/api/v1/events/${event.id}/queue`, {
      method: 'POST',
      requests: [{ setupRequest: (request: any) => ({ ...request, headers: { ...request.headers, authorization: buyers[b++ % buyers.length] } }) }],
    });
    const status = await run('status GET /events/:id/queue', `/api/v1/events/${event.id}/queue`, {
      requests: [{ setupRequest: (request: any) => ({ ...request, headers: { ...request.headers, 'x-queue-token': statusTokens[s++ % statusTokens.length] } }) }],
    });
    const trivial2 = await run('trivial GET /healthz (again)', '/healthz');
    const trivial = (trivial1 + trivial2) / 2;
    console.log(`ratios to the trivial route: joins ${(joins / trivial).toFixed(2)}, status ${(status / trivial).toFixed(2)} (${b} join requests sent)`);

    // Fan-out: every socket waits, then one tick admits them all.
    const issued = Number((await sql.query('select seq_reserved from queue_state where event_id = $1', [event.id])).rows[0].seq_reserved);
    const count = Math.min(socketCount, issued);
    const live = `${url.replace('http', 'ws')}/api/v1/events/${event.id}/live`;
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
    await call('PATCH', `/api/v1/events/${event.id}`, admin, { onsale: onsale(Math.ceil((count * 60_000) / tickMs)) });
    const deadline = Date.now() + 30_000;
    while (heard.some((t) => t === 0) && Date.now() < deadline) await sleep(100);
    const ticks = (await sql.query('select through::int as through, admitted_at from queue_admissions where event_id = $1 order by through', [event.id])).rows as { through: number; admitted_at: Date }[];
    const delays = heard.map((t, i) => t - ticks.find((tick) => tick.through >= i + 1)!.admitted_at.getTime()).filter((d) => Number.isFinite(d)).sort((x, y) => x - y);
    const missing = heard.filter((t) => t === 0).length;
    console.log(`fan-out to ${count} sockets (${ticks.length} admitting tick(s)): delivery p50 ${percentile(delays, 0.5)} ms, p99 ${percentile(delays, 0.99)} ms, max ${delays.at(-1)} ms${missing ? `, ${missing} never heard` : ''}`);
    for (const socket of sockets) socket.terminate();
  } finally {
    server.kill('SIGTERM');
    await sql.end().catch(() => undefined);
    await sleep(500);
    await database.drop();
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
