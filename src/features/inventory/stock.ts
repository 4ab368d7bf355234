import type { Tx } from '../../db/database.js';
import { afterHoldsEnded } from '../waitlist/offers.js';

/*
 * Lock order, kept by every transaction that touches inventory, so none can deadlock:
 *   event row -> sections (sorted by id) -> orders (sorted by id) -> holds -> seats (sorted by id)
 *   -> waitlist entries (by join order) -> users (FOR KEY SHARE, a hold's buyers) -> event_buyers -> payments.
 * - The event row: an event's changes take it FOR NO KEY UPDATE, an order's cancellation FOR SHARE
 *   (it reads the start). The foreign-key checks of rows inserted for an event (holds, orders,
 *   tickets, outbox) take it FOR KEY SHARE, which conflicts with neither, so they may come anywhere.
 *   Nothing may take it FOR UPDATE: that would wait for those checks, made under section locks.
 * - Sections: a checkout's commit takes its hold's sections FOR KEY SHARE before the hold (the
 *   tickets' foreign keys take that lock anyway; after the hold, it deadlocked with a release);
 *   cancellations lock the sections of the orders before the orders (only cancellations lock orders).
 * - A hold batch holding its section FOR UPDATE reclaims lapsed holds with SKIP LOCKED, so it never
 *   waits for a checkout busy with one.
 * - Waitlist entries are locked in one statement in join order (`offerReturnedStock`), so
 *   transactions serving different sections of one event queue on a shared whole-event entry
 *   instead of deadlocking.
 * What can still conflict (a serialization failure, a deadlock outside these paths) is run again by
 * `Database.transaction` on PostgreSQL (db/retry.ts) before any 503.
 */

/**
 * Locks every section these holds took stock from (GA units or seats), in id order: their return
 * goes to the waitlist, which needs the section exclusively. Named-seat holds take their sections
 * FOR SHARE, also first, so they queue behind a return instead of deadlocking with it.
 */
export async function lockStockSectionsOf(tx: Tx, holdIds: readonly string[]): Promise<void> {
  await tx.query(
    `select id from sections
      where id in (select section_id from hold_items where hold_id = any($1::uuid[]))
      order by id for update`,
    [holdIds],
  );
}

export type EndedHoldStatus = 'released' | 'expired';

/**
 * Ends active holds and puts their stock back, in the caller's transaction: units and seats go to the
 * waitlist first (`afterHoldsEnded` offers them before anything else can take them). The conditional
 * status change is what makes a return happen once: of two concurrent releases (or a release and the
 * sweeper) only one sees the hold active. With `onlyLapsed`, holds not yet past expiry are left alone.
 * Call `lockStockSectionsOf` first (lock order). Returns the ids of the holds it ended.
 */
export async function endHolds(tx: Tx, holdIds: readonly string[], status: EndedHoldStatus, onlyLapsed: boolean): Promise<string[]> {
  if (holdIds.length === 0) return [];
  const ended = await tx.query<{ id: string }>(
    `update holds set status = $2, ended_at = now()
      where id in (select id from holds
                    where id = any($1::uuid[]) and status = 'active' and ($3 = false or expires_at <= now())
                    order by id for update)
      returning id`,
    [holdIds, status, onlyLapsed],
  );
  const endedIds = ended.rows.map((r) => r.id);
  if (endedIds.length === 0) return [];
  await tx.query(
    `update sections s set available = s.available + r.quantity
       from (select section_id, sum(quantity)::int as quantity from hold_items
              where hold_id = any($1::uuid[]) and seat_id is null group by section_id) r
      where s.id = r.section_id`,
    [endedIds],
  );
  // Only seats these holds still own: a lapsed hold's seat may already belong to someone else.
  await tx.query(
    `with mine as (select id from seats where hold_id = any($1::uuid[]) and status = 'held' order by id for update)
     update seats set status = 'available', hold_id = null, held_until = null where id in (select id from mine)`,
    [endedIds],
  );
  await afterHoldsEnded(tx, endedIds, status);
  return endedIds;
}
