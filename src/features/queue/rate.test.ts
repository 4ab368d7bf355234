import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestApp, type TestApp } from '../../../test/support/app.js';
import { deleteRedisPrefix, redisUrl, testRedisPrefix, testSecret } from '../../../test/support/queue.js';

/**
 * Acceptance 3 in real time (the conformance suite proves the arithmetic on a simulated clock): with
 * admitPerMinute 600, the running server's timed ticks admit 10 people a second (about 100 in 10 s
 * when its timers run on time; a busy machine only makes some ticks late, and those admit no more).
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

  it('admits at 600 per minute on the wall clock: each tick what the time since the last one earned, a late one at most two ticks\' worth', async () => {
    const event = await app.createEvent({
      sections: [{ name: 'Floor', price: 1000, capacity: 5000 }],
      onsale: { startsAt: new Date(Date.now() - 1000).toISOString(), queue: { enabled: true, admitPerMinute: 600 } },
    });
    const buyers = await app.registerBuyers(300);
    for (const buyer of buyers) expect((await app.request('POST', `/api/v1/events/${event.id}/queue`, { token: buyer.token })).status).toBe(201);
    await sleep(10_000);

    // The advancer logs each admitting tick with the time it admitted by, so the rate is checked on
    // its own clock: a tick the timers ran late (a busy machine) may admit less, never more.
    const ticks = (await app.db.query<{ through: number; at: Date }>(
      'select through::int as through, admitted_at as at from queue_admissions where event_id = $1 order by through', [event.id],
    )).rows;
    const perMs = 600 / 60_000;
    const steps = ticks.slice(1).map((tick, i) => ({ admitted: tick.through - ticks[i]!.through, sinceLastMs: tick.at.getTime() - ticks[i]!.at.getTime(), lineLeft: tick.through < 300 }));
    for (const step of steps) expect(step.admitted).toBeLessThanOrEqual(2 * perMs * tickMs);
    const onTime = steps.filter((step) => step.sinceLastMs <= 2 * tickMs && step.lineLeft);
    expect(onTime.length).toBeGreaterThanOrEqual(3);
    // Whole places: a fraction of one carries over to the next tick.
    for (const step of onTime) expect(Math.abs(step.admitted - step.sinceLastMs * perMs)).toBeLessThanOrEqual(1);
    const spanMs = ticks.at(-1)!.at.getTime() - ticks[0]!.at.getTime();
    console.log(`admitted ${ticks.at(-1)!.through - ticks[0]!.through} in ${spanMs} ms at 600 per minute; ${onTime.length} of ${steps.length} ticks on time`);
  }, 60_000);
});
