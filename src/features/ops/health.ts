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

/**
 * Whether the node is on its way out (SIGTERM, src/server.ts): readiness fails, so the balancer stops
 * choosing it, and each open connection is closed after its next answer.
 */
export interface Lifecycle {
  draining: boolean;
}

export const createLifecycle = (): Lifecycle => ({ draining: false });
