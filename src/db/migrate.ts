import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { limits } from '../limits.js';
import type { Database, Queryable } from './database.js';

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

/** The database was migrated by a newer release than this one: its code may not read what is stored. */
export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
}

export interface SchemaVersions {
  /** The newest migration applied to the database (0 for an empty one). */
  database: number;
  /** The newest migration this release ships. */
  release: number;
  /** This release's migrations the database lacks. */
  pending: number[];
}

const schemaTableExists = "select to_regclass('schema_migrations') is not null as present";

export async function schemaVersions(db: Queryable): Promise<SchemaVersions> {
  const migrations = await loadMigrations();
  const { rows: [table] } = await db.query<{ present: boolean }>(schemaTableExists);
  const applied = table!.present ? (await db.query<{ version: number }>('select version from schema_migrations')).rows.map((row) => row.version) : [];
  return {
    database: Math.max(0, ...applied),
    release: Math.max(0, ...migrations.map((m) => m.version)),
    pending: migrations.map((m) => m.version).filter((version) => !applied.includes(version)),
  };
}

/**
 * Refuses a schema newer than this release knows (a rollback past a migration, or an old node started
 * after the new release migrated: undo the migration or run the new release), whether the node
 * migrates itself or not. Migrations only expand the schema until a later release contracts it
 * (docs/deploy.md), so the release before still runs on the schema of the one after while a rolling
 * restart goes on; the check stops a node of a release older still.
 */
export function assertSchemaKnown(versions: SchemaVersions): void {
  if (versions.database > versions.release) {
    throw new SchemaTooNewError(`The database schema is at version ${versions.database}, newer than this release knows (${versions.release}). Run the release that migrated it, or a newer one.`);
  }
}

/**
 * Applies every migration not yet applied, each in its own transaction, up to `through` (all by
 * default). Returns the versions applied.
 */
export async function migrate(db: Database, { through = Infinity }: { through?: number } = {}): Promise<number[]> {
  await db.exec('create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())');
  assertSchemaKnown(await schemaVersions(db));
  const applied: number[] = [];
  for (const migration of (await loadMigrations()).filter((m) => m.version <= through)) {
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
