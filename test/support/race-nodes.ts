/**
 * Server processes on one fresh PostgreSQL database, for the races a single process cannot show: each
 * process batches a section's holds one transaction at a time, so only across processes do
 * transactions compete and only the database's locks stand between them.
 */
import { openPostgres, type Database } from '../../src/db/database.js';
import { createTestDatabase } from './postgres.js';
import { killServers, serve, type ServeProcess } from './serve.js';

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
