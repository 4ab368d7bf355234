import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandling } from '../../http/errors.js';
import { createRedisClient, type RedisClient, type RedisTarget } from '../../redis/client.js';
import { redisUrl } from '../../../test/support/queue.js';
import { startRedisCluster, type RedisCluster } from '../../../test/support/redis-cluster.js';
import { rateLimitPlugin } from './plugin.js';


/** One app per store: counters in this process, in one Redis, or in a Redis Cluster, shared by every node. */
const stores = ['memory', 'redis', 'redis-cluster'] as const;

describe.each(stores)('rate limits (%s counters)', (store) => {
  let redis: RedisClient | undefined;
  let cluster: RedisCluster | undefined;
  let target: RedisTarget | undefined;
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    if (store === 'redis-cluster') cluster = await startRedisCluster({ masters: 3 });
    target = store === 'redis' ? { url: redisUrl } : cluster ? { clusterNodes: cluster.seeds } : undefined;
  });
  afterAll(() => cluster?.stop());
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await redis?.close();
    redis = undefined;
  });

  /** A node with one route limited per IP (3 a minute) and per `x-account` header (5 a minute). */
  async function node(keyPrefix: string) {
    const app = Fastify();
    installErrorHandling(app);
    await app.register(rateLimitPlugin, { redis: redis?.redis, keyPrefix });
    app.get('/limited', {
      preHandler: app.limitRate('Slow down.', [
        { scope: 'ip', perMinute: 3, key: (request) => String(request.headers['x-ip']) },
        { scope: 'account', perMinute: 5, key: (request) => String(request.headers['x-account']) },
      ]),
    }, async () => ({ ok: true }));
    apps.push(app);
    return app;
  }

  const hit = (app: FastifyInstance, ip: string, account: string) => app.inject({ url: '/limited', headers: { 'x-ip': ip, 'x-account': account } });

  it('answers 429 with Retry-After and the error shape once any limit is over, per key', async () => {
    if (target) redis = createRedisClient(target);
    const app = await node(`test:${randomUUID()}:`);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await hit(app, 'ip-1', `account-${i}`)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);

    const refused = await hit(app, 'ip-1', 'account-9');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    expect(refused.json()).toMatchObject({ error: { code: 'too_many_requests', message: 'Slow down.', details: { retryAfterSeconds: expect.any(Number) } } });
    // Another IP is counted apart; the account limit (5) still binds across IPs.
    const accountStatuses = [];
    for (let i = 0; i < 6; i++) accountStatuses.push((await hit(app, `ip-${i + 10}`, 'shared')).statusCode);
    expect(accountStatuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it.runIf(store !== 'memory')('counts across nodes sharing Redis, and apart for another key prefix', async () => {
    redis = createRedisClient(target!);
    const prefix = `test:${randomUUID()}:`;
    const [a, b, other] = [await node(prefix), await node(prefix), await node(`test:${randomUUID()}:`)];
    const statuses = [];
    for (const app of [a, b, a, b]) statuses.push((await hit(app, 'ip-x', randomUUID())).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await hit(other, 'ip-x', randomUUID())).statusCode).toBe(200);
  });

  it.runIf(store === 'redis-cluster')('spreads the counters over the masters by IP and by account (each key is tagged by what it counts)', async () => {
    redis = createRedisClient(target!);
    const prefix = `test:${randomUUID()}:`;
    const app = await node(prefix);
    for (let i = 0; i < 30; i++) expect((await hit(app, `ip-${randomUUID()}`, randomUUID())).statusCode).toBe(200);
    const perMaster = await Promise.all(cluster!.nodes.map((n) => cluster!.connect(n.port)).map(async (direct) => {
      const count = (await direct.keys(`${prefix}*`)).length;
      direct.disconnect();
      return count;
    }));
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(60);
    expect(perMaster.every((count) => count > 0)).toBe(true);
  });
});
