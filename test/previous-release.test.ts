/**
 * Migrations applied to a database that holds the previous release's data (test/fixtures/
 * previous-release.sql: schema version 8, a seeded on-sale with paid orders and a lapsed hold): every
 * later migration applies, the stored accounts, orders and tickets read back through the API, the
 * lapsed hold is swept and the stock accounting stays exact. Then the schema checks a node makes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openPostgres, type Database } from '../src/db/database.js';
import { loadMigrations, migrate, schemaVersions } from '../src/db/migrate.js';
import { sectionAccounting } from '../src/features/inventory/availability.js';
import { createLogger, startServer, type RunningServer } from '../src/server.js';
import { accountedUnits } from './support/accounting.js';
import { adminUrl, withAdmin } from './support/postgres.js';
import { call } from './support/serve.js';
import { loadPreviousRelease } from './support/previous-release.js';

const previousRelease = 8;
const name = `onsale_previous_${process.pid}`;
const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
let db: Database;
let server: RunningServer | undefined;

const env = { DATABASE_URL: url, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', SWEEP_INTERVAL_MS: '100', ADMIN_EMAIL: 'admin@example.test', ADMIN_PASSWORD: 'admin-password' };

beforeAll(async () => {
  await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`).then(() => c.query(`create database ${name}`)));
  db = await openPostgres(url, 4);
});

afterAll(async () => {
  await server?.close();
  await db.close();
  await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
});

describe("the migrations on the previous release's data", () => {
  it("apply, and the release reads the previous one's accounts, orders and stock", async () => {
    expect(await migrate(db, { through: previousRelease })).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await loadPreviousRelease(url);
    const later = (await loadMigrations()).map((m) => m.version).filter((v) => v > previousRelease);
    expect(later.length).toBeGreaterThan(0);
    expect(await migrate(db)).toEqual(later);

    const config = loadConfig({ ...env, MIGRATE_ON_START: 'false' });
    server = await startServer(config, { db });
    const events = (await call(server.url, 'GET', '/api/v1/events')).body.items;
    expect(events).toHaveLength(1);
    for (const buyer of [0, 1, 2]) {
      const login = await call(server.url, 'POST', '/api/v1/auth/login', { email: `prev-${buyer}@example.test`, password: 'prev-password' });
      expect(login.status).toBe(200);
      const orders = (await call(server.url, 'GET', '/api/v1/orders', undefined, login.body.accessToken)).body.items;
      expect(orders).toHaveLength(1);
      expect(orders[0]).toMatchObject({ status: 'confirmed' });
      expect(orders[0].tickets).toHaveLength(2);
    }
    // The fourth buyer's hold lapsed long ago: the sweeper returns it, and every unit is accounted for.
    await expect.poll(async () => (await db.query<{ n: number }>("select count(*)::int as n from holds where status = 'active'")).rows[0]!.n).toBe(0);
    // Buyers 0 and 2 paid for two reserved seats each, buyer 1 for two general-admission tickets.
    const sections = await sectionAccounting(db, events[0].id);
    expect(sections.map((s) => [s.name, s.sold, s.held])).toEqual([['Reserved', 4, 0], ['General Admission', 2, 0]]);
    for (const section of sections) expect(accountedUnits(section)).toBe(section.capacity);
  });

  it('a node refuses a schema newer than it knows, and warns about an older one it was not asked to migrate', async () => {
    await server?.close();
    server = undefined;
    const versions = await schemaVersions(db);
    expect(versions.pending).toEqual([]);

    const newer = versions.release + 1;
    await db.query("insert into schema_migrations (version, name) values ($1, 'from_a_newer_release')", [newer]);
    await expect(startServer(loadConfig(env), { db })).rejects.toThrow(new RegExp(`schema is at version ${newer}, newer than this release knows \\(${versions.release}\\)`));
    await expect(migrate(db)).rejects.toThrow(/newer than this release knows/);
    await db.query('delete from schema_migrations where version >= $1', [versions.release]);

    const lines: string[] = [];
    const log = createLogger({ logLevel: 'warn', env: 'test' }, { write: (line: string) => lines.push(line) });
    server = await startServer(loadConfig({ ...env, MIGRATE_ON_START: 'false' }), { db, log });
    const warning = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => String(line['msg']).includes('run `onsale migrate`'));
    expect(warning).toMatchObject({ releaseVersion: versions.release, pending: [versions.release] });
    expect(warning!['schemaVersion']).toBeLessThan(versions.release);
  });
});
