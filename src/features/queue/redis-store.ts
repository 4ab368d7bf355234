import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../../db/database.js';
import { limits } from '../../limits.js';
import { scriptCode, scriptCodeError, type ScriptCode } from '../../redis/codes.js';
import { RedisBusyError, type ArriveAnswer, type RedisClient } from '../../redis/client.js';
import type { RedisKeys } from '../../redis/keys.js';
import {
  admissionsAfter, admittedAtOf, advanceWatermark, departedPlaces, departedSince, persistPreQueueSize, readQueueRow, recordDeparture, reserveSeqBlock,
} from './state.js';
import { JoinThrottledError, type IndexOfSeq, type JoinCounters, type PlaceRef, type QueueEventRef, type QueueStore, type QueueUpdate, type SeqOfIndex } from './store.js';

/**
 * The production backend. Redis holds what every join and status check touches (the seq counter,
 * account -> seq on the account's own slot, departures, active shoppers, leases, rate limits); on a
 * Redis Cluster each script touches one slot only (keys.ts, docs/scaling.md). PostgreSQL holds what must
 * survive Redis losing its data, written per block, per tick or per departure, never per join:
 *   - sequence numbers come in blocks reserved with one UPDATE (hi/lo), one reservation per event
 *     in flight per node; after a loss the queue is rebuilt from a block beyond every block ever
 *     reserved, so no seq is given twice, and at most one block per node lies unused before it;
 *   - the admitted watermark and one row per admitting tick; after a loss the active shoppers are
 *     rebuilt from those rows, so admitted users stay admitted;
 *   - departures (leave, checkout): one row per account, so a place whose holder has gone stays gone;
 *   - the frozen pre-queue size, so the draw never changes.
 * Who holds a place given before a loss is re-learnt when its holder shows the token (claim): the
 * token names the user and the seq, PostgreSQL says whether the user has left since and whether the
 * place was admitted, and one place per account is restored (the older place stays).
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
    if ((await client.run('queue_refill', metaKeys(event.eventId), [end, seqBlock, 0, '', 0])) === scriptCode.reserveAgain) await rebuild(event);
  });

  /**
   * Creates the queue's Redis state, or rebuilds it after Redis lost it, from PostgreSQL: a fresh
   * block beyond every block ever reserved, the frozen pre-queue size, the watermark, and the
   * shoppers whose window is still open and who have not left. One node at a time (a short lock,
   * waited for within limits.queueRebuildWaitMsMax), so the queue restarts from a single block and
   * places stay contiguous.
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
      const [row, ranges] = await Promise.all([readQueueRow(db, event.eventId), admissionsAfter(db, event.eventId, 0, Date.now() - event.windowMs)]);
      const seqAt = seqOfIndex(event.eventId, row.preQueueSize);
      const shoppers = ranges.flatMap((range) =>
        Array.from({ length: range.through - range.from }, (_, i) => ({ seq: seqAt(range.from + 1 + i), until: range.admittedAt + event.windowMs })));
      const departed = await departedPlaces(db, event.eventId, shoppers.map((s) => s.seq));
      const args: (string | number)[] = [end, seqBlock, 1, row.preQueueSize ?? '', row.admittedThrough];
      for (const { seq, until } of shoppers) if (!departed.has(seq)) args.push(seq, until);
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
    if (missing(second)) throw scriptCodeError(scriptCode.metaMissing, `waiting room of event ${event.eventId}`);
    return second;
  }

  /**
   * A place given before the last rebuild, shown by its holder for the first time since (Redis lost
   * who holds it): PostgreSQL says whether the account left after the place was given and whether
   * (and when) the place was admitted; queue_claim makes it the account's place again (the older of
   * two places stays, the newer ends) or ends it. Once per such place; from then on it is an
   * ordinary place. Returns the window end when admitted, 0 while waiting, scriptCode.placeEnded when
   * it has ended.
   */
  async function claim(event: QueueEventRef, place: PlaceRef): Promise<number> {
    const id = event.eventId;
    const departed = await departedSince(db, id, place.userId, place.seq);
    for (let attempt = 1; attempt <= limits.queueClaimAttemptsMax; attempt++) {
      const row = await readQueueRow(db, id);
      const index = row.preQueueSize === null ? undefined : indexOfSeq(id, row.preQueueSize, place.seq);
      const admittedAt = index !== undefined && index <= row.admittedThrough ? await admittedAtOf(db, id, index) : undefined;
      const owner = await accountPlace(id, place.userId);
      const result = await withRebuild(
        event,
        () => client.run(
          'queue_claim',
          [keys.queueMeta(id), keys.queueMembers(id), keys.queueDeparted(id), keys.queueActive(id), keys.queueOccupied(id)],
          [owner ?? '', place.seq, departed ? 1 : 0, admittedAt === undefined ? '' : admittedAt + event.windowMs, Date.now(), index ?? ''],
          { durable: true },
        ),
        (answer) => answer === scriptCode.metaMissing,
      );
      // The advancer admitted the place between the read above and the script: read again.
      if (result === scriptCode.readAgain) continue;
      if (result < 0 || owner === place.seq) return result;
      // The event's slot took the place back; now the account's slot names it, unless an older place
      // of the account got there meanwhile (then that one stays, and this one ends after all).
      const kept = await client.run('queue_place_keep', [keys.queuePlace(id, place.userId)], [place.seq], { durable: true });
      if (kept === place.seq) return result;
      await endPlace(event, place.seq);
      return scriptCode.placeEnded;
    }
    throw scriptCodeError(scriptCode.readAgain, `line of event ${id}`);
  }

  /** The seq of the account's place as its own slot knows it (undefined: none, or a join still getting it). */
  async function accountPlace(eventId: string, userId: string): Promise<number | undefined> {
    const value = await client.redis.get(keys.queuePlace(eventId, userId));
    return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
  }

  /** Whether the presented place is the user's (claiming it if Redis lost who holds it). */
  async function holds(event: QueueEventRef, place: PlaceRef): Promise<boolean> {
    if ((await accountPlace(event.eventId, place.userId)) === place.seq) return true;
    return (await claim(event, place)) >= 0;
  }

  const leaveKeys = (id: string) => [keys.queueDeparted(id), keys.queueActive(id), keys.queueMembers(id), keys.queueOccupied(id), keys.queueMeta(id)];

  /** Ends a place on the event's slot (idempotent); returns [seq ended or 0, last seq given]. */
  const endPlace = (event: QueueEventRef, seq: number) => withRebuild(
    event,
    () => client.run('queue_leave', leaveKeys(event.eventId), [seq], { durable: true }),
    ([, last]) => last === scriptCode.metaMissing,
  );

  /**
   * The seq of one join on the event's slot (idempotent by join id), reserving a block or rebuilding
   * the queue's state first when the script asks for it.
   */
  async function seqOfJoin(event: QueueEventRef, joinId: string): Promise<{ seq: number; created: boolean }> {
    const id = event.eventId;
    for (let attempt = 1; ; attempt++) {
      const [seq, created] = await client.run(
        'queue_join', [keys.queueMeta(id), keys.queueMembers(id), keys.queueJoin(id, joinId)], [event.startsAtMs, limits.queueJoinPendingMs], { durable: true },
      );
      if (seq > 0) return { seq, created: created === 1 };
      if (attempt >= limits.queueJoinAttemptsMax) throw scriptCodeError(seq as ScriptCode, `waiting room of event ${id}`);
      await (seq === scriptCode.metaMissing ? rebuild(event) : extend(event));
    }
  }

  /**
   * On one Redis (no slots to keep apart) the three steps of a join run as one script, one round trip:
   * the same logic, included from the same fragments. Undefined when another join of the account
   * holds its mark (that one is finished step by step, as on a cluster).
   */
  async function joinInOneScript(event: QueueEventRef, userId: string, counters: JoinCounters | undefined): Promise<{ seq: number; created: boolean } | undefined> {
    const id = event.eventId;
    const joinId = randomUUID();
    const joinKeys = [keys.queuePlace(id, userId), keys.queueMeta(id), keys.queueMembers(id), keys.queueJoin(id, joinId)];
    const joinArgs = [joinId, limits.queueJoinPendingMs, event.startsAtMs];
    for (let attempt = 1; ; attempt++) {
      // The first attempt counts the rate limits too (one round trip in all); a retry (after a block
      // reservation or a rebuild) does not count them again.
      const [seq, created] = attempt === 1 && counters
        ? await client.run('queue_join_limited', [...joinKeys, ...counters.keys], [...joinArgs, counters.windowMs, ...counters.max], { durable: true })
        : await client.run('queue_join_one', joinKeys, joinArgs, { durable: true });
      if (seq === scriptCode.rateLimited) throw new JoinThrottledError(created);
      if (seq > 0) return { seq, created: created === 1 };
      if (seq === scriptCode.joinInFlight) return undefined;
      if (attempt >= limits.queueJoinAttemptsMax) throw scriptCodeError(seq as ScriptCode, `waiting room of event ${id}`);
      await (seq === scriptCode.metaMissing ? rebuild(event) : extend(event));
    }
  }

  const arriveKeys = (id: string) => [keys.queueActive(id), keys.queueMeta(id), keys.queueDeparted(id), keys.queueOccupied(id), keys.queueMembers(id)];
  const askArrival = (event: QueueEventRef, place: PlaceRef, admittedIndex: number) => withRebuild(
    event,
    () => client.run('queue_arrive', arriveKeys(event.eventId), [place.seq, Date.now(), admittedIndex]),
    (result) => result === scriptCode.metaMissing,
  ) as Promise<ArriveAnswer>; // withRebuild never returns the missing answer

  /**
   * The window end an arrival's answer comes to: a place to claim is claimed; an admission committed
   * to PostgreSQL but not yet applied in Redis (the advancer commits first, and may die in between) is
   * applied by this node, which already sees it, and the place asked again.
   */
  async function settleArrival(event: QueueEventRef, place: PlaceRef, admittedIndex: number, answer: ArriveAnswer): Promise<number | undefined> {
    if (answer === scriptCode.admissionPending) {
      await applyAdmissions(event);
      answer = await askArrival(event, place, admittedIndex);
      if (answer === scriptCode.admissionPending) throw scriptCodeError(scriptCode.admissionPending, `waiting room of event ${event.eventId}`);
    }
    const [until, unclaimed] = answer;
    const ms = unclaimed ? await claim(event, place) : Number(until || 0);
    return ms > Date.now() ? ms : undefined;
  }

  return {
    kind: 'redis',

    /**
     * Three steps over two slots, none touching both (docs/scaling.md): mark the account's place with
     * a join id (or find the place it holds), get that join's seq on the event's slot (idempotent by
     * join id), make the seq the account's place. A join that dies between steps leaves a mark that
     * lapses and, at worst, a seq nobody was told of (a place no one holds, skipped as any unheld one);
     * never a second place for the account, nor one seq for two accounts.
     */
    countsJoinLimits: !client.cluster,

    async join(event, userId, presentedSeq, counters) {
      if (presentedSeq !== undefined && (await holds(event, { userId, seq: presentedSeq }))) return { seq: presentedSeq, created: false };
      const joined = client.cluster ? undefined : await joinInOneScript(event, userId, counters);
      if (joined) return joined;
      const place = keys.queuePlace(event.eventId, userId);
      for (let attempt = 1; attempt <= limits.queueJoinAttemptsMax; attempt++) {
        const [held, joinId] = await client.run('queue_place_reserve', [place], [randomUUID(), limits.queueJoinPendingMs]);
        if (held > 0) return { seq: held, created: false };
        const { seq, created } = await seqOfJoin(event, joinId);
        const [kept] = await client.run('queue_place_settle', [place], [joinId, seq], { durable: true });
        if (kept === seq) return { seq, created };
        // The account holds another place by now (a join whose mark had lapsed): this seq is no one's.
        await endPlace(event, seq);
        if (kept > 0) return { seq: kept, created: false };
      }
      throw new RedisBusyError(`Joins of one account to the waiting room of event ${event.eventId} kept overtaking each other.`);
    },

    /**
     * Forgets the account's place on its slot first, then ends it on the event's slot and records the
     * departure in PostgreSQL. A leave that dies after the first step leaves the place valid to its
     * token (as it was); the same leave sent again with the token (the web client sends it) finishes it.
     */
    async leave(event, userId, presentedSeq) {
      if (presentedSeq !== undefined) await holds(event, { userId, seq: presentedSeq });
      const taken = await client.run('queue_place_take', [keys.queuePlace(event.eventId, userId)], [], { durable: true });
      const [seq, counter] = await endPlace(event, taken);
      await recordDeparture(db, event.eventId, userId, counter, seq > 0 ? seq : null);
      return seq > 0 ? seq : undefined;
    },

    async freeze(event) {
      const [issued, frozen] = await withRebuild(
        event,
        () => client.run('queue_freeze', [keys.queueMeta(event.eventId)], [event.startsAtMs]),
        ([counter]) => counter === scriptCode.metaMissing,
      );
      if (frozen < 0) return { issued, preQueueSize: null };
      // PostgreSQL's value wins: if Redis froze again after a loss, the first draw still stands.
      const preQueueSize = await persistPreQueueSize(db, event.eventId, frozen);
      if (preQueueSize !== frozen) await client.redis.hset(keys.queueMeta(event.eventId), 'frozen', preQueueSize);
      return { issued, preQueueSize };
    },

    async activeCount(event, nowMs) {
      return withRebuild(event, () => client.run('queue_active', [keys.queueActive(event.eventId), keys.queueMeta(event.eventId), keys.queueOccupied(event.eventId)], [nowMs]), (n) => n === scriptCode.metaMissing);
    },

    async figures(event, nowMs) {
      const [issued, active] = await client.run('queue_figures', [keys.queueMeta(event.eventId), keys.queueOccupied(event.eventId)], [nowMs]);
      return { issued, active };
    },

    async arrive(event, place, admittedIndex = 0) {
      return settleArrival(event, place, admittedIndex, await askArrival(event, place, admittedIndex));
    },

    async arriveMany(event, arrivals) {
      const ends: (number | undefined)[] = [];
      for (let i = 0; i < arrivals.length; i += limits.queueArriveBatchMax) {
        const batch = arrivals.slice(i, i + limits.queueArriveBatchMax);
        const args = [Date.now(), ...batch.flatMap(({ place, admittedIndex = 0 }) => [place.seq, admittedIndex])];
        const answers = await withRebuild(
          event,
          () => client.run('queue_arrive_many', arriveKeys(event.eventId), args),
          (result) => result === scriptCode.metaMissing,
        ) as ArriveAnswer[];
        ends.push(...(await Promise.all(batch.map(({ place, admittedIndex = 0 }, j) => settleArrival(event, place, admittedIndex, answers[j]!)))));
      }
      return ends;
    },

    async admit(event, from, through, nowMs, committed) {
      const moved = await advanceWatermark(db, event.eventId, { from, through, admittedAt: nowMs });
      if (!moved) return false;
      committed?.();
      await applyAdmissions(event);
      return true;
    },

    async acquireLease(eventId, nodeId, ttlMs) {
      return (await client.run('lease_acquire', [keys.queueLease(eventId)], [nodeId, ttlMs])) === 1;
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
      const result = await client.run(
        'queue_admit',
        [keys.queueMeta(event.eventId), keys.queueActive(event.eventId), keys.queueMembers(event.eventId), keys.queueOccupied(event.eventId)],
        [range.from, range.through, range.admittedAt + event.windowMs, range.admittedAt + Math.min(event.graceMs, event.windowMs), ...seqs],
      );
      if (result === scriptCode.metaMissing) return rebuild(event);
    }
  }
}
