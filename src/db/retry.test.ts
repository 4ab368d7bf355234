import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestPostgres } from '../../test/support/postgres.js';
import { limits } from '../limits.js';
import type { Database, Tx } from './database.js';
import { pgErrorCode } from './pg-errors.js';

describe('transactions aborted by PostgreSQL to break a conflict (postgres)', () => {
  let database: { db: Database; drop(): Promise<void> };
  beforeAll(async () => {
    database = await openTestPostgres(4);
    await database.db.exec('create table retry_rows (id int primary key, n int not null); insert into retry_rows values (1, 0), (2, 0);');
  });
  afterAll(() => database?.drop());

  it('runs the transaction PostgreSQL chose as the deadlock victim again, so both sides commit', async () => {
    const { db } = database;
    let bothLockedFirst!: () => void;
    const barrier = new Promise<void>((resolve) => {
      let waiting = 2;
      bothLockedFirst = () => (--waiting === 0 ? resolve() : undefined);
    });
    let runs = 0;
    // Each locks one row, waits until the other has locked the other row, then wants it: a deadlock.
    const crossing = (first: number, second: number) => db.transaction(async (tx: Tx) => {
      runs++;
      await tx.query('update retry_rows set n = n + 1 where id = $1', [first]);
      if (runs <= 2) {
        bothLockedFirst();
        await barrier;
      }
      await tx.query('update retry_rows set n = n + 1 where id = $1', [second]);
    });
    await Promise.all([crossing(1, 2), crossing(2, 1)]);
    expect(runs).toBe(3);
    const { rows } = await db.query<{ n: number }>('select n from retry_rows order by id');
    expect(rows.map((r) => r.n)).toEqual([2, 2]);
  });

  it('gives up after the bounded number of runs and throws the failure', async () => {
    let runs = 0;
    const failure = await database.db.transaction(async (tx) => {
      runs++;
      await tx.query(`do $$ begin raise exception 'conflict' using errcode = 'serialization_failure'; end $$`);
    }).catch((error: unknown) => error);
    expect(pgErrorCode(failure)).toBe('40001');
    expect(runs).toBe(limits.transactionAttemptsMax);
  });

  it('does not run a transaction again for any other failure', async () => {
    let runs = 0;
    const failure = await database.db.transaction(async (tx) => {
      runs++;
      await tx.query('insert into retry_rows values (1, 0)');
    }).catch((error: unknown) => error);
    expect(pgErrorCode(failure)).toBe('23505');
    expect(runs).toBe(1);
  });
});
