import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

/**
 * Vitest's worker reads the replies to its own RPC calls only when the event loop turns; more than
 * 60 s without a turn (a long PGlite-bound test on a busy machine) fails the whole run with
 * "Timeout calling onTaskUpdate", though every test passed.
 */
describe('the PGlite test app', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite');
  });
  afterAll(() => app?.close());

  it('lets the event loop turn during a long run of queries and in-process requests', async () => {
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    for (let i = 0; i < 100; i++) {
      await app.db.query('select count(*) from events');
      expect((await app.request('GET', '/api/v1/events')).status).toBe(200);
    }
    counting = false;
    expect(turns).toBeGreaterThanOrEqual(100);
  });
});
