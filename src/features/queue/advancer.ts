import type { FastifyBaseLogger } from 'fastify';
import type { Queryable } from '../../db/database.js';
import { buyersHolding, sectionAccounting } from '../inventory/availability.js';
import type { QueueSettings } from './settings.js';
import type { QueueEventRef, QueueStore, QueueUpdate, StockState } from './store.js';

export interface AdvancedEvent extends QueueEventRef {
  settings: QueueSettings;
  maxTicketsPerOrder: number;
}

export interface StockPicture {
  state: StockState;
  /** Most shoppers that may be active at once given the stock (Infinity when not stock-aware). */
  shopperCap: number;
}

/**
 * Stock-aware admission: shoppers already holding tickets (their stock is matched to them), plus the
 * shoppers the units available now can serve, plus headroom. Held units are not admitted for ahead of
 * time: those that lapse come back as available and are admitted for then. Counting held units as
 * servable while their holders also took shopper places left the last tickets to a handful of shoppers,
 * and the end of a sale decayed exponentially (docs/simulate.md, "What it has found").
 * Also says whether anything is left to sell at all.
 */
export async function stockPicture(db: Queryable, event: AdvancedEvent): Promise<StockPicture> {
  const sections = await sectionAccounting(db, event.eventId);
  const available = sections.reduce((sum, s) => sum + s.available, 0);
  const held = sections.reduce((sum, s) => sum + s.held, 0);
  const state: StockState = available > 0 ? 'on_sale' : held > 0 ? 'paused' : 'sold_out';
  if (!event.settings.stockAware) return { state, shopperCap: Infinity };
  const [perShopper, holding, walkedAway] = await Promise.all([
    ticketsPerShopper(db, event), buyersHolding(db, event.eventId), buyersWalkedAway(db, event.eventId, event.settings.shoppingWindowSeconds),
  ]);
  const servable = shoppersServable(available, perShopper, event.settings.stockTailShoppers);
  return { state, shopperCap: holding + walkedAway + Math.ceil((servable * (100 + event.settings.stockHeadroomPercent)) / 100) };
}

/**
 * Shoppers taken to have walked away: every general-sale hold they made of the event within the last
 * shopping window lapsed (none paid for, released or live), so they held recently enough (within one shopping window) that
 * their admission may still be open. Their place keeps counting against `maxActiveShoppers` until
 * the window ends, but no longer against the stock: without this, each shopper who let a hold lapse
 * kept the units it returned from being admitted for until the window ended (a default simulation's
 * last 12 tickets stood on sale for 40 s with 3,700 buyers in line, docs/simulate.md). One who does
 * come back and holds again competes with the shopper admitted for the units: the cost is at most one
 * admitted buyer meeting `sold_out`, which the simulator reports.
 */
export async function buyersWalkedAway(db: Queryable, eventId: string, windowSeconds: number): Promise<number> {
  const { rows } = await db.query<{ buyers: number }>(
    `select count(*)::int as buyers from (
       select user_id from holds
        where event_id = $1 and waitlist_entry_id is null and created_at > now() - make_interval(secs => $2)
        group by user_id
       having bool_and(status = 'expired' or (status = 'active' and expires_at <= now()))) lapsed`,
    [eventId, windowSeconds],
  );
  return rows[0]?.buyers ?? 0;
}

/**
 * Shoppers `available` units can serve: one per `perShopper` units, the assumption that keeps a crowd
 * from being let in for stock it would not find; and, in the sale's tail, one per unit up to
 * `tailShoppers`. Assuming every shopper takes the most an order may hold let in two or three shoppers
 * for the last ten tickets, and each of them who walked away, was declined or wanted more than was left
 * kept the next in line out for a whole window while thousands waited (docs/benchmarks.md, the default
 * simulation). One per unit still admits nobody for nothing: each admitted shopper can buy at least one.
 * The two rules meet at `tailShoppers` (continuous and never decreasing in `available`).
 */
export function shoppersServable(available: number, perShopper: number, tailShoppers: number): number {
  return Math.max(Math.ceil(available / perShopper), Math.min(available, tailShoppers));
}

/** Tickets a shopper is assumed to take: the most per order, or the average of the event's orders so far. */
async function ticketsPerShopper(db: Queryable, event: AdvancedEvent): Promise<number> {
  if (event.settings.stockBasis !== 'average') return event.maxTicketsPerOrder;
  const { rows } = await db.query<{ average: number | null }>(
    `select (count(t.id)::float8 / nullif(count(distinct o.id), 0)) as average
       from orders o join tickets t on t.order_id = o.id where o.event_id = $1 and o.status in ('confirmed', 'partially_cancelled')`,
    [event.eventId],
  );
  return Math.max(1, rows[0]?.average ?? event.maxTicketsPerOrder);
}

/**
 * One event's admission step, run by whichever node holds the event's lease. Rate: a token bucket
 * filled at admitPerMinute by the wall clock, holding at most two ticks' worth: a late tick (timers
 * drift under load) loses no admissions, and a pause never turns into more than one extra tick's burst.
 * Capacity: maxActiveShoppers minus those active. Stock: the cap above minus those active.
 * Paused by the organizer: nobody is admitted and the bucket stays empty, so resuming starts at the
 * set rate rather than with a burst.
 * The watermark moves by compare-and-set, so a stale advancer can neither skip nor repeat a place.
 */
export function createAdvancer(deps: { db: Queryable; store: QueueStore; tickMs: number; log: FastifyBaseLogger }) {
  const { db, store, tickMs } = deps;
  const buckets = new Map<string, { credit: number; at: number }>();

  return {
    /** `announce`: called with the update as soon as an admission is committed, before the store has applied it everywhere. */
    async tick(event: AdvancedEvent, now = Date.now(), announce?: (update: QueueUpdate) => void): Promise<QueueUpdate | undefined> {
      const { issued, preQueueSize } = await store.freeze(event);
      if (preQueueSize === null) return undefined;
      const [{ admittedThrough }, stock, active] = await Promise.all([
        db.query<{ admittedThrough: number }>('select admitted_through::float8 as "admittedThrough" from queue_state where event_id = $1', [event.eventId]).then((r) => r.rows[0] ?? { admittedThrough: 0 }),
        stockPicture(db, event),
        store.activeCount(event, now),
      ]);
      const { admitPerMinute, maxActiveShoppers } = event.settings;
      const perTick = Math.max(1, (admitPerMinute * tickMs) / 60_000);
      const bucket = buckets.get(event.eventId) ?? { credit: 0, at: now - tickMs };
      bucket.credit = Math.min(2 * perTick, bucket.credit + (admitPerMinute * (now - bucket.at)) / 60_000);
      bucket.at = now;
      buckets.set(event.eventId, bucket);

      if (event.settings.paused) bucket.credit = 0;
      const admit = Math.max(0, Math.min(
        Math.floor(bucket.credit),
        issued - admittedThrough,
        maxActiveShoppers === null ? Infinity : maxActiveShoppers - active,
        stock.shopperCap - active,
        stock.state === 'on_sale' ? Infinity : 0,
      ));
      // The store opens each window at `now` (queue_admit, admissionsAfter): the same end everywhere.
      const admitted: QueueUpdate = {
        eventId: event.eventId, admittedThrough: admittedThrough + admit, preQueueSize, stock: stock.state, issued,
        admitted: { from: admittedThrough, through: admittedThrough + admit, until: now + event.windowMs },
      };
      if (admit > 0 && (await store.admit(event, admittedThrough, admittedThrough + admit, now, () => announce?.(admitted)))) {
        bucket.credit -= admit;
        return admitted;
      }
      return { eventId: event.eventId, admittedThrough, preQueueSize, stock: stock.state, issued };
    },
    forget(eventId: string) {
      buckets.delete(eventId);
    },
  };
}
