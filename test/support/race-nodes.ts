/**
 * Server processes on one fresh PostgreSQL database, for the races a single process cannot show: each
 * process batches a section's holds one transaction at a time, so only across processes do
 * transactions compete and only the database's locks stand between them.
 */
import { openPostgres, type Database } from '../../src/db/database.js';
import { createTestDatabase } from './postgres.js';
import { call, killServers, serve, type ServeProcess } from './serve.js';

export interface RaceNodes {
  processes: ServeProcess[];
  /** A small pool of the test's own, to read the outcome. */
  db: Database;
  /** The database's URL, for more connections of the test's own. */
  databaseUrl: string;
  /** The process for the i-th request: requests go round the processes. */
  node(i: number): ServeProcess;
  close(): Promise<void>;
}

export async function startRaceNodes(admin: { email: string; password: string }, jwtSecret: string, count = 3): Promise<RaceNodes> {
  const database = await createTestDatabase();
  const env = {
    NODE_ENV: 'test', DATABASE_URL: database.url, PG_POOL_SIZE: '5', SEED_DEMO: 'false', ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password,
    JWT_SECRET: jwtSecret, AUTH_IP_LIMIT_PER_MINUTE: '1000000',
  };
  const processes: ServeProcess[] = [];
  // One after another: each creates the admin account when it starts, if it is missing.
  for (let i = 0; i < count; i++) processes.push(await serve(env));
  const db = await openPostgres(database.url, 2);
  return {
    processes,
    db,
    databaseUrl: database.url,
    node: (i) => processes[i % processes.length]!,
    async close() {
      killServers();
      await db.close();
      await database.drop();
    },
  };
}

/** The admin's access token and `count` buyers' (`<prefix>-<i>@example.test`), registered round the processes. */
export async function raceAccounts(nodes: RaceNodes, admin: { email: string; password: string }, prefix: string, count: number): Promise<{ adminToken: string; tokens: string[] }> {
  const token = (reply: { status: number; body: any }, what: string) => {
    if (reply.status !== 200 && reply.status !== 201) throw new Error(`${what}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.accessToken as string;
  };
  const adminToken = token(await call(nodes.node(0).url, 'POST', '/api/v1/auth/login', admin), 'admin login');
  const tokens = await Promise.all(Array.from({ length: count }, async (_, i) =>
    token(await call(nodes.node(i).url, 'POST', '/api/v1/auth/register', { email: `${prefix}-${i}@example.test`, password: 'correct horse', name: `Racer ${i}` }), `register ${i}`)));
  return { adminToken, tokens };
}

/** A published event a week ahead, at a venue of its own, with no per-buyer caps (the races set their own). */
export async function createRaceEvent(nodes: RaceNodes, adminToken: string, title: string, sections: unknown[]): Promise<any> {
  const url = nodes.node(0).url;
  const venue = (await call(url, 'POST', '/api/v1/venues', { name: 'Race Hall', city: 'Porto' }, adminToken)).body;
  const created = await call(url, 'POST', '/api/v1/events', {
    title, venueId: venue.id, startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), currency: 'EUR', status: 'published',
    maxHoldsPerUser: null, maxTicketsPerUser: null, sections,
  }, adminToken);
  if (created.status !== 201) throw new Error(`create event: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body;
}
