import { PGlite } from '@electric-sql/pglite';
import { cube } from '@electric-sql/pglite/contrib/cube';
import { earthdistance } from '@electric-sql/pglite/contrib/earthdistance';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import pg from 'pg';
import { withConflictRetries } from './retry.js';
import { limits } from '../limits.js';

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
  /** The pool's connections (PostgreSQL only; PGlite has one, in-process), for the saturation metric. */
  poolUsage?(): PoolUsage;
}

export interface PoolUsage {
  max: number;
  open: number;
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
}

/**
 * How long a session may run one statement, wait for one lock, and sit idle inside a transaction,
 * so nothing waits on PostgreSQL forever. Set on every pooled connection; migrations raise the
 * statement and lock bounds for their own transactions (see migrate.ts).
 */
export interface SessionTimeouts {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

export const defaultSessionTimeouts: SessionTimeouts = {
  statementTimeoutMs: limits.statementTimeoutMsDefault,
  lockTimeoutMs: limits.lockTimeoutMsDefault,
  idleInTransactionTimeoutMs: limits.idleInTransactionTimeoutMsDefault,
};

export function openDatabase(options: { databaseUrl?: string | undefined; dataDir: string; poolSize: number; session: SessionTimeouts }): Promise<Database> {
  // PGlite gets no session bounds: it has one session, so no lock can be waited for and no
  // transaction can be left open by another, and its WebAssembly build does not enforce
  // statement_timeout (a pg_sleep(1) under a 200 ms timeout completes).
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize, options.session) : openPglite(options.dataDir);
}

export async function openPostgres(connectionString: string, poolSize: number, session: SessionTimeouts = defaultSessionTimeouts): Promise<Database> {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    application_name: 'onsale',
    // Sent in the startup message, so every connection the pool opens has them from its first statement.
    statement_timeout: session.statementTimeoutMs,
    lock_timeout: session.lockTimeoutMs,
    idle_in_transaction_session_timeout: session.idleInTransactionTimeoutMs,
    // Waiting for a free connection (or a new one) is bounded too; past it the request gets a 503.
    connectionTimeoutMillis: limits.dbConnectionWaitMsMax,
  });
  // A connection can be cut at any time (server restart, failover, pg_terminate_backend). An idle
  // client's error reaches the pool, which drops the client. A checked-out client emits it on
  // itself, and an 'error' event without a listener ends the process; the statement running on it
  // fails with the same error anyway, a later one with "not queryable", and the pool drops the
  // client when it is released. So both listeners only have to exist.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
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
    poolUsage: () => ({ max: poolSize, open: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
  return withConflictRetries(database);
}

/**
 * The embedded default: PostgreSQL compiled to WebAssembly, in this process. One connection, so
 * transactions run one at a time; row locks and constraints behave exactly as on a server.
 * `dataDir` undefined or 'memory://' keeps everything in memory (tests).
 */
export async function openPglite(dataDir?: string): Promise<Database> {
  // The contrib extensions search uses (migration 010), the same ones a PostgreSQL server ships.
  const db = await PGlite.create({
    ...(dataDir && dataDir !== 'memory://' ? { dataDir } : {}),
    extensions: { cube, earthdistance, pg_trgm, unaccent },
  });
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
