import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { withConflictRetries } from './retry.js';

/** Something that runs one SQL statement with positional ($1, $2, …) parameters. */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

declare const inTransaction: unique symbol;
/**
 * A connection inside an open transaction. Functions that lock rows take a `Tx`, so the type
 * system refuses to call them outside one (a lock taken in autocommit is released at once).
 */
export type Tx = Queryable & { readonly [inTransaction]: true };

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `work` in one READ COMMITTED transaction: commits if it resolves, rolls back if it throws.
   * On PostgreSQL a run aborted for a deadlock or a serialization failure is run again (db/retry.ts),
   * so `work` must do nothing outside the database.
   */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (migrations). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

export function openDatabase(options: { databaseUrl?: string | undefined; dataDir: string; poolSize: number }): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize) : openPglite(options.dataDir);
}

export async function openPostgres(connectionString: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString, max: poolSize, application_name: 'onsale' });
  // An idle client can lose its connection (server restart); the pool replaces it, so log nothing fatal.
  pool.on('error', () => undefined);
  await pool.query('select 1');
  const run = async <Row>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]) => {
    const result = await client.query(sql, params as unknown[] | undefined);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  };
  const database: Database = {
    kind: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work({ query: (sql, params) => run(client, sql, params) } as Tx);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async exec(script) {
      await pool.query(script);
    },
    close: () => pool.end(),
  };
  return withConflictRetries(database);
}

/**
 * The embedded default: PostgreSQL compiled to WebAssembly, in this process. One connection, so
 * transactions run one at a time; row locks and constraints behave exactly as on a server.
 * `dataDir` undefined or 'memory://' keeps everything in memory (tests).
 */
export async function openPglite(dataDir?: string): Promise<Database> {
  const db = await PGlite.create(dataDir && dataDir !== 'memory://' ? dataDir : undefined);
  const run = async <Row>(client: Pick<PGlite, 'query'>, sql: string, params?: readonly unknown[]) => {
    const result = await client.query<Row>(sql, params as unknown[] | undefined);
    // affectedRows counts INSERT/UPDATE/DELETE; a SELECT reports 0 there, so fall back to its rows.
    return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
  };
  return {
    kind: 'pglite',
    query: (sql, params) => run(db, sql, params),
    transaction: (work) => db.transaction((tx) => work({ query: (sql, params) => run(tx, sql, params) } as Tx)),
    async exec(script) {
      await db.exec(script);
    },
    close: () => db.close(),
  };
}
