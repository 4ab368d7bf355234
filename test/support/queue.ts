import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createRedisClient, type RedisClient, type RedisTarget } from '../../src/redis/client.js';
import { startRedisCluster } from './redis-cluster.js';
import { createKeys } from '../../src/redis/keys.js';
import { createPostgresStore } from '../../src/features/queue/postgres-store.js';
import { createPlaceMapping } from '../../src/features/queue/queue.js';
import { createRedisStore } from '../../src/features/queue/redis-store.js';
import type { QueueStore } from '../../src/features/queue/store.js';
import { openTestPglite } from './pglite.js';
import { openTestPostgres } from './postgres.js';
import { defaultOrganizationId } from '../../src/features/auth/access.js';

export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const testSecret = 'queue-test-secret-0123456789abcdef-fixed';
/** A key prefix of this test's own, so it can flush only its keys. */
export const testRedisPrefix = () => `test:${randomBytes(4).toString('hex')}:`;

/** Deletes every key under a test's prefix (an app's keys outlive it otherwise). */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(redisUrl);
  const keys = await client.keys(`${prefix}*`);
  if (keys.length) await client.del(...keys);
  client.disconnect();
}

/** `redis-cluster`: a Redis Cluster of three masters this fixture starts on free loopback ports and stops. */
export type StoreBackend = 'redis' | 'redis-cluster' | 'postgres' | 'pglite';
export const storeBackends: StoreBackend[] = ['redis', 'redis-cluster', 'postgres', 'pglite'];
export const isRedisBackend = (backend: StoreBackend) => backend === 'redis' || backend === 'redis-cluster';

export interface StoreFixture {
  db: Database;
  store: QueueStore;
  mapping: ReturnType<typeof createPlaceMapping>;
  redis?: RedisClient;
  prefix: string;
  /** Deletes every Redis key of this fixture, as a Redis restart without persistence would. */
  flushRedis(): Promise<void>;
  /** A second store on the same data (another node). */
  anotherNode(): QueueStore;
  close(): Promise<void>;
}

/**
 * The stores of one backend on a fresh database. `redis`: a Redis target of the caller's (a cluster
 * it started, with its own WAIT setting) instead of the default for the backend.
 */
export async function openStoreFixture(backend: StoreBackend, seqBlock = 64, redis?: RedisTarget): Promise<StoreFixture> {
  const database = backend === 'pglite' ? await (async () => { const db = await openTestPglite(); await migrate(db); return { db, drop: () => db.close() }; })() : await openTestPostgres(4);
  const { db } = database;
  const mapping = createPlaceMapping(testSecret);
  const prefix = testRedisPrefix();
  const cluster = backend === 'redis-cluster' && !redis ? await startRedisCluster({ masters: 3 }) : undefined;
  const target = redis ?? (cluster ? { clusterNodes: cluster.seeds } : { url: redisUrl });
  const clients: RedisClient[] = [];
  const make = (): QueueStore => {
    if (!isRedisBackend(backend)) return createPostgresStore(db, mapping.seqOfIndex);
    const client = createRedisClient(target);
    clients.push(client);
    return createRedisStore({ client, keys: createKeys(prefix), db, ...mapping, seqBlock });
  };
  const store = make();
  const flushRedis = async () => {
    const client = clients[0];
    if (!client) return;
    // One key at a time: on a cluster a DEL of several keys must name keys of one slot.
    await Promise.all((await client.keys(`${prefix}*`)).map((key) => client.redis.del(key)));
  };
  return {
    db,
    store,
    mapping,
    ...(clients[0] ? { redis: clients[0] } : {}),
    prefix,
    flushRedis,
    anotherNode: make,
    async close() {
      await flushRedis().catch(() => undefined);
      await Promise.all(clients.map((c) => c.close()));
      await cluster?.stop();
      await database.drop();
    },
  };
}

/** A published event with one GA section, inserted directly (store tests need no HTTP). */
export async function insertEvent(db: Database, options: { capacity?: number; maxTicketsPerOrder?: number } = {}): Promise<{ eventId: string; sectionId: string }> {
  const venue = await db.query<{ id: string }>(`insert into venues (name, city, organization_id) values ('Hall', 'Porto', $1) returning id`, [defaultOrganizationId]);
  const eventId = randomUUID();
  await db.query(
    `insert into events (id, venue_id, title, starts_at, currency, status, max_tickets_per_order, organization_id)
     values ($1, $2, 'Queue test', now() + interval '7 days', 'EUR', 'published', $3, $4)`,
    [eventId, venue.rows[0]!.id, options.maxTicketsPerOrder ?? 8, defaultOrganizationId],
  );
  const section = await db.query<{ id: string }>(
    `insert into sections (event_id, name, kind, price, capacity, available, position) values ($1, 'Floor', 'ga', 1000, $2, $2, 1) returning id`,
    [eventId, options.capacity ?? 1_000_000],
  );
  return { eventId, sectionId: section.rows[0]!.id };
}

/** Spearman's rank correlation of two permutations of 1..n. */
export function spearman(a: number[], b: number[]): number {
  const n = a.length;
  const d2 = a.reduce((sum, x, i) => sum + (x - b[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}
