/**
 * Where the queue's fast state lives. Two backends behind this one interface: Redis (production,
 * many nodes) and PostgreSQL (embedded, single node, works on PGlite). store.conformance.test.ts runs
 * the same suite against both.
 */
export interface QueueEventRef {
  eventId: string;
  startsAtMs: number;
  windowMs: number;
  /** Arrival grace: an admitted place takes a shopper slot this long unless its holder shows up (≤ windowMs). */
  graceMs: number;
}

/** What an advancer publishes after each tick, and every node applies to its watermark cache. */
export interface QueueUpdate {
  eventId: string;
  admittedThrough: number;
  preQueueSize: number | null;
  stock: StockState;
  /** Highest seq handed out: the end of the line. */
  issued: number;
  /**
   * What this tick admitted, when it admitted anyone: the places in queue order after `from` through
   * `through`, each with a window ending at `until` (ms). Lets every node tell its sockets in those places
   * at once, from the update alone, with no store read per socket.
   */
  admitted?: { from: number; through: number; until: number };
}

export type StockState = 'on_sale' | 'paused' | 'sold_out';

export interface Counters {
  /** Highest seq handed out (an upper bound after data loss). */
  issued: number;
  /** The pre-queue size, once frozen at the start. */
  preQueueSize: number | null;
}

/** Maps a place in queue order to the seq holding it, once the pre-queue size is known. */
export type SeqOfIndex = (eventId: string, preQueueSize: number | null) => (index: number) => number;

/** The place in queue order of a seq, given the frozen pre-queue size. */
export type IndexOfSeq = (eventId: string, preQueueSize: number, seq: number) => number;

/** The join's two rate-limit counters (per IP, per account) as the rate-limit plugin names and bounds them. */
export interface JoinCounters {
  keys: [string, string];
  max: [number, number];
  windowMs: number;
}

/** A join refused by its rate limits, counted by the store: nothing was done; `waitMs` until the window resets. */
export class JoinThrottledError extends Error {
  override readonly name = 'JoinThrottledError';
  constructor(readonly waitMs: number) {
    super(`join over its rate limits for ${waitMs} ms`);
  }
}

/** A place as its token names it: the holder and the seq. */
export interface PlaceRef {
  userId: string;
  seq: number;
}

/** One holder showing up: the place and, as for `arrive`, its index when the caller sees it admitted. */
export interface Arrival {
  place: PlaceRef;
  admittedIndex?: number;
}

export interface QueueStore {
  readonly kind: 'redis' | 'postgres';
  /**
   * A place for the user: the one the user already has, or a new seq. `presentedSeq` is the place
   * of a token the caller presented (verified as this user's): after Redis lost who holds which
   * place, it is how the user gets that place back instead of a second one.
   */
  join(event: QueueEventRef, userId: string, presentedSeq?: number, counters?: JoinCounters): Promise<{ seq: number; created: boolean }>;
  /**
   * Whether `join` counts `counters` in the same round trip as the join (one Redis; not a cluster, whose
   * counters sit on other slots than the event's, nor PostgreSQL). Where false, counters are ignored:
   * the caller counts them first (the rate-limit plugin's hook).
   */
  readonly countsJoinLimits: boolean;
  /**
   * Frees the user's place (and active-shopper slot), for good: also after Redis loses its data.
   * `presentedSeq` as for join. Returns the seq freed when known.
   */
  leave(event: QueueEventRef, userId: string, presentedSeq?: number): Promise<number | undefined>;
  /** Freezes the pre-queue if the start has passed; returns the counters. */
  freeze(event: QueueEventRef): Promise<Counters>;
  /**
   * Shopper slots taken now: admitted places whose window is open and whose holder has arrived or is
   * still within the arrival grace. Late arrivals count again, so this may briefly exceed maxActiveShoppers.
   */
  activeCount(event: QueueEventRef, nowMs: number): Promise<number>;
  /** Places given and shopper slots taken now, for the dashboard: read-only, O(1) in the number of people in line. */
  figures(event: QueueEventRef, nowMs: number): Promise<{ issued: number; active: number }>;
  /**
   * The holder of a place showed up (status check, live socket, hold): if admitted and the window is
   * open, marks the place arrived (it takes a shopper slot until its window ends, again if the grace
   * had passed) and returns the window end (ms); undefined when not admitted, left, or window over.
   * `admittedIndex`: the place's index in line when the caller's view of the watermark already says
   * it is admitted, so an admission committed but not yet applied everywhere still counts.
   */
  arrive(event: QueueEventRef, place: PlaceRef, admittedIndex?: number): Promise<number | undefined>;
  /** `arrive` for many places at once (a tick admitting a node's live sockets), answers in order. */
  arriveMany(event: QueueEventRef, arrivals: readonly Arrival[]): Promise<(number | undefined)[]>;
  /**
   * Admits the places (from, through] if the watermark is still at `from` (compare-and-set in
   * PostgreSQL). Returns false when another advancer moved it first. `committed` is called once the
   * admission is committed in PostgreSQL, before Redis has it (the advancer announces it then: a node
   * that reads such a place from Redis first applies the admission itself, see `arrive`).
   */
  admit(event: QueueEventRef, from: number, through: number, nowMs: number, committed?: () => void): Promise<boolean>;
  /** Takes or renews the advancer lease of an event for ttlMs. */
  acquireLease(eventId: string, nodeId: string, ttlMs: number): Promise<boolean>;
  releaseLease(eventId: string, nodeId: string): Promise<void>;
  publish(update: QueueUpdate): Promise<void>;
  subscribe(listener: (update: QueueUpdate) => void): Promise<void>;
  close(): Promise<void>;
}
