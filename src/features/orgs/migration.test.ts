/**
 * Migration 013 on a database that holds data at migration 012 (the previous release's fixture, at
 * version 8, migrated on to 012): every row of every table is still there with every column it had,
 * and the venues and events belong to the default organization, owned by the platform admin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Database } from '../../db/database.js';
import { migrate } from '../../db/migrate.js';
import { adminUrl, withAdmin } from '../../../test/support/postgres.js';
import { defaultOrganizationId } from '../auth/access.js';
import { loadPreviousRelease } from '../../../test/support/previous-release.js';

const name = `onsale_orgs_migration_${process.pid}`;
const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
let db: Database;

beforeAll(async () => {
  await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`).then(() => c.query(`create database ${name}`)));
  db = await openPostgres(url, 2);
});

afterAll(async () => {
  await db.close();
  await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
});

/** Per table: its row count and a digest of every row over the columns it has now. */
async function snapshot(columnsOf: Map<string, string[]>): Promise<Record<string, { rows: number; digest: string }>> {
  const result: Record<string, { rows: number; digest: string }> = {};
  for (const [table, columns] of columnsOf) {
    const list = columns.map((c) => `"${c}"`).join(', ');
    const { rows: [row] } = await db.query<{ rows: number; digest: string }>(
      `select count(*)::int as rows, md5(coalesce(string_agg(r::text, '|' order by r::text), '')) as digest from (select ${list} from "${table}") r`,
    );
    result[table] = row!;
  }
  return result;
}

async function currentColumns(): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ table: string; column: string }>(
    `select table_name as table, column_name as column from information_schema.columns
      where table_schema = 'public' and table_name <> 'schema_migrations' order by table_name, ordinal_position`,
  );
  const columns = new Map<string, string[]>();
  for (const { table, column } of rows) columns.set(table, [...(columns.get(table) ?? []), column]);
  return columns;
}

describe('migration 013 (organizations)', () => {
  it('moves every venue and event to the default organization and loses no row or value', async () => {
    await migrate(db, { through: 8 });
    await loadPreviousRelease(url);
    await migrate(db, { through: 12 });
    const columnsBefore = await currentColumns();
    const before = await snapshot(columnsBefore);
    expect(before.venues!.rows).toBeGreaterThan(0);
    expect(before.events!.rows).toBeGreaterThan(0);
    expect(before.orders!.rows).toBeGreaterThan(0);

    expect(await migrate(db, { through: 13 })).toEqual([13]);
    expect(await snapshot(columnsBefore)).toEqual(before);

    const { rows: [moved] } = await db.query<{ venues: number; events: number }>(
      `select (select count(*)::int from venues where organization_id = $1) as venues, (select count(*)::int from events where organization_id = $1) as events`,
      [defaultOrganizationId],
    );
    expect(moved).toEqual({ venues: before.venues!.rows, events: before.events!.rows });
    const owners = await db.query<{ email: string; role: string }>(
      'select u.email, m.role from memberships m join users u on u.id = m.user_id where m.organization_id = $1',
      [defaultOrganizationId],
    );
    expect(owners.rows).toEqual([{ email: 'admin@example.test', role: 'owner' }]);
    // Existing orders are sales, numbered.
    const orders = await db.query<{ kind: string; numbered: boolean }>('select distinct kind, number is not null as numbered from orders');
    expect(orders.rows).toEqual([{ kind: 'sale', numbered: true }]);
  });
});
