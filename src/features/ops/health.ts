import type { Queryable } from '../../db/database.js';

/** Readiness: the database answers a trivial query. */
export async function databaseAnswers(db: Queryable): Promise<boolean> {
  try {
    await db.query('select 1');
    return true;
  } catch {
    return false;
  }
}
