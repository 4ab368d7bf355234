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

  it('admits at 600 per minute on the wall clock: never more than the time since the first admission earned plus two ticks\' worth, and keeps admitting', async () => {
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
    const burst = 2 * perMs * tickMs;
    // Never faster than the rate: from the first admitting tick on, the line has moved at most what the
    // time since earned plus the bucket's two ticks' worth, however the timers ran. (Exact tick-by-tick
    // arithmetic is proven on a simulated clock in the conformance suite; a busy machine only makes
    // ticks late, and a late tick admits less, never more.)
    const excess = ticks.map((tick) => tick.through - ticks[0]!.through - (tick.at.getTime() - ticks[0]!.at.getTime()) * perMs);
    expect(excess.filter((over) => over > burst)).toEqual([]);
    // And it did move: several ticks admitted people while the line lasted.
    const admittingTicks = ticks.slice(1).filter((tick, i) => tick.through > ticks[i]!.through);
    expect(admittingTicks.length).toBeGreaterThanOrEqual(3);
    const spanMs = ticks.at(-1)!.at.getTime() - ticks[0]!.at.getTime();
    console.log(`admitted ${ticks.at(-1)!.through - ticks[0]!.through} in ${spanMs} ms at 600 per minute over ${admittingTicks.length} admitting ticks`);
  }, 60_000);
});
