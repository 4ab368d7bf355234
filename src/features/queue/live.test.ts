import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { deleteRedisPrefix, redisUrl, testRedisPrefix, testSecret } from '../../../test/support/queue.js';
import { waitFor } from '../../../test/support/wait.js';
import { createAccessTokens } from '../auth/tokens.js';

const tickMs = 500;
const clients = 2000;

interface Client {
  socket: WebSocket;
  token: string;
  connectedAt: number;
  admittedSeenAt?: number;
  messages: { type: string; state?: string; position?: number | null }[];
}

function connect(url: string, token?: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url}${token ? `?queueToken=${encodeURIComponent(token)}` : ''}`);
    const client: Client = { socket, token: token ?? '', connectedAt: 0, messages: [] };
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      client.messages.push(message);
      if (message.state === 'admitted' && client.admittedSeenAt === undefined) client.admittedSeenAt = Date.now();
    });
    socket.once('open', () => {
      client.connectedAt = Date.now();
      resolve(client);
    });
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
}

describe('live queue updates over WebSocket (PostgreSQL + Redis)', () => {
  let app: TestApp;
  let event: any;
  let live: string;
  const sockets: Client[] = [];
  beforeAll(async () => {
    app = await startTestApp('postgres', { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: testRedisPrefix(), QUEUE_TICK_MS: String(tickMs), QUEUE_TOKEN_SECRET: testSecret, QUEUE_JOIN_IP_LIMIT_PER_MINUTE: '1000000' });
    // Admit almost nobody until every client is connected, then open the gate.
    event = await app.createEvent({ onsale: { startsAt: new Date(Date.now() - 60_000).toISOString(), queue: { enabled: true, admitPerMinute: 1, stockAware: false } }, sections: [{ name: 'Floor', price: 100, capacity: 1_000_000 }] });
    live = `${app.url.replace('http', 'ws')}/api/v1/events/${event.id}/live`;
  }, 120_000);
  afterAll(async () => {
    for (const client of sockets) client.socket.terminate();
    await app?.close();
    if (app) await deleteRedisPrefix(app.server.context.config.redisKeyPrefix);
  });

  it(`${clients} clients each learn of their admission, never before it, and a reconnecting client keeps its place`, async () => {
    const accessTokens = createAccessTokens(app.server.context.config.jwtSecret, 3600);
    const queueTokens: string[] = [];
    for (let i = 0; i < clients; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, () =>
        app.request('POST', `/api/v1/events/${event.id}/queue`, { token: accessTokens.sign({ userId: randomUUID(), role: 'buyer' }) })));
      for (const reply of batch) {
        expect(reply.status).toBe(201);
        queueTokens.push(reply.body.queueToken);
      }
    }
    for (let i = 0; i < clients; i += 200) sockets.push(...(await Promise.all(queueTokens.slice(i, i + 200).map((t) => connect(live, t)))));
    // Every socket hears its place (at least every heartbeat) before the gate opens.
    const heardPlace = (c: Client) => c.messages.some((m) => m.type === 'queue' && m.state === 'waiting');
    expect(await waitFor(async () => sockets.filter(heardPlace).length, (n) => n === clients)).toBe(clients);

    const waiting = sockets.at(-1)!;
    const lastPosition = waiting.messages.filter((m) => m.type === 'queue').at(-1)!.position!;
    expect(lastPosition).toBeGreaterThan(1000);
    waiting.socket.close();
    const again = await connect(live, waiting.token);
    sockets.push(again);
    await waitFor(async () => again.messages, (messages) => messages.some((m) => m.type === 'queue'));
    expect(again.messages.find((m) => m.type === 'queue')).toMatchObject({ state: 'waiting', position: lastPosition });

    const patched = await app.request('PATCH', `/api/v1/events/${event.id}`, { token: app.adminToken, body: { onsale: { startsAt: new Date(Date.now() - 60_000).toISOString(), queue: { enabled: true, admitPerMinute: 48_000, stockAware: false } } } });
    expect(patched.status).toBe(200);
    const current = sockets.filter((c) => c !== waiting);
    const admittedHeard = async () => current.filter((c) => c.admittedSeenAt !== undefined).length;
    expect(await waitFor(admittedHeard, (n) => n === current.length)).toBe(current.length);

    // Each admission's time is the advancer's record of the tick that admitted the place.
    const ticks = (await app.db.query<{ through: number; at: Date }>('select through::int as through, admitted_at as at from queue_admissions where event_id = $1 order by through', [event.id])).rows;
    const admittedAt = (position: number) => ticks.find((t) => t.through >= position)!.at.getTime();
    const status = await Promise.all(current.map((c) => app.request('GET', `/api/v1/events/${event.id}/queue`, { headers: { 'x-queue-token': c.token } })));
    expect(status.map((s) => s.body.state)).toEqual(Array(current.length).fill('admitted'));
    const delays = current.map((c) => {
      const place = c.messages.find((m) => m.type === 'queue' && m.state === 'waiting')?.position;
      expect(place).toBeTypeOf('number'); // every client heard its place while waiting
      return c.admittedSeenAt! - admittedAt(place!); // nobody was admitted before the gate opened: position = place
    }).sort((a, b) => a - b);
    const p99 = delays[Math.floor(delays.length * 0.99)]!;
    console.log(`live admission delivery: p50 ${delays[Math.floor(delays.length / 2)]} ms, p99 ${p99} ms, max ${delays.at(-1)} ms over ${delays.length} clients`);
    // Nobody hears of an admission before the tick that made it. How soon after is a figure for an
    // idle machine (two ticks; docs/benchmarks.md), not a bound a busy one can promise, so it is printed.
    expect(delays[0]).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it('streams availability without a token, and refuses a forged token before upgrading', async () => {
    // A client with a place in this room hears its status at every heartbeat: two of them have
    // passed once it has heard two more, and the watcher, without a token, must have heard none.
    const placed = sockets.find((c) => c.token)!;
    const heardBefore = placed.messages.length;
    const watcher = await connect(live);
    sockets.push(watcher);
    await waitFor(async () => placed.messages.length, (n) => n >= heardBefore + 2);
    expect(await waitFor(async () => watcher.messages.find((m) => m.type === 'availability'), Boolean)).toMatchObject({ sections: [{ id: event.sections[0].id, available: 1_000_000 }] });
    expect(watcher.messages.filter((m) => m.type === 'queue')).toEqual([]);
    await expect(connect(live, 'forged.token')).rejects.toThrow('HTTP 401');
    await expect(connect(`${app.url.replace('http', 'ws')}/api/v1/events/${randomUUID()}/live`)).rejects.toThrow('HTTP 404');
  });
});

describe('live updates to a buyer waiting in line (PostgreSQL + Redis)', () => {
  let app: TestApp;
  afterAll(async () => {
    await app?.close();
    if (app) await deleteRedisPrefix(app.server.context.config.redisKeyPrefix);
  });

  it('send a moving position about every 5 s, not every tick, and the admission when it comes', async () => {
    app = await startTestApp('postgres', { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: testRedisPrefix(), QUEUE_TICK_MS: String(tickMs), QUEUE_TOKEN_SECRET: testSecret, QUEUE_JOIN_IP_LIMIT_PER_MINUTE: '1000000' });
    // Two admissions a second: the place of the last of 40 moves at every tick for 20 s.
    const event = await app.createEvent({ onsale: { startsAt: new Date(Date.now() - 60_000).toISOString(), queue: { enabled: true, admitPerMinute: 120, stockAware: false } }, sections: [{ name: 'Floor', price: 100, capacity: 1_000 }] });
    const accessTokens = createAccessTokens(app.server.context.config.jwtSecret, 3600);
    let lastToken = '';
    for (let i = 0; i < 40; i++) {
      const reply = await app.request('POST', `/api/v1/events/${event.id}/queue`, { token: accessTokens.sign({ userId: randomUUID(), role: 'buyer' }) });
      expect(reply.status).toBe(201);
      lastToken = reply.body.queueToken;
    }
    const client = await connect(`${app.url.replace('http', 'ws')}/api/v1/events/${event.id}/live`, lastToken);
    try {
      const waitingFrames = () => client.messages.filter((m) => m.type === 'queue' && m.state === 'waiting');
      await waitFor(async () => waitingFrames().length, (n) => n >= 3);
      const listenedMs = Date.now() - client.connectedAt;
      const positions = waitingFrames().map((m) => m.position!);
      // Sent at least 5 s apart, heard within `listenedMs`: at most one per 5 s plus the first, and one
      // more for a frame delivered late. Every tick's position would be two a second.
      expect(positions.length).toBeLessThanOrEqual(Math.floor(listenedMs / 5000) + 2);
      expect(positions).toEqual([...positions].sort((a, b) => b - a));
      expect(new Set(positions).size).toBe(positions.length); // each one a fresh place, nearer the door
      await waitFor(async () => client.admittedSeenAt, Boolean);
    } finally {
      client.socket.terminate();
    }
  }, 120_000);
});
