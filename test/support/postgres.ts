import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgres, type Database, type SessionTimeouts } from '../../src/db/database.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';

/** The local PostgreSQL server the integration tests use (trust auth on this machine and in CI). */
export const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const urlFor = (database: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A template database migrated once per schema version; each test file clones it (fast). */
async function templateName(): Promise<string> {
  const migrations = await loadMigrations();
  const digest = createHash('sha256').update(migrations.map((m) => m.sql).join('\n')).digest('hex').slice(0, 12);
  return `onsale_template_${digest}`;
}

export async function ensureTemplate(): Promise<string> {
  const name = await templateName();
  const exists = await withAdmin((c) => c.query('select 1 from pg_database where datname = $1', [name]));
  if (exists.rowCount) return name;
  const building = `${name}_building_${randomBytes(3).toString('hex')}`;
  await withAdmin((c) => c.query(`create database ${building}`));
  const db = await openPostgres(urlFor(building), 2);
  await migrate(db);
  await db.close();
  await withAdmin(async (c) => {
    // Another run may have finished the same template meanwhile; either copy is as good.
    await c.query(`alter database ${building} rename to ${name}`).catch(() => c.query(`drop database ${building}`));
  });
  return name;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file, so files run in parallel. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = await ensureTemplate();
  const name = `onsale_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`create database ${name} template ${template}`));
  return {
    url: urlFor(name),
    name,
    drop: () => withAdmin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

export async function openTestPostgres(poolSize = 10, session?: SessionTimeouts): Promise<{ db: Database; drop(): Promise<void> }> {
  const database = await createTestDatabase();
  const db = await openPostgres(database.url, poolSize, session);
  return {
    db,
    async drop() {
      await db.close();
      await database.drop();
    },
  };
}
