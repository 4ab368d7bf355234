import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvent, openStoreFixture, type StoreFixture } from '../../../test/support/queue.js';
import { startRedisCluster, type RedisCluster } from '../../../test/support/redis-cluster.js';
import { waitFor } from '../../../test/support/wait.js';
import { isRedisUnavailable } from '../../redis/client.js';
import { createKeys } from '../../redis/keys.js';
import { createAdvancer, type AdvancedEvent } from './advancer.js';
import type { QueueUpdate } from './store.js';

const log = pino({ level: 'silent' });
const tickMs = 200;
/** A join that meets the failover is sent again, as a client answered 503 would, within this bound. */
const retryBoundMs = 60_000;

/**
 * The waiting room on a Redis Cluster of three masters, each with two replicas, while one master
 * dies: the cluster promotes a replica, ioredis follows, and with REDIS_WAIT_REPLICAS=1 every place
 * given was on a replica before its join was answered, so the promotion loses none.
 */
describe('queue store on a Redis Cluster when a master dies mid-sale', () => {
  let cluster: RedisCluster;
  let fx: StoreFixture;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 2 });
    fx = await openStoreFixture('redis-cluster', 16, { clusterNodes: cluster.seeds, waitReplicas: 1 });
  });
  afterAll(async () => {
    await fx?.close();
    await cluster?.stop();
  });

  async function newEvent(): Promise<AdvancedEvent> {
    const { eventId } = await insertEvent(fx.db);
    const settings = {
      enabled: true, preQueueOpensAt: null, admitPerMinute: 30_000, maxActiveShoppers: null, stockAware: false, stockBasis: 'max' as const,
      stockHeadroomPercent: 0, stockTailShoppers: 0, shoppingWindowSeconds: 600, arrivalGraceSeconds: 120, paused: false,
    };
    return { eventId, startsAtMs: Date.now() - 1000, windowMs: 600_000, graceMs: 120_000, settings, maxTicketsPerOrder: 8 };
  }

  /** A join sent again after each failure, as a client would after a 503; every failure must be one (never a 500). */
  const failures: unknown[] = [];
  async function joinUntilAnswered(event: AdvancedEvent, userId: string): Promise<number> {
    const giveUpAt = Date.now() + retryBoundMs;
    for (;;) {
      try {
        return (await fx.store.join(event, userId)).seq;
      } catch (error) {
        failures.push(error);
        if (Date.now() > giveUpAt) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** The port of the master serving a key's slot now, as the cluster client sees it. */
  async function masterOf(key: string): Promise<number> {
    const redis = fx.redis!.redis as Cluster;
    const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
    return Number(redis.slots[slot]![0]!.split(':')[1]);
  }

  it('joins and status go on through the failover; no place is given twice or lost, one place per account holds, and the admitted stay admitted', async () => {
    const event = await newEvent();
    const keys = createKeys(fx.prefix);
    const heard: QueueUpdate[] = [];
    const listener = fx.anotherNode();
    await listener.subscribe((update) => heard.push(update));

    const users = Array.from({ length: 600 }, () => randomUUID());
    const seqs = new Map<string, number>();
    const joinBatch = async (batch: string[]) => {
      for (let i = 0; i < batch.length; i += 25) {
        await Promise.all(batch.slice(i, i + 25).map(async (user) => seqs.set(user, await joinUntilAnswered(event, user))));
      }
    };
    await joinBatch(users.slice(0, 200));
    const advancer = createAdvancer({ db: fx.db, store: fx.store, tickMs, log });
    const start = Date.now();
    const first = await advancer.tick(event, start + tickMs);
    expect(first!.admittedThrough).toBe(100);
    const windowEnd = start + tickMs + event.windowMs;
    await fx.store.publish(first!);

    // The event's master dies while the next 400 join; the accounts' keys of a third of them lived there too.
    const victim = await masterOf(keys.queueMeta(event.eventId));
    const joining = joinBatch(users.slice(200));
    await waitFor(async () => seqs.size, (n) => n >= 225);
    cluster.kill(victim);
    const [killedAt, joinedAtKill] = [Date.now(), seqs.size];
    await joining;
    const rerouted = Date.now() - killedAt;
    await cluster.waitHealthy();
    // Printed, not bounded: how long the joins in flight waited for the replica to take over.
    console.log(`failover: ${users.length - joinedAtKill} joins answered after the kill, the last ${rerouted} ms after it; ${failures.length} tries answered 503`);
    expect(joinedAtKill).toBeLessThan(users.length);
    expect(await masterOf(keys.queueMeta(event.eventId))).not.toBe(victim);
    expect(failures.every(isRedisUnavailable), String(failures.find((e) => !isRedisUnavailable(e)))).toBe(true);

    // No place given twice; every account has exactly the place it was told of (joining again returns it).
    expect(new Set(seqs.values()).size).toBe(users.length);
    for (const user of users) expect((await fx.store.join(event, user)).seq, user).toBe(seqs.get(user));

    // The admitted stay admitted, with their window.
    const admittedBefore = users.slice(0, 200).filter((user) => seqs.get(user)! <= 100);
    expect(admittedBefore).toHaveLength(100);
    for (const user of admittedBefore) expect(await fx.store.arrive(event, { userId: user, seq: seqs.get(user)! }, seqs.get(user)!)).toBe(windowEnd);

    // The line goes on: the next ticks admit everyone else, in order, none skipped.
    let update = first!;
    for (let i = 2; update.admittedThrough < update.issued && i < 50; i++) update = (await advancer.tick(event, start + i * tickMs))!;
    expect(update.admittedThrough).toBe(update.issued);
    for (const user of users) expect(await fx.store.arrive(event, { userId: user, seq: seqs.get(user)! }, seqs.get(user)!), user).toBeGreaterThan(Date.now());

    // Updates published after the failover still reach another node's subscriber.
    await fx.store.publish(update);
    expect((await waitFor(async () => heard.at(-1), (last) => last?.admittedThrough === update.admittedThrough))?.admittedThrough).toBe(update.admittedThrough);
    await listener.close();
  });
});
