import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { DomainEventBus } from '../../bus.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import { startPeriodic, type Job } from '../../jobs.js';
import { createRedisClient, redisTarget } from '../../redis/client.js';
import { createKeys } from '../../redis/keys.js';
import { createAdvancer, type AdvancedEvent } from './advancer.js';
import { createPermutation, permutationKeys, type Permutation } from './permutation.js';
import { createPostgresStore } from './postgres-store.js';
import { createRedisStore } from './redis-store.js';
import { onsaleColumns, onsaleFromRow, type QueueSettings } from './settings.js';
import type { QueueFigures } from './schemas.js';
import { readQueueRow, watermarkAt } from './state.js';
import { JoinThrottledError, type IndexOfSeq, type PlaceRef, type QueueEventRef, type QueueStore, type QueueUpdate, type SeqOfIndex } from './store.js';
import type { RateCounters } from '../ratelimit/plugin.js';
import { createQueueTokens, type QueuePlace } from './tokens.js';
import { createQueueViews, type QueueView } from './views.js';

export type QueueState = 'pre_queue' | 'waiting' | 'admitted' | 'expired' | 'sold_out' | 'paused';

export interface QueueStatus {
  state: QueueState;
  /** Place in line counting from 1 at the door; null in the pre-queue (drawn at the start). */
  position: number | null;
  ahead: number | null;
  etaSeconds: number | null;
  admittedUntil?: Date;
}

export interface QueueService {
  /** `presentedToken`: the caller's token for this event, if any (after Redis lost its data, how the caller keeps that place). */
  join(eventId: string, userId: string, presentedToken?: string, counters?: RateCounters): Promise<QueueStatus & { queueToken: string }>;
  /**
   * Whether `join` can count its rate limits itself, in its one Redis round trip (one Redis, no token
   * presented): the route then passes the counters instead of running the rate-limit hook first.
   */
  countsJoinLimits(presentedToken: string | undefined): boolean;
  /** Whether the event exists (any status), from this node's view of it. */
  hasEvent(eventId: string): Promise<boolean>;
  /** Reads a token for this event (401 forged, 403 another event's). */
  placeFor(eventId: string, token: string): QueuePlace;
  status(place: QueuePlace): Promise<QueueStatus>;
  /** `status` for many places of one event at once (a node's live sockets), in order. */
  statuses(eventId: string, places: readonly QueuePlace[]): Promise<QueueStatus[]>;
  /**
   * For each place, its admitted status if `update` is a tick that admitted it, else undefined: from the
   * update and the token alone (no store read), so a tick's news reaches its sockets at once. The store
   * is still asked afterwards (`statuses`), which marks the arrivals and corrects a place that had ended.
   */
  admittedBy(update: QueueUpdate, places: readonly (QueuePlace | undefined)[]): (QueueStatus | undefined)[];
  leave(eventId: string, userId: string, presentedToken?: string): Promise<void>;
  /** Throws unless the user may hold tickets for the event now (queue disabled, or admitted and unexpired). */
  gate(eventId: string, userId: string, token: string | undefined): Promise<void>;
  /** The line's figures for the organizer's dashboard; null for an event without a waiting room. */
  figures(eventId: string): Promise<QueueFigures | null>;
  /** The figures of every line the advancer serves now (the metrics' queue gauges). */
  activeFigures(): Promise<(QueueFigures & { eventId: string })[]>;
  /** A checkout ended the user's shopping: frees the active-shopper place. */
  checkedOut(eventId: string, userId: string): Promise<void>;
  invalidate(eventId: string): void;
  onUpdate(listener: (update: QueueUpdate) => void): () => void;
  start(): Promise<Job>;
}

interface Deps {
  config: Readonly<Config>;
  db: Database;
  log: FastifyBaseLogger;
  bus: DomainEventBus;
}

export function createQueueStore(config: Readonly<Config>, db: Database, mapping: PlaceMapping): QueueStore {
  const redis = redisTarget(config);
  if (!redis) return createPostgresStore(db, mapping.seqOfIndex);
  const client = createRedisClient(redis);
  return createRedisStore({ client, keys: createKeys(config.redisKeyPrefix), db, ...mapping, seqBlock: config.queue.seqBlock });
}

export interface PlaceMapping {
  indexOfSeq: IndexOfSeq;
  seqOfIndex: SeqOfIndex;
}

/** place <-> seq mapping: the pre-queue (seq 1..N) is shuffled by a keyed permutation; later joiners keep their seq. */
export function createPlaceMapping(secret: string): PlaceMapping {
  const permutations = new Map<string, Permutation>();
  const permutationFor = (eventId: string, size: number) => {
    const key = `${eventId}:${size}`;
    let permutation = permutations.get(key);
    if (!permutation) {
      if (permutations.size > 1000) permutations.clear();
      permutation = createPermutation(size, permutationKeys(secret, eventId));
      permutations.set(key, permutation);
    }
    return permutation;
  };
  return {
    indexOfSeq: (eventId, preQueueSize, seq) =>
      seq <= preQueueSize ? permutationFor(eventId, preQueueSize).forward(seq - 1) + 1 : seq,
    seqOfIndex: ((eventId, preQueueSize) => (index) =>
      preQueueSize !== null && index <= preQueueSize ? permutationFor(eventId, preQueueSize).inverse(index - 1) + 1 : index) as SeqOfIndex,
  };
}

const queueOf = (view: QueueView) => (view.onsale?.queue?.enabled ? view.onsale.queue : null);
/** The store's reference to an event with a waiting room (callers have checked queueOf). */
const refOf = (view: QueueView): QueueEventRef => refFromSettings(view.eventId, view.onsale!.startsAt, queueOf(view)!);
const refFromSettings = (eventId: string, startsAt: Date, queue: QueueSettings): QueueEventRef => ({
  eventId,
  startsAtMs: startsAt.getTime(),
  windowMs: queue.shoppingWindowSeconds * 1000,
  graceMs: queue.arrivalGraceSeconds * 1000,
});

export function createQueueService({ config, db, log, bus }: Deps): QueueService {
  const mapping = createPlaceMapping(config.queue.tokenSecret);
  const store = createQueueStore(config, db, mapping);
  const tokens = createQueueTokens(config.queue.tokenSecret);
  const views = createQueueViews(db, config.queue.tickMs);
  const listeners = new Set<(update: QueueUpdate) => void>();
  // The process id in the node id lets an operator (and the multi-node test) tell which process holds a lease.
  const nodeId = `${process.pid}:${randomUUID()}`;

  async function queueView(eventId: string): Promise<QueueView> {
    const view = await views.get(eventId);
    if (!view.exists || !view.published) throw notFound('event');
    if (!queueOf(view)) throw new AppError('queue_not_enabled', 'This event has no waiting room; buy directly.');
    return view;
  }

  /**
   * Statuses from the tokens and this node's view; only admitted places ask the store (for their
   * windows, all in one call), which also marks their holders arrived: whoever asks with the token
   * (status, live socket, hold) is here.
   */
  async function statusesOf(view: QueueView, places: readonly PlaceRef[]): Promise<QueueStatus[]> {
    const queue = queueOf(view)!;
    const startsAt = view.onsale!.startsAt.getTime();
    if (view.preQueueSize === null) {
      const etaSeconds = Math.max(0, Math.ceil((startsAt - Date.now()) / 1000));
      return places.map(() => ({ state: 'pre_queue', position: null, ahead: null, etaSeconds }));
    }
    const indexes = places.map((place) => mapping.indexOfSeq(view.eventId, view.preQueueSize!, place.seq));
    const admitted = places.flatMap((place, i) => (indexes[i]! <= view.admittedThrough ? [{ place, admittedIndex: indexes[i]! }] : []));
    const windowEnds = admitted.length > 0 ? await store.arriveMany(refOf(view), admitted) : [];
    let nextWindowEnd = 0;
    return indexes.map((index): QueueStatus => {
      if (index <= view.admittedThrough) {
        const until = windowEnds[nextWindowEnd++];
        return until === undefined
          ? { state: 'expired', position: 0, ahead: 0, etaSeconds: 0 }
          : { state: 'admitted', position: 0, ahead: 0, etaSeconds: 0, admittedUntil: new Date(until) };
      }
      const position = index - view.admittedThrough;
      const ahead = position - 1;
      if (view.stock === 'sold_out') return { state: 'sold_out', position, ahead, etaSeconds: null };
      // Paused by the organizer, or waiting for held stock to come back: the place stands, no wait can be promised.
      if (queue.paused || view.stock === 'paused') return { state: 'paused', position, ahead, etaSeconds: null };
      return { state: 'waiting', position, ahead, etaSeconds: Math.ceil((ahead * 60) / queue.admitPerMinute) };
    });
  }

  const statusOf = async (view: QueueView, place: PlaceRef) => (await statusesOf(view, [place]))[0]!;

  function placeFor(eventId: string, token: string): QueuePlace {
    const place = tokens.verify(token);
    if (place.eventId !== eventId) throw new AppError('queue_token_mismatch', 'This queue token is for another event.');
    return place;
  }

  /** The seq of a token the caller presented with a join or leave, verified as theirs for this event. */
  function presentedSeq(eventId: string, userId: string, token: string | undefined): number | undefined {
    if (token === undefined) return undefined;
    const place = placeFor(eventId, token);
    if (place.userId !== userId) throw new AppError('queue_token_mismatch', 'This queue token belongs to another account.');
    return place.seq;
  }

  const advancer = createAdvancer({ db, store, tickMs: config.queue.tickMs, log });

  /** Queue-enabled events whose line is open now (or opens within a minute) and whose event has not begun. */
  async function eventsToAdvance(): Promise<AdvancedEvent[]> {
    const { rows } = await db.query<Record<string, unknown> & { maxTicketsPerOrder: number }>(
      `select ${onsaleColumns}, e.max_tickets_per_order as "maxTicketsPerOrder"
         from event_onsale o join events e on e.id = o.event_id
        where o.queue_enabled and e.status = 'published' and e.starts_at > now()
          and o.starts_at <= now() + interval '1 minute'`,
    );
    return rows.map((row) => {
      const onsale = onsaleFromRow(row as never);
      return {
        ...refFromSettings(row.eventId as string, onsale.startsAt, onsale.queue!),
        settings: onsale.queue!,
        maxTicketsPerOrder: row.maxTicketsPerOrder,
      };
    });
  }

  async function advanceAll(): Promise<void> {
    for (const event of await eventsToAdvance()) {
      if (!(await store.acquireLease(event.eventId, nodeId, config.queue.leaseMs))) {
        advancer.forget(event.eventId);
        continue;
      }
      try {
        // An admission is published as soon as PostgreSQL has it, while the store applies it to Redis:
        // the sockets hear it that much sooner (docs/benchmarks.md, the door's fan-out).
        let announced: Promise<void> | undefined;
        const update = await advancer.tick(event, Date.now(), (admitted) => {
          announced = store.publish(admitted).catch((error: unknown) => log.error({ err: error, eventId: event.eventId }, 'queue update publish failed'));
        });
        if (announced) await announced;
        else if (update) await store.publish(update);
      } catch (error) {
        log.error({ err: error, eventId: event.eventId }, 'queue advancer tick failed');
      }
    }
  }

  const deliver = (update: QueueUpdate) => {
    views.apply(update);
    for (const listener of listeners) listener(update);
  };

  const service: QueueService = {
    countsJoinLimits: (presentedToken) => store.countsJoinLimits && presentedToken === undefined,

    async join(eventId, userId, presentedToken, counters) {
      const view = await queueView(eventId);
      const now = Date.now();
      if (view.eventStartsAt && view.eventStartsAt.getTime() <= now) throw new AppError('not_on_sale', 'This event has started; the sale is over.');
      const queue = queueOf(view)!;
      const opensAt = queue.preQueueOpensAt ?? view.onsale!.startsAt;
      if (now < opensAt.getTime()) throw new AppError('queue_not_open', `The queue opens at ${opensAt.toISOString()}.`, { opensAt: opensAt.toISOString() });
      const joinCounters = counters && presentedToken === undefined && store.countsJoinLimits
        ? { keys: counters.keys as [string, string], max: counters.max as [number, number], windowMs: counters.windowMs } : undefined;
      let seq: number;
      try {
        ({ seq } = await store.join(refOf(view), userId, presentedSeq(eventId, userId, presentedToken), joinCounters));
      } catch (error) {
        if (error instanceof JoinThrottledError && counters) counters.throttled(error.waitMs);
        throw error;
      }
      // Between the start and the advancer's next tick this node may not know the draw yet: ask.
      if (view.preQueueSize === null && now >= view.onsale!.startsAt.getTime()) view.preQueueSize = (await store.freeze(refOf(view))).preQueueSize;
      const queueToken = tokens.sign({ eventId, userId, seq, issuedAt: now });
      return { queueToken, ...(await statusOf(view, { userId, seq })) };
    },

    hasEvent: async (eventId) => (await queueView(eventId)).exists,

    placeFor,

    async status(place) {
      return statusOf(await queueView(place.eventId), place);
    },

    async statuses(eventId, places) {
      return statusesOf(await queueView(eventId), places);
    },

    admittedBy({ eventId, preQueueSize, admitted }, places) {
      if (!admitted || preQueueSize === null) return places.map(() => undefined);
      const status: QueueStatus = { state: 'admitted', position: 0, ahead: 0, etaSeconds: 0, admittedUntil: new Date(admitted.until) };
      return places.map((place) => {
        if (!place || place.eventId !== eventId) return undefined;
        const index = mapping.indexOfSeq(eventId, preQueueSize, place.seq);
        return index > admitted.from && index <= admitted.through ? status : undefined;
      });
    },

    async leave(eventId, userId, presentedToken) {
      const view = await queueView(eventId);
      await store.leave(refOf(view), userId, presentedSeq(eventId, userId, presentedToken));
    },

    async gate(eventId, userId, token) {
      const view = await views.get(eventId);
      if (!view.exists || !queueOf(view)) return;
      if (!token) throw new AppError('not_admitted', 'This sale has a waiting room: join the queue and send your X-Queue-Token once admitted.');
      const place = tokens.verify(token);
      if (place.eventId !== eventId || place.userId !== userId) throw new AppError('queue_token_mismatch', 'This queue token belongs to another event or account.');
      const index = view.preQueueSize === null ? Infinity : mapping.indexOfSeq(eventId, view.preQueueSize, place.seq);
      // Asked of the store, not the cached watermark, so an admission a moment old already counts.
      if ((await store.arrive(refOf(view), place, index <= view.admittedThrough ? index : 0)) !== undefined) return;
      if (index <= view.admittedThrough) throw new AppError('admission_expired', 'Your shopping window has ended; join the queue again.');
      throw new AppError('not_admitted', 'You have not been admitted yet; keep your place in the queue.', { position: Number.isFinite(index) ? index - view.admittedThrough : null });
    },

    async figures(eventId) {
      const view = await views.get(eventId);
      if (!view.exists || !queueOf(view)) return null;
      const now = Date.now();
      // Exact rather than this node's cached view: an organizer compares these with the sales.
      const [row, minuteAgo, { issued, active }] = await Promise.all([
        readQueueRow(db, eventId),
        watermarkAt(db, eventId, now - 60_000),
        store.figures(refOf(view), now),
      ]);
      return {
        state: row.preQueueSize === null ? 'pre_queue' : queueOf(view)!.paused ? 'paused' : view.stock,
        paused: queueOf(view)!.paused,
        length: Math.max(0, issued - row.admittedThrough),
        issued,
        admittedThrough: row.admittedThrough,
        activeShoppers: active,
        admittedPerMinute: row.admittedThrough - minuteAgo,
      };
    },

    async activeFigures() {
      const lines = await Promise.all((await eventsToAdvance()).map(async ({ eventId }) => ({ eventId, figures: await service.figures(eventId) })));
      return lines.flatMap(({ eventId, figures }) => (figures ? [{ eventId, ...figures }] : []));
    },

    async checkedOut(eventId, userId) {
      const view = await views.get(eventId);
      if (view.exists && queueOf(view)) await store.leave(refOf(view), userId);
    },

    invalidate: (eventId) => views.invalidate(eventId),

    onUpdate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async start() {
      await store.subscribe(deliver);
      const advancing = startPeriodic('queue-advancer', config.queue.tickMs, advanceAll, log);
      return {
        async stop() {
          await advancing.stop();
          const held = await eventsToAdvance().catch(() => []);
          await Promise.all(held.map((e) => store.releaseLease(e.eventId, nodeId).catch(() => undefined)));
          await store.close();
        },
      };
    },
  };
  // A shopper who has bought frees a place for the next; an event changed: its view is stale.
  bus.subscribe('order.confirmed', ({ eventId, userId }) => service.checkedOut(eventId, userId));
  bus.subscribe('event.changed', ({ eventId }) => service.invalidate(eventId));
  return service;
}
