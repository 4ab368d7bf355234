import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { connect } from '../server.js';
import { sleep } from '../../test/support/app.js';
import { adminUrl, createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { openPostgres, type Database } from './database.js';
import { isConnectionFailure, isTransientDbError, pgErrorCode, pgErrorCodes } from './pg-errors.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

/** Runs one statement on a connection of its own, outside any pool under test. */
async function asAdmin<T>(work: (client: pg.Client) => Promise<T>, url = adminUrl): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const failureOf = (work: Promise<unknown>) => work.then(() => undefined, (error: unknown) => error);

describe('PostgreSQL session bounds', () => {
  it('sets statement_timeout, lock_timeout and idle_in_transaction_session_timeout on every pool connection', async () => {
    const db = await connect(loadConfig({ DATABASE_URL: database.url, PG_POOL_SIZE: '3' }));
    try {
      const show = async (queryable: Pick<Database, 'query'>) =>
        (await queryable.query<Record<string, string>>(
          `select current_setting('statement_timeout') as statement, current_setting('lock_timeout') as lock,
                  current_setting('idle_in_transaction_session_timeout') as idle`,
        )).rows[0];
      // Three at once, so three different connections of the pool answer.
      const slowly = async (tx: Pick<Database, 'query'>) => {
        await sleep(20);
        return show(tx);
      };
      const seen = await Promise.all([show(db), db.transaction(show), db.transaction(slowly)]);
      expect(seen).toEqual(Array(3).fill({ statement: '30s', lock: '10s', idle: '1min' }));
    } finally {
      await db.close();
    }
  });

  it('ends a statement that runs past statement_timeout with a try-again error', async () => {
    const db = await openPostgres(database.url, 1, { statementTimeoutMs: 100, lockTimeoutMs: 100, idleInTransactionTimeoutMs: 1000 });
    try {
      const error = await failureOf(db.query('select pg_sleep(5)'));
      expect(pgErrorCode(error)).toBe(pgErrorCodes.queryCanceled);
      expect(isTransientDbError(error)).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('ends a session left idle in a transaction, and the pool carries on with a new connection', async () => {
    const db = await openPostgres(database.url, 1, { statementTimeoutMs: 1000, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 100 });
    try {
      const error = await failureOf(db.transaction(async (tx) => {
        await tx.query('select 1');
        await sleep(1000);
        await tx.query('select 1');
      }));
      expect(error).toBeDefined();
      expect(isConnectionFailure(error)).toBe(true);
      expect((await db.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});

describe('cut connections', () => {
  it('fails a transaction whose connection is cut, without an unhandled error, and reconnects', async () => {
    const db = await openPostgres(database.url, 2);
    try {
      const error = await failureOf(db.transaction(async (tx) => {
        await tx.query('select pg_terminate_backend(pg_backend_pid())');
      }));
      expect(pgErrorCode(error)).toBe(pgErrorCodes.adminShutdown);
      expect(isConnectionFailure(error)).toBe(true);
      expect((await db.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('survives connections cut while checked out between statements and while idle in the pool', async () => {
    const db = await openPostgres(database.url, 4);
    try {
      let cut = 0;
      const error = await failureOf(db.transaction(async (tx) => {
        await tx.query('select 1');
        // Every connection of this database, the one this transaction holds included.
        cut = await asAdmin(async (c) => (await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [database.name])).rowCount ?? 0);
        // Give the pool time to notice the cut on its idle connections before using it again.
        await sleep(200);
        await tx.query('select 1');
      }));
      expect(cut).toBeGreaterThan(0);
      expect(isConnectionFailure(error)).toBe(true);
      const again = await Promise.all(Array.from({ length: 4 }, () => db.transaction((tx) => tx.query('select 1 as one'))));
      expect(again.map((r) => r.rows)).toEqual(Array(4).fill([{ one: 1 }]));
    } finally {
      await db.close();
    }
  });
});

describe('naming connection failures', () => {
  it('counts admin shutdowns, connection exceptions, pg\'s own connection errors and a full pool as connection failures', () => {
    const withCode = (code: string) => Object.assign(new Error('x'), { code });
    for (const code of ['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '25P03', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE']) {
      expect(isConnectionFailure(withCode(code)), code).toBe(true);
    }
    for (const message of ['Connection terminated unexpectedly', 'Connection terminated', 'Client has encountered a connection error and is not queryable', 'timeout exceeded when trying to connect']) {
      expect(isConnectionFailure(new Error(message)), message).toBe(true);
    }
    for (const error of [withCode('23505'), withCode('40001'), new Error('something else'), 'Connection terminated', undefined]) {
      expect(isConnectionFailure(error)).toBe(false);
    }
  });
});
