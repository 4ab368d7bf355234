/**
 * A deploy must not hurt a sale in progress. Three nodes behind a real nginx (the simulator's
 * deployment, bench/simulate/cluster.ts) carry steady load: buyers waiting in an event's line with a
 * live socket each and polling their place, new buyers joining, and shoppers of another event holding
 * and paying or releasing. Each node in turn gets SIGTERM and is replaced. Afterwards: no answer >= 500
 * and no connection error reached a client, every old node exited 0 within its bound, every live
 * socket on a restarted node was told to reconnect (1012), did, and found its place unchanged, and
 * the stock accounting is exact.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type Client } from '../bench/simulate/client.js';
import { startDeployment, type Deployment } from '../bench/simulate/cluster.js';
import { adminToken, seedCrowd } from '../bench/simulate/sale.js';
import { openPostgres, type Database } from '../src/db/database.js';
import { sectionAccounting } from '../src/features/inventory/availability.js';
import { accountedUnits } from './support/accounting.js';
import { adminUrl } from './support/postgres.js';
import { redisUrl } from './support/queue.js';

const nodes = 3;
const waiting = 24;
const joiners = 40;
const shoppers = 12;
const drainMs = 4_000;

let deployment: Deployment;
let db: Database;
let client: Client;
/** The load's loops end their round when this turns false (no request is cut half-way: its effect is counted). */
let running = true;
const stopLoad = new AbortController();

async function api(method: string, path: string, body: unknown, token: string): Promise<any> {
  const answer = await client.call('seats', method, `/api/v1${path}`, { token, body });
  if (answer.status >= 300) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function createEvent(token: string, queued: boolean): Promise<{ id: string; sectionId: string }> {
  const venue = await api('POST', '/venues', { name: 'Rolling Arena', city: 'Porto' }, token);
  const event = await api('POST', '/events', {
    title: queued ? 'Rolling restart: the line' : 'Rolling restart: the shop',
    venueId: venue.id, startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), currency: 'EUR', status: 'published',
    maxTicketsPerOrder: 2, maxTicketsPerUser: null, maxHoldsPerUser: 1,
    sections: [{ name: 'Floor', price: 4500, capacity: 100_000 }],
    onsale: {
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      // One shopper at a time, for longer than the test: the first in line is admitted and shows up,
      // and everyone behind keeps their place, so a place seen after a reconnect must equal the one before.
      ...(queued ? { queue: { enabled: true, admitPerMinute: 60, maxActiveShoppers: 1, stockAware: false, shoppingWindowSeconds: 3600, arrivalGraceSeconds: 3600 } } : {}),
    },
  }, token);
  return { id: event.id, sectionId: event.sections[0].id };
}

/** A buyer in line with a live socket that reconnects (same token) whenever it closes, until the load stops. */
interface Watcher {
  token: string;
  queueToken: string;
  /** Positions reported over the live socket, per socket opened (one list per connection). */
  positionsBySocket: number[][];
  restartCloses: number;
  otherCloses: number[];
  socketErrors: string[];
  socket?: WebSocket;
}

function watch(wsBase: string, eventId: string, watcher: Watcher): void {
  if (!running) return;
  const positions: number[] = [];
  watcher.positionsBySocket.push(positions);
  const socket = new WebSocket(`${wsBase}/api/v1/events/${eventId}/live?queueToken=${encodeURIComponent(watcher.queueToken)}`);
  watcher.socket = socket;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; position?: number };
    if (message.type === 'queue' && typeof message.position === 'number') positions.push(message.position);
  });
  socket.on('error', (error) => watcher.socketErrors.push(error.message));
  socket.on('close', (code) => {
    if (!running) return;
    if (code === 1012) watcher.restartCloses++;
    else watcher.otherCloses.push(code);
    watch(wsBase, eventId, watcher);
  });
}

/** Every answer the clients saw, by step and status (or `network`, `timeout`), summed over the run. */
function answers(): Record<string, number> {
  const total: Record<string, number> = {};
  for (const bucket of client.buckets.values()) for (const [key, n] of Object.entries(bucket.answers)) total[key] = (total[key] ?? 0) + n;
  return total;
}

/** Holds and pays (or, one time in four, releases) over and over; returns the tickets it bought. */
async function shop(token: string, eventId: string, sectionId: string): Promise<number> {
  let bought = 0;
  for (let round = 0; running; round++) {
    const quantity = 1 + (round % 2);
    const hold = await client.call('hold', 'POST', '/api/v1/holds', { token, body: { eventId, sectionId, quantity }, headers: { 'idempotency-key': randomUUID() } });
    if (hold.status !== 201) continue;
    if (round % 4 === 3) {
      await client.call('release', 'DELETE', `/api/v1/holds/${hold.body.id}`, { token });
      continue;
    }
    const paid = await client.call('checkout', 'POST', `/api/v1/holds/${hold.body.id}/checkout`, { token, body: { payment: { cardNumber: '4242424242424242' } } });
    if (paid.status === 200 || paid.status === 201) bought += quantity;
    else await client.call('release', 'DELETE', `/api/v1/holds/${hold.body.id}`, { token });
    await client.call('seats', 'GET', `/api/v1/events/${eventId}`);
  }
  return bought;
}

beforeAll(async () => {
  deployment = await startDeployment({
    nodes, postgresUrl: adminUrl, redisUrl,
    env: { ARGON2_MEMORY_KIB: '1024', SHUTDOWN_DRAIN_MS: String(drainMs), MIGRATE_ON_START: 'false' },
  });
  db = await openPostgres(deployment.databaseUrl, 2);
  client = createClient({ baseUrl: deployment.url, t0: Date.now(), timeoutMs: 30_000, signal: stopLoad.signal, sleep });
}, 400_000);

afterAll(async () => {
  running = false;
  stopLoad.abort();
  client?.close();
  await db?.close();
  await deployment?.stop();
});

describe('a rolling restart under load', () => {
  it('restarts three nodes behind nginx one by one: no failed request, every live socket back in its place, stock exact', async () => {
    const { secrets } = deployment;
    const admin = await adminToken(deployment.url, secrets.adminEmail, secrets.adminPassword);
    const line = await createEvent(admin, true);
    const shopEvent = await createEvent(admin, false);
    const env = { JWT_SECRET: secrets.jwtSecret, ACCESS_TOKEN_TTL_SECONDS: '86400', ARGON2_MEMORY_KIB: '1024' };
    const buyers = await seedCrowd(db, env, 1 + waiting + joiners + shoppers);
    const [front, ...rest] = buyers.map((b) => b.accessToken);
    const inLine = rest.slice(0, waiting);
    const late = rest.slice(waiting, waiting + joiners);
    const shopping = rest.slice(waiting + joiners);

    // The front of the line takes the one shopper place and shows up; the rest wait behind it.
    const first = await api('POST', `/events/${line.id}/queue`, undefined, front!);
    await expect.poll(async () => (await client.call('status', 'GET', `/api/v1/events/${line.id}/queue`, { headers: { 'x-queue-token': first.queueToken } })).body?.state).toBe('admitted');
    const wsBase = deployment.url.replace(/^http/, 'ws');
    const watchers: Watcher[] = [];
    for (const token of inLine) {
      const joined = await api('POST', `/events/${line.id}/queue`, undefined, token);
      const watcher: Watcher = { token, queueToken: joined.queueToken, positionsBySocket: [], restartCloses: 0, otherCloses: [], socketErrors: [] };
      watchers.push(watcher);
      watch(wsBase, line.id, watcher);
    }
    await expect.poll(() => watchers.every((w) => w.positionsBySocket[0]!.length > 0)).toBe(true);

    // Steady load: status polls from the line, a new joiner every 250 ms, shoppers buying.
    const polling = Promise.all(watchers.map(async (w) => {
      while (running) {
        await client.call('status', 'GET', `/api/v1/events/${line.id}/queue`, { headers: { 'x-queue-token': w.queueToken } });
        await sleep(300);
      }
    }));
    const joining = (async () => {
      for (const token of late) {
        if (!running) break;
        await client.call('join', 'POST', `/api/v1/events/${line.id}/queue`, { token });
        await sleep(250);
      }
    })();
    const buying = Promise.all(shopping.map((token) => shop(token, shopEvent.id, shopEvent.sectionId)));

    const exitCodes: (number | null)[] = [];
    for (let i = 0; i < nodes; i++) {
      await sleep(1500);
      exitCodes.push(await deployment.restartNode(i));
    }
    await sleep(1500);
    running = false;
    const [bought] = await Promise.all([buying.then((counts) => counts.reduce((a, b) => a + b, 0)), polling, joining]);
    for (const w of watchers) w.socket?.close();

    const reconnects = watchers.reduce((n, w) => n + w.restartCloses, 0);
    console.log(`rolling restart: ${JSON.stringify(answers())} over ${client.buckets.size} s; ${bought} tickets bought; ${reconnects} live-socket reconnects`);
    expect(exitCodes).toEqual([0, 0, 0]);
    // Every answer a client saw, by step and status: nothing >= 500, no connection error or timeout.
    const seen = answers();
    const failed = Object.entries(seen).filter(([key]) => /\s(5\d\d|network|timeout)\b/.test(key));
    // On a failure, nginx's own account of it (a reset before the answer, a refused connection) says which edge of the drain was hit.
    expect(failed, `${JSON.stringify(seen)}\nnginx:\n${failed.length ? await deployment.balancerLog() : ''}`).toEqual([]);
    expect(seen['checkout 201'] ?? 0).toBeGreaterThan(0);
    expect(seen['join 201'] ?? 0).toBeGreaterThan(0);

    // Every live socket on a restarted node was told to reconnect, and each one did and kept its place.
    expect(watchers.flatMap((w) => w.socketErrors)).toEqual([]);
    expect(watchers.flatMap((w) => w.otherCloses)).toEqual([]);
    expect(watchers.every((w) => w.restartCloses >= 1)).toBe(true);
    for (const w of watchers) {
      expect(w.positionsBySocket.length).toBe(w.restartCloses + 1);
      const positions = w.positionsBySocket.flat();
      expect(new Set(positions).size, `positions of one place: ${positions.join(',')}`).toBe(1);
      expect(w.positionsBySocket.at(-1)!.length).toBeGreaterThan(0);
    }

    // The shop's stock: exactly what the shoppers bought is sold, and every unit is accounted for.
    const [floor] = await sectionAccounting(db, shopEvent.id);
    expect(floor!.sold).toBe(bought);
    expect(accountedUnits(floor!)).toBe(floor!.capacity);
  }, 900_000);
});
