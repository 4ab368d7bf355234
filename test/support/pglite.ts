import { setImmediate as turnOfTheEventLoop } from 'node:timers/promises';
import { openPglite, type Database } from '../../src/db/database.js';

/**
 * An in-memory PGlite whose every query first lets the event loop turn. PGlite runs in this thread
 * and answers through promises alone, so a long run of queries (a fuzz property, a thousand joins)
 * never lets the loop turn otherwise: on a busy machine Vitest's worker then reads its own RPC
 * replies more than 60 s late and fails the run ("Timeout calling onTaskUpdate").
 */
export async function openTestPglite(): Promise<Database> {
  const db = await openPglite();
  return {
    kind: db.kind,
    async query(sql, params) {
      await turnOfTheEventLoop();
      return db.query(sql, params);
    },
    async transaction(work) {
      await turnOfTheEventLoop();
      return db.transaction(work);
    },
    exec: (script) => db.exec(script),
    close: () => db.close(),
  };
}
