import { setTimeout as sleep } from 'node:timers/promises';
import { limits } from '../limits.js';
import type { Database } from './database.js';
import { pgErrorCode, pgErrorCodes } from './pg-errors.js';

/** PostgreSQL aborted the transaction so that others could go on: running it again is the remedy. */
const isConflict = (error: unknown): boolean => {
  const code = pgErrorCode(error);
  return code === pgErrorCodes.deadlockDetected || code === pgErrorCodes.serializationFailure;
};

/**
 * Runs `transaction` again when PostgreSQL aborted it for a deadlock or a serialization failure, up to
 * `limits.transactionAttemptsMax` runs in all, after a short random pause that grows with each attempt
 * (so the transactions that collided do not collide again in step). The last failure is thrown, and
 * the error handler answers 503. The lock order (inventory/stock.ts) keeps the known paths free of
 * deadlocks; this is the net for the rest. Each run must be a whole transaction: it starts from scratch.
 */
export async function retryConflicts<T>(transaction: () => Promise<T>, attemptsMax = limits.transactionAttemptsMax): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= attemptsMax || !isConflict(error)) throw error;
      await sleep(Math.random() * limits.transactionRetryPauseMsMax * attempt);
    }
  }
}

/** The database with every transaction run through `retryConflicts`. */
export function withConflictRetries(db: Database): Database {
  return { ...db, transaction: (work) => retryConflicts(() => db.transaction(work)) };
}
