import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../../db/database.js';
import { limits } from '../../limits.js';
import { RedisBusyError, type RedisClient } from '../../redis/client.js';
import type { RedisKeys } from '../../redis/keys.js';
import { admissionsAfter, advanceWatermark, persistPreQueueSize, readQueueRow, reserveSeqBlock } from './state.js';
import type { IndexOfSeq, QueueEventRef, QueueStore, QueueUpdate, SeqOfIndex } from './store.js';

/**
 * The production backend. Redis holds what every join and status check touches (the seq counter,
 * user -> seq, departures, active shoppers, leases, rate limits); PostgreSQL holds what must
 * survive Redis losing its data, written per block or per tick, never per user:
 *   - sequence numbers come in blocks reserved with one UPDATE (hi/lo); after a loss the queue is
 *     rebuilt from a block beyond every block ever reserved, so no seq is given twice;
 *   - the admitted watermark and one row per admitting tick; after a loss the active shoppers are
 *     rebuilt from those rows, so admitted users stay admitted (those who had left count as active
 *     until their window ends: the safe side), and a place given before the loss but admitted after
 *     it is activated from the log when its holder shows up (activateFromLog);
 *   - the frozen pre-queue size, so the draw never changes.
 * The unused rest of the block lost with the data (at most QUEUE_SEQ_BLOCK places nobody holds) is
 * crossed by the advancer at the admission rate but takes no shopper slot.
 * Arrival marks live only in Redis (the `occupied` scores): after a loss every rebuilt shopper counts
 * as arrived until its window ends, the safe side for maxActiveShoppers.
 */
export function createRedisStore(deps: { client: RedisClient; keys: RedisKeys; db: Database; seqOfIndex: SeqOfIndex; indexOfSeq: IndexOfSeq; seqBlock: number }): QueueStore {
  const { client, keys, db, seqOfIndex, indexOfSeq, seqBlock } = deps;
  const metaKeys = (eventId: string) => [keys.queueMeta(eventId), keys.queueActive(eventId), keys.queueOccupied(eventId)];

  /** Per event, the block reservation and the rebuild this node has in flight. */
  const reservations = new Map<string, Promise<void>>();
  const rebuilds = new Map<string, Promise<void>>();

  /** Single flight: whoever needs the same work for an event while it runs waits for that run. */
  function once(flights: Map<string, Promise<void>>, eventId: string, work: () => Promise<void>): Promise<void> {
    let flight = flights.get(eventId);
    if (!flight) {
      flight = work().finally(() => flights.delete(eventId));
      flights.set(eventId, flight);
    }
    return flight;
  }

  /**
   * Reserves the next block in PostgreSQL once the live one is used up, and appends it to the live
   * queue's range. Concurrent joins on this node share one reservation; a join that saw the block
   * used up before a reservation landed reserves nothing. So each node has at most one block beyond
   * the places given, which is all a loss of Redis's data can leave unused.
   */
  const extend = (event: QueueEventRef) => once(reservations, event.eventId, async () => {
    const [counter, blockEnd] = await client.redis.hmget(keys.queueMeta(event.eventId), 'counter', 'blockEnd');
    if (counter === null || blockEnd === null) return rebuild(event);
    if (Number(counter) < Number(blockEnd)) return;
    const end = await reserveSeqBlock(db, event.eventId, seqBlock);
    if ((await client.run<number>('queue_refill', metaKeys(event.eventId), [end, seqBlock, 0, '', 0])) === -1) await rebuild(event);
  });

  /**
   * Creates the queue's Redis state, or rebuilds it after Redis lost it, from PostgreSQL: a fresh
   * block beyond every block ever reserved, the frozen pre-queue size, the watermark, and the
   * shoppers whose window is still open. One node at a time (a short lock, waited for within
   * limits.queueRebuildWaitMsMax), so the queue restarts from a single block and places stay contiguous.
   */
  const rebuild = (event: QueueEventRef) => once(rebuilds, event.eventId, () => rebuildUnderLock(event));

  async function rebuildUnderLock(event: QueueEventRef): Promise<void> {
    const lock = keys.queueRebuildLock(event.eventId);
    const owner = randomUUID();
    const giveUpAt = Date.now() + limits.queueRebuildWaitMsMax;
    for (;;) {
      if ((await client.redis.exists(keys.queueMeta(event.eventId))) === 1) return;
      if ((await client.redis.set(lock, owner, 'PX', limits.queueRebuildLockTtlMs, 'NX')) === 'OK') break;
      if (Date.now() >= giveUpAt) throw new RedisBusyError(`Another node is still rebuilding the waiting room of event ${event.eventId}.`);
      await sleep(limits.queueRebuildPollMs);
    }
    try {
      const end = await reserveSeqBlock(db, event.eventId, seqBlock);
      const row = await readQueueRow(db, event.eventId);
      const seqAt = seqOfIndex(event.eventId, row.preQueueSize);
      const args: (string | number)[] = [end, seqBlock, 1, row.preQueueSize ?? '', row.admittedThrough];
      for (const range of await admissionsAfter(db, event.eventId, 0, Date.now() - event.windowMs)) {
        for (let index = range.from + 1; index <= range.through; index++) args.push(seqAt(index), range.admittedAt + event.windowMs);
      }
      await client.run('queue_refill', metaKeys(event.eventId), args);
    } finally {
      // Compare-and-delete: a lock that lapsed meanwhile may be another node's now.
      await client.run('lease_release', [lock], [owner]);
    }
  }

  /** Runs a script that answers `missing` when the queue's Redis state is gone; rebuilds and retries once. */
  async function withRebuild<T>(event: QueueEventRef, attempt: () => Promise<T>, missing: (result: T) => boolean): Promise<T> {
    const first = await attempt();
    if (!missing(first)) return first;
    await rebuild(event);
    const second = await attempt();
    if (missing(second)) throw new RedisBusyError(`The waiting room of event ${event.eventId} lost its Redis state again while being rebuilt.`);
    return second;
  }

  return {
    kind: 'redis',

    async join(event, userId) {
      for (let attempt = 1; ; attempt++) {
        const [seq, created] = await client.run<[number, number]>('queue_join', [keys.queueMeta(event.eventId), keys.queueUsers(event.eventId), keys.queueMembers(event.eventId)], [userId, event.startsAtMs]);
        if (seq > 0) return { seq, created: created === 1 };
        if (attempt >= limits.queueJoinAttemptsMax) throw new RedisBusyError(`No place could be given in the waiting room of event ${event.eventId} after ${attempt} tries.`);
        await (seq === -1 ? rebuild(event) : extend(event));
      }
    },

    async leave(event, userId) {
      const seq = await client.run<number>('queue_leave', [keys.queueUsers(event.eventId), keys.queueDeparted(event.eventId), keys.queueActive(event.eventId), keys.queueMembers(event.eventId), keys.queueOccupied(event.eventId)], [userId]);
      return seq > 0 ? seq : undefined;
    },

    async freeze(event) {
      const [issued, frozen] = await withRebuild(
        event,
        () => client.run<[number, number, number]>('queue_freeze', [keys.queueMeta(event.eventId)], [event.startsAtMs]),
        ([counter]) => counter === -1,
      );
      if (frozen < 0) return { issued, preQueueSize: null };
      // PostgreSQL's value wins: if Redis froze again after a loss, the first draw still stands.
      const preQueueSize = await persistPreQueueSize(db, event.eventId, frozen);
      if (preQueueSize !== frozen) await client.redis.hset(keys.queueMeta(event.eventId), 'frozen', preQueueSize);
      return { issued, preQueueSize };
    },

    async activeCount(event, nowMs) {
      return withRebuild(event, () => client.run<number>('queue_active', [keys.queueActive(event.eventId), keys.queueMeta(event.eventId), keys.queueOccupied(event.eventId)], [nowMs]), (n) => n === -1);
    },

    async figures(event, nowMs) {
      const [issued, active] = await client.run<[number, number]>('queue_figures', [keys.queueMeta(event.eventId), keys.queueOccupied(event.eventId)], [nowMs]);
      return { issued, active };
    },

    async arrive(event, seq) {
      const [until, givenBeforeRebuild] = (await withRebuild(
        event,
        () => client.run<[string, number] | null>('queue_arrive', [keys.queueActive(event.eventId), keys.queueMeta(event.eventId), keys.queueDeparted(event.eventId), keys.queueOccupied(event.eventId)], [seq, Date.now()]),
        (result) => result === null,
      ))!;
      const ms = until ? Number(until) : givenBeforeRebuild ? await activateFromLog(event, seq) : 0;
      return ms > Date.now() ? ms : undefined;
    },

    async admit(event, from, through, nowMs) {
      const moved = await advanceWatermark(db, event.eventId, { from, through, admittedAt: nowMs });
      if (!moved) return false;
      await applyAdmissions(event);
      return true;
    },

    async acquireLease(eventId, nodeId, ttlMs) {
      return (await client.run<number>('lease_acquire', [keys.queueLease(eventId)], [nodeId, ttlMs])) === 1;
    },

    async releaseLease(eventId, nodeId) {
      await client.run('lease_release', [keys.queueLease(eventId)], [nodeId]);
    },

    async publish(update) {
      await client.redis.publish(keys.queueUpdates, JSON.stringify(update));
    },

    async subscribe(listener: (update: QueueUpdate) => void) {
      const subscriber = client.subscriber();
      subscriber.on('message', (_channel, text: string) => {
        try {
          listener(JSON.parse(text) as QueueUpdate);
        } catch {
          // a malformed message is ignored; the next poll corrects the cache
        }
      });
      await subscriber.subscribe(keys.queueUpdates);
    },

    async hit(scope, id, limit, windowMs) {
      const [hits, ttl] = await client.run<[number, number]>('rate_limit', [keys.rateLimit(scope, id)], [windowMs]);
      return { allowed: hits <= limit, retryAfterMs: Math.max(ttl, 0) };
    },

    close: () => client.close(),
  };

  /**
   * Makes Redis's active shoppers match PostgreSQL's watermark: applies every logged range beyond
   * what Redis applied (the last one normally; more if an advancer died between its PostgreSQL
   * commit and this step). Idempotent.
   */
  async function applyAdmissions(event: QueueEventRef): Promise<void> {
    const [applied] = (await client.redis.hmget(keys.queueMeta(event.eventId), 'applied')).map((v) => (v === null ? -1 : Number(v)));
    if (applied === -1) {
      await rebuild(event);
      return;
    }
    const row = await readQueueRow(db, event.eventId);
    const seqAt = seqOfIndex(event.eventId, row.preQueueSize);
    for (const range of await admissionsAfter(db, event.eventId, applied!, 0)) {
      const seqs = Array.from({ length: range.through - range.from }, (_, i) => seqAt(range.from + 1 + i));
      const result = await client.run<number>(
        'queue_admit',
        [keys.queueMeta(event.eventId), keys.queueActive(event.eventId), keys.queueMembers(event.eventId), keys.queueOccupied(event.eventId)],
        [range.from, range.through, range.admittedAt + event.windowMs, range.admittedAt + Math.min(event.graceMs, event.windowMs), ...seqs],
      );
      if (result === -1) return rebuild(event);
    }
  }

  /**
   * A place given before Redis lost its data is not in the members set, so its admission after the
   * loss activated nobody. When its holder shows up, the durable log says whether (and when) the
   * place was admitted: activate it (arrived: its holder is here) for the rest of its window, or
   * remember that it is over. Runs only for such places, once each.
   */
  async function activateFromLog(event: QueueEventRef, seq: number): Promise<number> {
    const row = await readQueueRow(db, event.eventId);
    const index = row.preQueueSize === null ? Infinity : indexOfSeq(event.eventId, row.preQueueSize, seq);
    if (index > row.admittedThrough) return 0;
    const { rows } = await db.query<{ admittedAt: Date }>(
      'select admitted_at as "admittedAt" from queue_admissions where event_id = $1 and through >= $2 order by through limit 1',
      [event.eventId, index],
    );
    const until = (rows[0]?.admittedAt.getTime() ?? 0) + event.windowMs;
    await client.run('queue_activate', [keys.queueActive(event.eventId), keys.queueOccupied(event.eventId), keys.queueDeparted(event.eventId)], [seq, until, Date.now()]);
    return until;
  }
}
