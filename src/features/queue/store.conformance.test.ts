import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvent, isRedisBackend, openStoreFixture, spearman, storeBackends, type StoreFixture } from '../../../test/support/queue.js';
import { waitFor } from '../../../test/support/wait.js';
import { createAdvancer, type AdvancedEvent } from './advancer.js';
import { advanceWatermark, readQueueRow } from './state.js';
import type { QueueSettings } from './settings.js';
import type { PlaceRef, QueueStore } from './store.js';

const log = pino({ level: 'silent' });
const tickMs = 200;
const seqBlock = 64;

const settings = (overrides: Partial<QueueSettings> = {}): QueueSettings => ({
  enabled: true,
  preQueueOpensAt: null,
  admitPerMinute: 60_000,
  maxActiveShoppers: null,
  stockAware: false,
  stockBasis: 'max',
  stockHeadroomPercent: 0,
  // Off unless a test is about the tail, so the per-order rule is what the stock-aware tests see.
  stockTailShoppers: 0,
  shoppingWindowSeconds: 600,
  arrivalGraceSeconds: Math.min(120, overrides.shoppingWindowSeconds ?? 600),
  paused: false,
  ...overrides,
});

describe.each(storeBackends)('queue store conformance on %s', (backend) => {
  let fx: StoreFixture;
  /** Who was given each place, so that a test can present a place as its holder would (the token names both). */
  const holders = new Map<string, string>();
  const recordingHolders = (store: QueueStore): QueueStore => ({
    ...store,
    async join(event, userId, presentedSeq) {
      const result = await store.join(event, userId, presentedSeq);
      holders.set(`${event.eventId}:${result.seq}`, userId);
      return result;
    },
  });
  const placeOf = (event: AdvancedEvent, seq: number): PlaceRef => {
    const userId = holders.get(`${event.eventId}:${seq}`);
    if (!userId) throw new Error(`nobody was given place ${seq}`);
    return { userId, seq };
  };
  beforeAll(async () => {
    const opened = await openStoreFixture(backend, seqBlock);
    fx = { ...opened, store: recordingHolders(opened.store), anotherNode: () => recordingHolders(opened.anotherNode()) };
  });
  afterAll(() => fx?.close());

  async function newEvent(overrides: Partial<QueueSettings> = {}, startsAtMs = Date.now() - 1000, stock: { capacity?: number; maxTicketsPerOrder?: number } = {}): Promise<AdvancedEvent> {
    const { eventId } = await insertEvent(fx.db, stock);
    const s = settings(overrides);
    return { eventId, startsAtMs, windowMs: s.shoppingWindowSeconds * 1000, graceMs: s.arrivalGraceSeconds * 1000, settings: s, maxTicketsPerOrder: stock.maxTicketsPerOrder ?? 8 };
  }
  const advancer = () => createAdvancer({ db: fx.db, store: fx.store, tickMs, log });
  const joinAll = async (event: AdvancedEvent, users: string[]) => {
    const seqs: number[] = [];
    for (const user of users) seqs.push((await fx.store.join(event, user)).seq);
    return seqs;
  };
  /** Runs ticks on a simulated clock (the rate is about time, not about waiting in a test). */
  async function runTicks(event: AdvancedEvent, ticks: number, a = advancer(), start = Date.now()) {
    let last;
    for (let i = 1; i <= ticks; i++) last = await a.tick(event, start + i * tickMs);
    return last!;
  }
  /**
   * The same event once its sale has opened (the organizer moved the start to a moment ago). Tests
   * join the pre-queue with the start far ahead and then open the sale, so no number of joins has to
   * beat a wall-clock deadline on a busy machine.
   */
  const openSale = (event: AdvancedEvent): AdvancedEvent => ({ ...event, startsAtMs: Date.now() - 1000 });
  /** Asks as the place's holder would (which also marks the holder arrived). */
  const isActive = async (event: AdvancedEvent, seq: number) => (await fx.store.arrive(event, placeOf(event, seq))) !== undefined;

  it('FIFO: 1,000 sequential joiners get places 1..1000 in join order, once each, and are admitted in that order', async () => {
    const event = await newEvent({ admitPerMinute: 30_000 }); // 100 per 200 ms tick
    const users = Array.from({ length: 1000 }, () => randomUUID());
    const seqs = await joinAll(event, users);
    expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect((await fx.store.join(event, users[10]!)).seq).toBe(11); // joining again: same place
    const a = advancer();
    const start = Date.now();
    for (let tick = 1; tick <= 10; tick++) {
      const update = await a.tick(event, start + tick * tickMs);
      expect(update!.admittedThrough).toBe(tick * 100);
      // exactly the first tick*100 joiners are in; the next one is not
      expect(await isActive(event, tick * 100)).toBe(true);
      if (tick < 10) expect(await isActive(event, tick * 100 + 1)).toBe(false);
    }
    const actives = await Promise.all(seqs.map((s) => isActive(event, s)));
    expect(actives.filter(Boolean)).toHaveLength(1000);
  });

  it('paused: the advancer admits nobody however many ticks pass, places are kept, and resuming admits from place 1 at the set rate', async () => {
    const event = await newEvent({ admitPerMinute: 3000, paused: true }); // 10 per 200 ms tick
    const seqs = await joinAll(event, Array.from({ length: 30 }, () => randomUUID()));
    const a = advancer();
    const start = Date.now();
    expect((await runTicks(event, 20, a, start)).admittedThrough).toBe(0);
    expect(await isActive(event, seqs[0]!)).toBe(false);
    const resumed = { ...event, settings: { ...event.settings, paused: false } };
    // No burst of what a paused bucket would have saved up: one tick's worth.
    expect((await a.tick(resumed, start + 21 * tickMs))!.admittedThrough).toBe(10);
    expect([await isActive(event, 10), await isActive(event, 11)]).toEqual([true, false]);
    expect((await a.tick(resumed, start + 22 * tickMs))!.admittedThrough).toBe(20);
  });

  it('one place per account under concurrent joins, and unique places for concurrent different accounts', async () => {
    const event = await newEvent();
    const same = randomUUID();
    const twice = await Promise.all(Array.from({ length: 20 }, () => fx.store.join(event, same)));
    expect(new Set(twice.map((r) => r.seq)).size).toBe(1);
    expect(twice.filter((r) => r.created)).toHaveLength(1);
    const many = await Promise.all(Array.from({ length: 300 }, () => fx.store.join(event, randomUUID())));
    const seqs = many.map((r) => r.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 2));
  });

  it('pre-queue: 1,000 early joiners become a permutation of 1..1000 at the start, uncorrelated with join order; later joiners follow', async () => {
    const event = await newEvent({ admitPerMinute: 30_000 }, Date.now() + 3_600_000);
    const users = Array.from({ length: 1000 }, () => randomUUID());
    const seqs = await Promise.all(users.map((u) => fx.store.join(event, u).then((r) => r.seq)));
    expect((await fx.store.freeze(event)).preQueueSize).toBeNull();
    const started = openSale(event);
    const late = await joinAll(started, [randomUUID(), randomUUID()]);
    const { preQueueSize } = await fx.store.freeze(started);
    expect(preQueueSize).toBe(1000);
    expect((await readQueueRow(fx.db, event.eventId)).preQueueSize).toBe(1000);
    const places = seqs.map((seq) => fx.mapping.indexOfSeq(event.eventId, 1000, seq));
    expect([...places].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // A uniform shuffle of n has Spearman rho ~ N(0, 1/sqrt(n - 1)): 0.032 here. Five standard
    // deviations fails one run in a million by chance, while any ordered draw (rho near 1) fails.
    expect(Math.abs(spearman(seqs, places))).toBeLessThan(5 / Math.sqrt(users.length - 1));
    expect(late.map((seq) => fx.mapping.indexOfSeq(event.eventId, 1000, seq))).toEqual([1001, 1002]);
    // The advancer admits by place: after 1,000 admissions every early joiner is in and the late ones are not.
    await runTicks(started, 10, advancer());
    expect((await Promise.all(seqs.map((s) => isActive(started, s)))).filter(Boolean)).toHaveLength(1000);
    expect(await isActive(started, late[0]!)).toBe(false);
  });

  it('rate: 600 per minute admits 100 in 10 s (simulated clock, 200 ms ticks)', async () => {
    const event = await newEvent({ admitPerMinute: 600 });
    await joinAll(event, Array.from({ length: 300 }, () => randomUUID()));
    const update = await runTicks(event, 50);
    expect(update.admittedThrough).toBeGreaterThanOrEqual(98);
    expect(update.admittedThrough).toBeLessThanOrEqual(102);
  });

  it('capacity: never more than maxActiveShoppers active; each leave lets exactly one more in', async () => {
    const event = await newEvent({ maxActiveShoppers: 50 });
    const users = Array.from({ length: 120 }, () => randomUUID());
    await joinAll(event, users);
    const a = advancer();
    let update = await runTicks(event, 5, a);
    expect(update.admittedThrough).toBe(50);
    expect(await fx.store.activeCount(event, Date.now())).toBe(50);
    for (let i = 0; i < 3; i++) await fx.store.leave(event, users[i]!);
    expect(await fx.store.activeCount(event, Date.now())).toBe(47);
    update = await runTicks(event, 3, a, Date.now() + 10_000);
    expect(update.admittedThrough).toBe(53);
    expect(await fx.store.activeCount(event, Date.now())).toBe(50);
    // a place that left before its turn takes no slot when reached
    await fx.store.leave(event, users[53]!);
    await fx.store.leave(event, users[3]!);
    update = await runTicks(event, 2, a, Date.now() + 20_000);
    expect(update.admittedThrough).toBe(55);
    expect(await fx.store.activeCount(event, Date.now())).toBe(50);
  });

  it.runIf(isRedisBackend(backend))('a place admitted in PostgreSQL but not yet in Redis (an advancer between its two steps, or dead there) reads admitted to a node that sees the watermark', async () => {
    const event = await newEvent();
    const seqs = await joinAll(event, Array.from({ length: 3 }, () => randomUUID()));
    const { preQueueSize } = await fx.store.freeze(event);
    const admittedAt = Date.now();
    // The advancer's first step alone: the watermark commits in PostgreSQL; applying it to Redis waits.
    expect(await advanceWatermark(fx.db, event.eventId, { from: 0, through: 3, admittedAt })).toBe(true);
    // A node whose view has not seen the new watermark yet learns nothing new...
    expect(await fx.store.arrive(event, placeOf(event, seqs[0]!))).toBeUndefined();
    // ...one whose view has sees each place admitted, with its admission's window.
    for (const seq of seqs) {
      expect(await fx.store.arrive(event, placeOf(event, seq), fx.mapping.indexOfSeq(event.eventId, preQueueSize!, seq))).toBe(admittedAt + event.windowMs);
    }
    expect(await fx.store.activeCount(event, Date.now())).toBe(3);
  });

  it('many holders showing up at once (a tick admitting live sockets) are answered and marked arrived as each alone would be', async () => {
    const event = await newEvent({ maxActiveShoppers: 10, arrivalGraceSeconds: 30 });
    const users = Array.from({ length: 20 }, () => randomUUID());
    const seqs = await joinAll(event, users);
    const { preQueueSize } = await fx.store.freeze(event);
    const a = advancer();
    const start = Date.now();
    expect((await runTicks(event, 3, a, start)).admittedThrough).toBe(10);
    const windowEnd = start + tickMs + event.windowMs;
    const admitted = seqs.filter((seq) => fx.mapping.indexOfSeq(event.eventId, preQueueSize!, seq) <= 10);
    const waiting = seqs.filter((seq) => !admitted.includes(seq));
    expect(admitted).toHaveLength(10);
    await fx.store.leave(event, users[seqs.indexOf(admitted[0]!)]!);
    const arrivals = [...admitted, waiting[0]!].map((seq) => ({ place: placeOf(event, seq), admittedIndex: admitted.includes(seq) ? fx.mapping.indexOfSeq(event.eventId, preQueueSize!, seq) : 0 }));
    expect(await fx.store.arriveMany(event, arrivals)).toEqual([undefined, ...Array(9).fill(windowEnd), undefined]);
    // The nine who showed up keep their places past the grace; the one who left gave its place to the next.
    expect((await runTicks(event, 3, a, start + 31_000)).admittedThrough).toBe(11);
    expect(await fx.store.activeCount(event, start + 32_000)).toBe(10);
  });

  it.runIf(isRedisBackend(backend))('many holders of places admitted in PostgreSQL but not yet in Redis read admitted to a node that sees the watermark', async () => {
    const event = await newEvent();
    const seqs = await joinAll(event, Array.from({ length: 3 }, () => randomUUID()));
    const { preQueueSize } = await fx.store.freeze(event);
    const admittedAt = Date.now();
    expect(await advanceWatermark(fx.db, event.eventId, { from: 0, through: 3, admittedAt })).toBe(true);
    const arrivals = seqs.map((seq) => ({ place: placeOf(event, seq), admittedIndex: fx.mapping.indexOfSeq(event.eventId, preQueueSize!, seq) }));
    expect(await fx.store.arriveMany(event, arrivals)).toEqual(Array(3).fill(admittedAt + event.windowMs));
    expect(await fx.store.activeCount(event, Date.now())).toBe(3);
  });

  it('arrival grace: admitted no-shows stop taking shopper places after the grace; the arrived keep theirs; a no-show who comes back is still admitted', async () => {
    const event = await newEvent({ maxActiveShoppers: 10, arrivalGraceSeconds: 30 });
    const seqs = await joinAll(event, Array.from({ length: 20 }, () => randomUUID()));
    const a = advancer();
    const start = Date.now();
    let update = await runTicks(event, 3, a, start);
    expect(update.admittedThrough).toBe(10);
    const windowEnd = start + tickMs + event.windowMs; // all ten were admitted by the first tick
    const arrived = seqs.slice(0, 4);
    const noShows = seqs.slice(4, 10);
    for (const seq of arrived) expect(await fx.store.arrive(event, placeOf(event, seq))).toBe(windowEnd);

    // within the grace the no-shows still hold their places: nobody more is let in
    update = await runTicks(event, 3, a, start + 20_000);
    expect(update.admittedThrough).toBe(10);
    expect(await fx.store.activeCount(event, start + 21_000)).toBe(10);

    // the grace has passed: exactly the six no-show places go to the next six in line
    update = await runTicks(event, 5, a, start + 31_000);
    expect(update.admittedThrough).toBe(16);
    expect(await fx.store.activeCount(event, start + 32_000)).toBe(10);
    expect(await fx.store.figures(event, start + 32_000)).toEqual({ issued: 20, active: 10 });
    expect(await isActive(event, seqs[16]!)).toBe(false);
    for (const seq of arrived) expect(await fx.store.arrive(event, placeOf(event, seq))).toBe(windowEnd);

    // a no-show comes back within the window: still admitted (same window end), and shopping again,
    // so the line is one over maxActiveShoppers until someone's place frees up
    expect(await fx.store.arrive(event, placeOf(event, noShows[0]!))).toBe(windowEnd);
    expect(await fx.store.activeCount(event, start + 33_000)).toBe(11);
    update = await runTicks(event, 3, a, start + 33_000);
    expect(update.admittedThrough).toBe(16);
    // the ones still away stay admitted too, until their window ends
    expect(await fx.store.arrive(event, placeOf(event, noShows[5]!))).toBe(windowEnd);
    expect(await fx.store.activeCount(event, windowEnd)).toBe(0);
  });

  it('stock-aware: 20 tickets at 2 per order admit no more than 10 (+0 % headroom) until stock returns; sold out stops admission', async () => {
    const event = await newEvent({ stockAware: true, stockHeadroomPercent: 0 }, Date.now() - 1000, { capacity: 20, maxTicketsPerOrder: 2 });
    await joinAll(event, Array.from({ length: 40 }, () => randomUUID()));
    let update = await runTicks(event, 5);
    expect(update.admittedThrough).toBe(10);
    expect(update.stock).toBe('on_sale');
    await fx.db.query('update sections set capacity = 40, available = 40 where event_id = $1', [event.eventId]);
    update = await runTicks(event, 3, advancer(), Date.now() + 5000);
    expect(update.admittedThrough).toBe(20);
    await fx.db.query('update sections set available = 0 where event_id = $1', [event.eventId]);
    update = await runTicks(event, 3, advancer(), Date.now() + 10_000);
    expect(update).toMatchObject({ admittedThrough: 20, stock: 'sold_out' });
  });

  it('stock-aware, the tail: 20 tickets at 4 per order admit one shopper per ticket up to the tail allowance, and one per ticket left at the end', async () => {
    const event = await newEvent({ stockAware: true, stockHeadroomPercent: 10, stockTailShoppers: 12 }, Date.now() - 1000, { capacity: 20, maxTicketsPerOrder: 4 });
    await joinAll(event, Array.from({ length: 40 }, () => randomUUID()));
    // max(20 / 4, min(20, 12)) = 12 shoppers, and 10 % headroom rounded up: 14 (the per-order rule alone: 5 + 1 = 6).
    expect((await runTicks(event, 5)).admittedThrough).toBe(14);
    // Three tickets left once those windows ended: one shopper per ticket, plus the headroom's one.
    await fx.db.query('update sections set available = 3 where event_id = $1', [event.eventId]);
    expect((await runTicks(event, 3, advancer(), Date.now() + 601_000)).admittedThrough).toBe(18);
  });

  it('stock-aware: a buyer holding tickets keeps a place without taking the available stock\'s (held units are not admitted for twice)', async () => {
    const event = await newEvent({ stockAware: true, stockHeadroomPercent: 0 }, Date.now() - 1000, { capacity: 20, maxTicketsPerOrder: 2 });
    const sectionId = (await fx.db.query<{ id: string }>('select id from sections where event_id = $1', [event.eventId])).rows[0]!.id;
    await joinAll(event, Array.from({ length: 40 }, () => randomUUID()));
    expect((await runTicks(event, 5)).admittedThrough).toBe(10);
    // Four buyers hold 5 tickets (one of them in two holds of one); a hold that lapsed longer than a window ago and a waitlist offer count for nobody.
    const buyers = await Promise.all(Array.from({ length: 6 }, async (_, i) =>
      (await fx.db.query<{ id: string }>(`insert into users (email, name, password_hash) values ($1, 'Holder', 'x') returning id`, [`holder-${randomUUID()}-${i}@example.org`])).rows[0]!.id));
    const hold = async (userId: string, expiresIn: string, waitlistEntry = false, createdAgo = '0 seconds') => {
      const holdId = randomUUID();
      if (waitlistEntry) {
        const entry = await fx.db.query<{ id: string }>(`insert into waitlist_entries (event_id, user_id, section_id, quantity, status) values ($1, $2, $3, 1, 'waiting') returning id`, [event.eventId, userId, sectionId]);
        await fx.db.query(`insert into holds (id, event_id, user_id, status, expires_at, total, currency, waitlist_entry_id) values ($1, $2, $3, 'active', now() + $4::interval, 1000, 'EUR', $5)`, [holdId, event.eventId, userId, expiresIn, entry.rows[0]!.id]);
      } else {
        await fx.db.query(`insert into holds (id, event_id, user_id, status, expires_at, total, currency, created_at) values ($1, $2, $3, 'active', now() + $4::interval, 1000, 'EUR', now() - $5::interval)`, [holdId, event.eventId, userId, expiresIn, createdAgo]);
      }
      await fx.db.query('insert into hold_items (hold_id, section_id, quantity, price) values ($1, $2, 1, 1000)', [holdId, sectionId]);
    };
    for (const userId of [buyers[0]!, buyers[0]!, buyers[1]!, buyers[2]!, buyers[3]!]) await hold(userId, '10 minutes');
    await hold(buyers[4]!, '-1 minute', false, '11 minutes');
    await hold(buyers[5]!, '10 minutes', true);
    await fx.db.query('update sections set available = 13 where id = $1', [sectionId]);
    // 5 held + 1 offered + 14 available (13 + the lapsed one) = 20. Cap: 4 holding + 14 / 2 = 11 shoppers,
    // one more than the 10 active (counting the held units as servable as well would say 10).
    const update = await runTicks(event, 5, advancer(), Date.now() + 5000);
    expect(update).toMatchObject({ admittedThrough: 11, stock: 'on_sale' });
  });

  it('stock-aware: a shopper whose hold lapsed (walked away) no longer keeps the units it returned from being admitted for', async () => {
    const event = await newEvent({ stockAware: true, stockHeadroomPercent: 0 }, Date.now() - 1000, { capacity: 4, maxTicketsPerOrder: 2 });
    const sectionId = (await fx.db.query<{ id: string }>('select id from sections where event_id = $1', [event.eventId])).rows[0]!.id;
    const users = Array.from({ length: 10 }, () => randomUUID());
    const seqs = await joinAll(event, users);
    // 4 tickets at 2 per order: 2 shoppers. Both show up and hold 2 each.
    expect((await runTicks(event, 3)).admittedThrough).toBe(2);
    for (const seq of seqs.slice(0, 2)) expect(await isActive(event, seq)).toBe(true);
    const holderIds = await Promise.all(users.slice(0, 2).map(async (_, i) =>
      (await fx.db.query<{ id: string }>(`insert into users (email, name, password_hash) values ($1, 'Holder', 'x') returning id`, [`walker-${randomUUID()}-${i}@example.org`])).rows[0]!.id));
    const holdIds: string[] = [];
    for (const userId of holderIds) {
      const holdId = randomUUID();
      holdIds.push(holdId);
      await fx.db.query(`insert into holds (id, event_id, user_id, status, expires_at, total, currency) values ($1, $2, $3, 'active', now() + interval '10 minutes', 2000, 'EUR')`, [holdId, event.eventId, userId]);
      await fx.db.query('insert into hold_items (hold_id, section_id, quantity, price) values ($1, $2, 2, 1000)', [holdId, sectionId]);
    }
    await fx.db.query('update sections set available = 0 where id = $1', [sectionId]);
    expect(await runTicks(event, 3, advancer(), Date.now() + 2000)).toMatchObject({ admittedThrough: 2, stock: 'paused' });
    // Both walk away: the holds lapse and the sweeper returns the units; their windows are still open.
    await fx.db.query(`update holds set status = 'expired', expires_at = now() - interval '1 second' where id = any($1::uuid[])`, [holdIds]);
    await fx.db.query('update sections set available = 4 where id = $1', [sectionId]);
    // Two active shoppers who walked away + 4 / 2 = 4: the next two are let in now, not when the windows end.
    expect(await runTicks(event, 3, advancer(), Date.now() + 4000)).toMatchObject({ admittedThrough: 4, stock: 'on_sale' });
  });

  it('figures: places given and shoppers active now; a shopper who leaves or whose window ended no longer counts; reading creates nothing', async () => {
    const event = await newEvent({ maxActiveShoppers: 3, shoppingWindowSeconds: 60 });
    expect(await fx.store.figures(event, Date.now())).toEqual({ issued: 0, active: 0 });
    if (fx.redis) expect(await fx.redis.keys(`${fx.prefix}q:{${event.eventId}}:*`)).toEqual([]);
    const users = Array.from({ length: 5 }, () => randomUUID());
    await joinAll(event, users);
    const start = Date.now();
    await runTicks(event, 2, advancer(), start);
    expect(await fx.store.figures(event, start)).toEqual({ issued: 5, active: 3 });
    await fx.store.leave(event, users[0]!);
    expect(await fx.store.figures(event, start)).toEqual({ issued: 5, active: 2 });
    expect(await fx.store.figures(event, start + 2 * tickMs + event.windowMs)).toEqual({ issued: 5, active: 0 });
  });

  it('the watermark moves by compare-and-set: a stale advancer cannot admit the same places again', async () => {
    const event = await newEvent();
    await joinAll(event, Array.from({ length: 10 }, () => randomUUID()));
    await fx.store.freeze(event);
    expect(await fx.store.admit(event, 0, 5, Date.now())).toBe(true);
    expect(await fx.store.admit(event, 0, 5, Date.now())).toBe(false);
    expect(await fx.store.admit(event, 5, 10, Date.now())).toBe(true);
    expect((await readQueueRow(fx.db, event.eventId)).admittedThrough).toBe(10);
  });

  it('one advancer lease per event: a second node waits until the holder stops renewing', async () => {
    const event = await newEvent();
    const other = fx.anotherNode();
    // Leases long enough that no pause of a busy machine lets one lapse while the test relies on it.
    expect(await fx.store.acquireLease(event.eventId, 'node-a', 60_000)).toBe(true);
    expect(await other.acquireLease(event.eventId, 'node-b', 60_000)).toBe(false);
    // The holder renews for a short while, then stops: the other node gets the lease once it lapses.
    expect(await fx.store.acquireLease(event.eventId, 'node-a', 300)).toBe(true);
    expect(await waitFor(() => other.acquireLease(event.eventId, 'node-b', 60_000), Boolean)).toBe(true);
    expect(await fx.store.acquireLease(event.eventId, 'node-a', 60_000)).toBe(false);
    if (other !== fx.store && isRedisBackend(backend)) await other.close();
  });

  it.runIf(isRedisBackend(backend))('Redis data loss: arrival marks are lost, so every rebuilt shopper counts as arrived until its window ends (never over maxActiveShoppers)', async () => {
    const event = await newEvent({ maxActiveShoppers: 4, arrivalGraceSeconds: 30 });
    const seqs = await joinAll(event, Array.from({ length: 8 }, () => randomUUID()));
    const a = advancer();
    const start = Date.now();
    expect((await runTicks(event, 1, a, start)).admittedThrough).toBe(4);
    await fx.store.arrive(event, placeOf(event, seqs[0]!));
    await fx.flushRedis();
    // the three no-shows are past their grace, but Redis no longer knows they never came: nobody more gets in
    expect((await runTicks(event, 3, a, start + 31_000)).admittedThrough).toBe(4);
    expect(await fx.store.activeCount(event, start + 31_000)).toBe(4);
    expect(await isActive(event, seqs[1]!)).toBe(true);
    expect(await fx.store.activeCount(event, start + tickMs + event.windowMs)).toBe(0);
  });

  it('concurrent joins on two nodes reserve at most one sequence block per node at a time; after Redis loses its data, new joiners wait behind at most that', async () => {
    const event = await newEvent({ admitPerMinute: 6000 }); // 20 per 200 ms tick
    const nodes = [fx.store, fx.anotherNode()];
    const users = Array.from({ length: 250 }, () => randomUUID());
    for (let i = 0; i < users.length; i += 25) {
      await Promise.all(users.slice(i, i + 25).map((user, j) => nodes[j % nodes.length]!.join(event, user)));
    }
    const reserved = (await readQueueRow(fx.db, event.eventId)).seqReserved;
    expect(reserved).toBeLessThanOrEqual((Math.ceil(users.length / seqBlock) + nodes.length) * seqBlock);

    const a = advancer();
    let clock = Date.now();
    const tick = async (ticks: number) => {
      const update = await runTicks(event, ticks, a, clock);
      clock += ticks * tickMs;
      return update;
    };
    expect((await tick(13)).admittedThrough).toBe(250);
    await fx.flushRedis();
    const late = Array.from({ length: 20 }, () => randomUUID());
    const lateSeqs = await joinAll(event, late);
    // Ahead of them: only the unused rest of the blocks the nodes had reserved (none on PostgreSQL).
    expect(Math.min(...lateSeqs) - 1 - users.length).toBeLessThanOrEqual(nodes.length * seqBlock);
    // ...which the line crosses at the admission rate: 20 per tick.
    await tick(Math.ceil((nodes.length * seqBlock + late.length) / 20));
    const admitted = await Promise.all(lateSeqs.map((seq) => isActive(event, seq)));
    expect(admitted.filter(Boolean)).toHaveLength(late.length);
    if (nodes[1] !== fx.store && isRedisBackend(backend)) await nodes[1]!.close();
  });

  it('Redis data loss: one place per account still holds: joining again with the token returns the place; a place taken without it ends once the older one is used', async () => {
    const event = await newEvent({ admitPerMinute: 6000 }); // 20 per 200 ms tick
    const users = Array.from({ length: 6 }, () => randomUUID());
    const seqs = await joinAll(event, users.slice(0, 2));
    const a = advancer();
    const start = Date.now();
    expect((await runTicks(event, 1, a, start)).admittedThrough).toBe(2);
    seqs.push(...(await joinAll(event, users.slice(2))));
    await fx.flushRedis();

    // waiting, joins again presenting the token: the same place, no new one
    expect(await fx.store.join(event, users[2]!, seqs[2])).toEqual({ seq: seqs[2], created: false });
    // joins again without it: Redis no longer knows the place (PostgreSQL does), so a new one...
    const newer3 = (await fx.store.join(event, users[3]!)).seq;
    expect(newer3 === seqs[3]).toBe(!isRedisBackend(backend));
    // ...until the older one is presented: from then on the account has that place only
    expect(await fx.store.join(event, users[3]!, seqs[3])).toEqual({ seq: seqs[3], created: false });
    expect((await fx.store.join(event, users[3]!)).seq).toBe(seqs[3]);
    // the other order: the newer place is in use when the older one is presented
    const newer4 = (await fx.store.join(event, users[4]!)).seq;
    const { issued } = await fx.store.figures(event, Date.now());
    expect(issued).toBe(Math.max(newer3, newer4, seqs[5]!));
    expect((await runTicks(event, 10, a, start + 1000)).admittedThrough).toBe(issued);
    expect(await isActive(event, newer4)).toBe(true);
    expect(await isActive(event, seqs[4]!)).toBe(true);
    expect(await isActive(event, newer4)).toBe(newer4 === seqs[4]);
    expect(await isActive(event, newer3)).toBe(newer3 === seqs[3]);
    for (const i of [0, 1, 2, 3]) expect(await isActive(event, seqs[i]!)).toBe(true);
  });

  it('Redis data loss: a place whose holder checked out or left, before the loss or after it, stays over and takes no shopper place', async () => {
    const event = await newEvent({ maxActiveShoppers: 3 });
    const users = Array.from({ length: 6 }, () => randomUUID());
    const seqs = await joinAll(event, users);
    const a = advancer();
    const start = Date.now();
    expect((await runTicks(event, 1, a, start)).admittedThrough).toBe(3);
    await fx.store.leave(event, users[0]!); // checked out
    await fx.store.leave(event, users[4]!); // left while waiting
    expect((await runTicks(event, 1, a, start + 1000)).admittedThrough).toBe(4);
    await fx.flushRedis();

    expect(await isActive(event, seqs[0]!)).toBe(false);
    expect(await fx.store.activeCount(event, Date.now())).toBe(3);
    await fx.store.leave(event, users[1]!); // checked out after the loss, without having shown the token since
    expect(await isActive(event, seqs[1]!)).toBe(false);
    expect(await fx.store.activeCount(event, Date.now())).toBe(2);
    // one shopper place is free: the line moves on, one place per tick, and reaches the place left while waiting
    expect((await runTicks(event, 2, a, start + 2000)).admittedThrough).toBe(6);
    expect(await isActive(event, seqs[4]!)).toBe(false);
    expect(await isActive(event, seqs[5]!)).toBe(true);
    expect(await fx.store.activeCount(event, Date.now())).toBe(3);
  });

  it.runIf(isRedisBackend(backend))('Redis data loss: no place is given twice, admitted users stay admitted, the draw stands', async () => {
    const early = Array.from({ length: 100 }, () => randomUUID());
    const beforeStart = await newEvent({ admitPerMinute: 30_000 }, Date.now() + 3_600_000);
    const earlySeqs = await Promise.all(early.map((u) => fx.store.join(beforeStart, u).then((r) => r.seq)));
    const event = openSale(beforeStart);
    const laterSeqs = await joinAll(event, Array.from({ length: 100 }, () => randomUUID()));
    const update = await runTicks(event, 1);
    expect(update.admittedThrough).toBe(100);
    const admittedSeqs = Array.from({ length: 100 }, (_, i) => fx.mapping.seqOfIndex(event.eventId, 100)(i + 1));

    await fx.flushRedis();

    const afterLoss = await joinAll(event, Array.from({ length: 100 }, () => randomUUID()));
    const before = new Set([...earlySeqs, ...laterSeqs]);
    expect(afterLoss.some((seq) => before.has(seq))).toBe(false);
    expect(new Set(afterLoss).size).toBe(100);
    expect(Math.min(...afterLoss)).toBeGreaterThan(Math.max(...before));
    for (const seq of admittedSeqs) expect(await isActive(event, seq)).toBe(true);
    expect(await isActive(event, laterSeqs[50]!)).toBe(false);
    expect((await fx.store.freeze(event)).preQueueSize).toBe(100);
    // the line goes on from the durable watermark: the next tick admits the later joiners, not the early ones again
    const next = await runTicks(event, 1, advancer(), Date.now() + 1000);
    expect(next.admittedThrough).toBeGreaterThan(100);
    expect(await isActive(event, laterSeqs[0]!)).toBe(true);
  });
});
