import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestApp, type TestApp } from '../../../test/support/app.js';
import { deleteRedisPrefix, redisUrl, testRedisPrefix, testSecret } from '../../../test/support/queue.js';

/**
 * Acceptance 3 in real time (the conformance suite proves the arithmetic on a simulated clock): with
 * admitPerMinute 600, the running server admits about 100 people in 10 seconds.
 */
describe('admission rate on the wall clock', () => {
  let app: TestApp;
  const tickMs = 500;
  beforeAll(async () => {
    app = await startTestApp('postgres', { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: testRedisPrefix(), QUEUE_TOKEN_SECRET: testSecret, QUEUE_TICK_MS: String(tickMs) });
  });
  afterAll(async () => {
    await app?.close();
    if (app) await deleteRedisPrefix(app.server.context.config.redisKeyPrefix);
  });

  it('admits about 100 in 10 seconds at 600 per minute, within one tick\'s worth', async () => {
    const event = await app.createEvent({
      sections: [{ name: 'Floor', price: 1000, capacity: 5000 }],
      onsale: { startsAt: new Date(Date.now() - 1000).toISOString(), queue: { enabled: true, admitPerMinute: 600 } },
    });
    const buyers = await app.registerBuyers(300);
    for (const buyer of buyers) expect((await app.request('POST', `/api/v1/events/${event.id}/queue`, { token: buyer.token })).status).toBe(201);
    const admittedThrough = async () => (await app.request('GET', `/api/v1/events/${event.id}/stats`, { token: app.adminToken })).body.queue.admittedThrough as number;
    const before = await admittedThrough();
    const started = Date.now();
    await sleep(10_000);
    const after = await admittedThrough();
    const elapsedSeconds = (Date.now() - started) / 1000;
    const expected = (600 / 60) * elapsedSeconds;
    const oneTick = (600 / 60) * (tickMs / 1000);
    expect(after).toBeLessThan(300);
    // Admission moves in whole ticks, and each of the two readings may land just before or after one:
    // the admitted count is within one tick's worth at each end of the measured window.
    expect(Math.abs(after - before - expected)).toBeLessThanOrEqual(2 * oneTick + 1);
  }, 60_000);
});
