import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { limits } from '../limits.js';
import type { Database } from './database.js';

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant shared by every node: concurrent starts queue on it instead of racing.
const migrationLockKey = 7_300_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(): Promise<Migration[]> {
  const files = (await readdir(migrationsDir)).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: await readFile(migrationsDir + file, 'utf8'),
    })),
  );
}

/** Applies every migration not yet applied, each in its own transaction. Returns the versions applied. */
export async function migrate(db: Database): Promise<number[]> {
  await db.exec('create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())');
  const applied: number[] = [];
  for (const migration of await loadMigrations()) {
    const ran = await db.transaction(async (tx) => {
      // The pool's bounds are for requests. A migration may build an index over a whole table, and
      // a node that starts while another migrates waits for it on the advisory lock below.
      await tx.query("select set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)", [
        String(limits.migrationStatementTimeoutMs),
        String(limits.migrationLockTimeoutMs),
      ]);
      await tx.query('select pg_advisory_xact_lock($1)', [migrationLockKey]);
      const done = await tx.query('select 1 from schema_migrations where version = $1', [migration.version]);
      if (done.rowCount > 0) return false;
      // Statements of a migration run one by one: PGlite's extended protocol takes one per call.
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [migration.version, migration.name]);
      return true;
    });
    if (ran) applied.push(migration.version);
  }
  return applied;
}

/** Splits a migration on semicolons at line ends. Migrations keep to that form (no function bodies). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
