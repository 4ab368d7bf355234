/**
 * Nothing a hold waits for waits forever: a section lock held too long ends the wait with a 503,
 * and a section's queue of waiting hold requests has a bound past which requests are refused at once.
 * A test connection holds the section's row lock, so what queues behind it is known exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, startTestApp, type Reply, type TestApp } from '../../../test/support/app.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Holds the section's row lock until the returned function is called. */
async function lockSection(testApp: TestApp, sectionId: string): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holding = testApp.db.transaction(async (tx) => {
    await tx.query('select 1 from sections where id = $1 for update', [sectionId]);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await holding;
  };
}

/** Waits (with a generous bound) until `count` sessions of the test's database wait for a lock. */
async function awaitLockWaiters(testApp: TestApp, count: number): Promise<void> {
  for (let waited = 0; waited < 20_000; waited += 20) {
    const { rows } = await testApp.db.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
    );
    if (rows[0]!.n >= count) return;
    await sleep(20);
  }
  throw new Error(`fewer than ${count} sessions waited for a lock`);
}

const expectUnavailable = (reply: Reply) => {
  expect(reply.status).toBe(503);
  expect(reply.body.error.code).toBe('unavailable');
  expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
};

describe('bounded waits for holds', () => {
  it('answers 503 with Retry-After, not 500, when a hold waits for its section past lock_timeout', async () => {
    app = await startTestApp('postgres', { PG_LOCK_TIMEOUT_MS: '200' });
    const event = await app.createEvent();
    const sectionId = event.sections[0].id;
    const buyer = await app.registerBuyer();
    const unlock = await lockSection(app, sectionId);
    // Without a lock timeout the hold would wait for as long as the lock is held: release it after a
    // while so that the test then fails on the status instead of hanging.
    const unlockLater = setTimeout(() => void unlock(), 10_000);
    const reply = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId, quantity: 1 } });
    clearTimeout(unlockLater);
    await unlock();
    expectUnavailable(reply);
    expect((await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId, quantity: 1 } })).status).toBe(201);
  }, 60_000);

  it('refuses hold requests past the section queue bound with 503 and Retry-After, and serves those queued', async () => {
    app = await startTestApp('postgres', { HOLD_QUEUE_LENGTH_MAX: '3' });
    const event = await app.createEvent();
    const sectionId = event.sections[0].id;
    const buyers = await app.registerBuyers(7);
    const hold = (token: string) => app!.request('POST', '/api/v1/holds', { token, body: { eventId: event.id, sectionId, quantity: 1 } });
    const unlock = await lockSection(app, sectionId);

    const first = hold(buyers[0]!.token);
    await awaitLockWaiters(app, 1);
    const settled: Reply[] = [];
    const rest = buyers.slice(1).map((buyer) => hold(buyer.token).then((reply) => (settled.push(reply), reply)));
    // Three wait in the queue; the other three are refused at once.
    for (let waited = 0; settled.length < 3 && waited < 10_000; waited += 20) await sleep(20);
    const refusedAtOnce = [...settled];
    await unlock();
    const replies = [await first, ...(await Promise.all(rest))];

    expect(refusedAtOnce).toHaveLength(3);
    refusedAtOnce.forEach(expectUnavailable);
    expect(replies.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 503, 503, 503]);
    expect((await app.request('GET', `/api/v1/events/${event.id}`)).body.sections[0].available).toBe(96);
  }, 60_000);
});
