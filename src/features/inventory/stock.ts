import type { Queryable, Tx } from '../../db/database.js';
import { enqueue, type Notification } from '../notifications/outbox.js';
import type { PickerSeat } from './seat-picker.js';
import type { Breakdown } from './breakdown.js';

/*
 * Inventory owns stock: every write to holds, hold items, seats and section counters is in this
 * file, and a free seat is defined once (`seatIsFree`). Other features change stock only through
 * these functions, in their own transactions.
 *
 * Lock order, kept by every transaction that touches inventory, so none can deadlock:
 *   event row -> sections (sorted by id) -> ticket types (sorted by id) -> codes (sorted by id) -> orders (sorted by id) -> holds -> seats (sorted by id)
 *   -> waitlist entries (by join order) -> users (FOR KEY SHARE, a hold's buyers) -> event_buyers -> payments.
 * - Ticket types: only a transaction holding their section writes them (FOR NO KEY UPDATE, or FOR SHARE
 *   for a named-seat hold, which locks them FOR UPDATE in id order right after the sections), so a
 *   return that updates them later, past the orders or holds, finds them free: whoever else could
 *   hold them holds their section too.
 * - Codes: a hold locks the codes it names FOR UPDATE after the types. A code spans sections, so a
 *   return (which updates its uses past the orders and holds) may wait for a hold of another
 *   section; that hold waits for nothing a return holds (it takes no order or hold lock), so no cycle.
 * - The event row: an event's changes take it FOR NO KEY UPDATE, an order's cancellation FOR SHARE
 *   (it reads the start). The foreign-key checks of rows inserted for an event (holds, orders,
 *   tickets, outbox) take it FOR KEY SHARE, which conflicts with neither, so they may come anywhere.
 *   Nothing may take it FOR UPDATE: that would wait for those checks, made under section locks.
 * - Sections: whoever changes a section's stock (a hold batch, a release, the sweeper, a return, an
 *   offer, a join or leave of its waitlist) takes it FOR NO KEY UPDATE, so they run one at a time. A
 *   checkout's commit takes its hold's sections FOR KEY SHARE before the hold (the tickets' foreign
 *   keys take that lock anyway; after the hold, it deadlocked with a release), which conflicts with
 *   none of them: checkouts commit while the section sells. (With FOR UPDATE, every hold batch
 *   waited for the checkouts committing in its section, and every checkout for the batch: the
 *   simulator found holds queued for seconds on that lock.) Only an event's cancellation takes its
 *   sections FOR UPDATE, to wait for the checkouts committing (checkout.ts, `lockEventOrders`).
 *   Cancellations lock the sections of the orders before the orders (only cancellations lock orders).
 * - A hold batch holding its section reclaims lapsed holds with SKIP LOCKED, so it never waits for a
 *   checkout busy with one.
 * - Waitlist entries are locked in one statement in join order (the waitlist's return policy), so
 *   transactions serving different sections of one event queue on a shared whole-event entry
 *   instead of deadlocking.
 * What can still conflict (a serialization failure, a deadlock outside these paths) is run again by
 * `Database.transaction` on PostgreSQL (db/retry.ts) before any 503.
 */

/**
 * SQL: seat `st` (an alias of `seats`) can be taken: never held, returned, or held by a hold past
 * its expiry (a lapsed hold is worth nothing even before the sweeper ends it; taking its seat
 * overwrites its claim, and `endHolds` later frees only seats a hold still owns).
 */
export const seatIsFree = (st: string) => `(${st}.status = 'available' or (${st}.status = 'held' and ${st}.held_until <= now()))`;

export type EndedHoldStatus = 'released' | 'expired';

/** A hold that just ended, as the return policy sees it. */
export interface EndedHold {
  id: string;
  userId: string;
  eventId: string;
  /** Set when the hold was a waitlist offer. */
  waitlistEntryId: string | null;
}

/**
 * Who gets returned stock first. Inventory calls it in the transaction that puts stock back, while
 * that transaction holds the sections' locks, so "stock returned" and whatever the policy does with
 * it commit together or not at all. The waitlist implements it (waitlist/offers.ts); the
 * composition root registers it.
 */
export interface StockReturnPolicy {
  /** Holds ended (their stock is already back): the policy closes what it attached to them. */
  holdsEnded(tx: Tx, holds: readonly EndedHold[], status: EndedHoldStatus): Promise<void>;
  /** Units or seats came back to these sections (locked FOR UPDATE by the caller). */
  stockReturned(tx: Tx, sectionIds: readonly string[]): Promise<void>;
  /** A hold was paid for. */
  holdConverted(tx: Tx, holdId: string): Promise<void>;
}

/** A hold about to be written: its id is chosen up front so a batch can tell which rows went in. */
export interface NewHold {
  id: string;
  eventId: string;
  userId: string;
  expiresAt: Date;
  currency: string;
  idempotencyKey: string | null;
  fingerprint: string | null;
  /** The waitlist entry this hold is offered to; null for a buyer's own hold. */
  waitlistEntryId: string | null;
  /** The code the hold was made with: each of its units is a use (codes.ts). */
  codeId?: string | null;
  /**
   * `ticketTypeId` null or absent: the section's implicit type (no quota); `discount`: the code's, off each unit (`price` is what is paid);
   * `fromReserve`: of a GA item's units, those taken from the code's reserve (set aside for it, not on sale).
   * Per unit, when the event's fees and tax priced it (breakdown.ts): `fees`, `feesKept` (not refundable), `tax`, `charged` (absent: the price).
   */
  items: { sectionId: string; seatId: string | null; label?: string; quantity: number; price: number; ticketTypeId?: string | null; discount?: number; fromReserve?: number; fees?: number; feesKept?: number; tax?: number; charged?: number }[];
  /** The hold's breakdown and the pricing it was made with (absent: a waitlist offer or comp, which cost their prices). */
  priced?: { breakdown: Breakdown; pricing: unknown };
}

/** What the hold charges: each unit's `charged` (its price, fees and added tax), or its price. */
export const holdTotal = (hold: NewHold) => hold.items.reduce((sum, item) => sum + item.quantity * (item.charged ?? item.price), 0);

/**
 * Where the GA units of the holds come from: the counter on sale (`available`), or the section's
 * whole pool (on sale plus held back for the waitlist), whose two counters the caller then sets
 * with `setPoolCounters` in the same transaction.
 */
export type GaUnitsFrom = 'on_sale' | 'pool';

/**
 * The one writer of holds: the hold rows, their items, the GA stock they take and the seats they
 * mark held, in one statement. The caller holds the section or seat locks and has checked the
 * stock, and holds the buyers' locks under which it found their idempotency keys unused. Those
 * locks are per event, while a key is unique per buyer: the same key sent at once for two events
 * passes both checks, so a hold whose key turns out taken inserts nothing and takes nothing (its
 * request is a replay). A seat is marked held only while it is free: one that is not means the
 * caller's locking is wrong, and the transaction fails rather than sell a seat twice. The units of
 * each ticket type count in its `taken` in the same statement (the caller locked the types and
 * checked their quotas; the CHECK refuses any excess), and so do a code's uses (its row locked by
 * the caller, its uses checked; the CHECK again). Returns the ids inserted.
 */
export async function writeHolds(tx: Tx, holds: readonly NewHold[], gaUnitsFrom: GaUnitsFrom): Promise<Set<string>> {
  if (holds.length === 0) return new Set();
  const items = holds.flatMap((h) => h.items.map((item) => ({ holdId: h.id, ...item })));
  const { rows } = await tx.query<{ ids: string[]; seatsHeld: number; seatsWanted: number }>(
    `with items as (
       select * from unnest($10::uuid[], $11::uuid[], $12::uuid[], $13::int[], $14::int[], $16::uuid[], $18::int[], $25::int[], $26::int[], $27::int[], $28::int[], $29::int[])
         as t(hold_id, section_id, seat_id, quantity, price, ticket_type_id, discount, fees, fees_kept, tax, charged, from_reserve)
     ), inserted as (
       insert into holds (id, event_id, user_id, status, expires_at, total, currency, idempotency_key, request_fingerprint, waitlist_entry_id, event_code_id,
                          subtotal, discount, fees, tax, tax_included, pricing)
       select id, event_id, user_id, 'active', expires_at, total, currency, idempotency_key, fingerprint, entry_id, code_id,
              subtotal, discount, fees, tax, tax_included, pricing::jsonb
         from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::int[], $6::text[], $7::text[], $8::text[], $9::uuid[], $17::uuid[],
                     $19::int[], $20::int[], $21::int[], $22::int[], $23::boolean[], $24::text[])
           as t(id, event_id, user_id, expires_at, total, currency, idempotency_key, fingerprint, entry_id, code_id, subtotal, discount, fees, tax, tax_included, pricing)
       on conflict (user_id, idempotency_key) where idempotency_key is not null do nothing
       returning id, expires_at, event_code_id
     ), written as (
       select items.*, inserted.expires_at, inserted.event_code_id from items join inserted on inserted.id = items.hold_id
     ), new_items as (
       insert into hold_items (hold_id, section_id, seat_id, quantity, price, ticket_type_id, discount, fees, fees_kept, tax, charged, from_reserve)
       select hold_id, section_id, seat_id, quantity, price, ticket_type_id, discount, fees, fees_kept, tax, charged, from_reserve from written
     ), uses_taken as (
       -- A use per unit, and the units taken from the code's reserve out of it (its CHECK: never below 0).
       update event_codes c set uses = c.uses + taken.quantity, reserve_left = c.reserve_left - taken.from_reserve
         from (select event_code_id, sum(quantity)::int as quantity, sum(from_reserve)::int as from_reserve
                 from written where event_code_id is not null group by event_code_id) taken
        where c.id = taken.event_code_id
     ), types_taken as (
       update ticket_types tt set taken = tt.taken + taken.quantity
         from (select ticket_type_id, sum(quantity)::int as quantity from written where ticket_type_id is not null group by ticket_type_id) taken
        where tt.id = taken.ticket_type_id
     ), ga_taken as (
       -- Units from a code's reserve come out of the section's set-aside units, the rest out of those on sale.
       update sections s set available = s.available - (taken.quantity - taken.from_reserve), set_aside_for_codes = s.set_aside_for_codes - taken.from_reserve
         from (select section_id, sum(quantity)::int as quantity, sum(from_reserve)::int as from_reserve from written where seat_id is null group by section_id) taken
        where s.id = taken.section_id and $15 = 'on_sale'
     ), seats_held as (
       update seats s set status = 'held', hold_id = written.hold_id, held_until = written.expires_at
         from written where s.id = written.seat_id and ${seatIsFree('s')}
       returning s.id
     )
     select array(select id from inserted) as ids, (select count(*) from seats_held)::int as "seatsHeld",
            (select count(*) from written where seat_id is not null)::int as "seatsWanted"`,
    [holds.map((h) => h.id), holds.map((h) => h.eventId), holds.map((h) => h.userId), holds.map((h) => h.expiresAt), holds.map(holdTotal),
      holds.map((h) => h.currency), holds.map((h) => h.idempotencyKey), holds.map((h) => h.fingerprint), holds.map((h) => h.waitlistEntryId),
      items.map((i) => i.holdId), items.map((i) => i.sectionId), items.map((i) => i.seatId), items.map((i) => i.quantity), items.map((i) => i.price),
      gaUnitsFrom, items.map((i) => i.ticketTypeId ?? null), holds.map((h) => h.codeId ?? null), items.map((i) => i.discount ?? 0),
      ...breakdownColumns(holds), items.map((i) => i.fees ?? 0), items.map((i) => i.feesKept ?? 0), items.map((i) => i.tax ?? 0), items.map((i) => i.charged ?? null),
      items.map((i) => (i.seatId === null ? i.fromReserve ?? 0 : 0))],
  );
  const written = rows[0]!;
  if (written.seatsHeld !== written.seatsWanted) throw new Error(`${written.seatsWanted - written.seatsHeld} seat(s) written into a hold were not free`);
  return new Set(written.ids);
}

/** The holds' breakdown columns ($19–$24 of `writeHolds`): null for a hold not priced with fees and tax. */
function breakdownColumns(holds: readonly NewHold[]): unknown[][] {
  const of = <T>(pick: (b: Breakdown) => T) => holds.map((h) => (h.priced ? pick(h.priced.breakdown) : null));
  return [of((b) => b.subtotal), of((b) => b.discount), of((b) => b.fees), of((b) => b.tax), of((b) => b.taxIncluded),
    holds.map((h) => (h.priced ? JSON.stringify(h.priced.pricing) : null))];
}

/**
 * Moves `units` of GA section `sectionId` from sale into the codes' reserves (`units` below 0: from
 * the reserves back to sale), in one conditional update; false when fewer are on sale (or set aside)
 * than that. The caller holds the section's lock and, when units come back, offers them again.
 */
export async function moveToCodeReserve(tx: Tx, sectionId: string, units: number): Promise<boolean> {
  const { rowCount } = await tx.query(
    'update sections set available = available - $2, set_aside_for_codes = set_aside_for_codes + $2 where id = $1 and available - $2 >= 0 and set_aside_for_codes + $2 >= 0',
    [sectionId, units],
  );
  return rowCount > 0;
}

/** Sets GA sections' counters: units on sale, and units held back for the waitlist. */
export async function setPoolCounters(tx: Tx, counters: readonly { sectionId: string; available: number; reserved: number }[]): Promise<void> {
  if (counters.length === 0) return;
  await tx.query(
    `update sections s set available = t.available, reserved_for_waitlist = t.reserved
       from unnest($1::uuid[], $2::int[], $3::int[]) as t(id, available, reserved) where s.id = t.id`,
    [counters.map((c) => c.sectionId), counters.map((c) => c.available), counters.map((c) => c.reserved)],
  );
}

export interface MapSeat extends PickerSeat {
  label: string;
}

/**
 * Reads the seat maps of reserved sections the caller has locked FOR UPDATE, free seats marked, so a
 * pick can seat a group side by side. Under that lock no other hold, return or checkout commit can
 * change their seats; the free seats a lapsed hold still claims are locked as well (lock order:
 * seats by id), so a checkout already past its section lock and finishing one is waited for and seen.
 */
export async function lockSeatMaps(tx: Tx, sectionIds: readonly string[]): Promise<Map<string, MapSeat[]>> {
  const seatMaps = new Map<string, MapSeat[]>(sectionIds.map((id) => [id, []]));
  if (sectionIds.length === 0) return seatMaps;
  await tx.query(
    `select 1 from seats st where st.section_id = any($1::uuid[]) and st.status = 'held' and ${seatIsFree('st')} order by st.id for update`,
    [sectionIds],
  );
  const { rows } = await tx.query<MapSeat & { sectionId: string }>(
    `select st.id, st.section_id as "sectionId", st.row_label as row, st.number, st.label, st.x, st.y, ${seatIsFree('st')} as free
       from seats st where st.section_id = any($1::uuid[])`,
    [sectionIds],
  );
  for (const { sectionId, ...seat } of rows) seatMaps.get(sectionId)!.push(seat);
  return seatMaps;
}

/**
 * Locks every section these holds took stock from (GA units or seats), in id order: their return
 * goes to the return policy, which needs the section exclusively. Named-seat holds take their
 * sections FOR SHARE, also first, so they queue behind a return instead of deadlocking with it.
 */
export async function lockStockSectionsOf(tx: Tx, holdIds: readonly string[]): Promise<void> {
  await tx.query(
    `select id from sections
      where id in (select section_id from hold_items where hold_id = any($1::uuid[]))
      order by id for no key update`,
    [holdIds],
  );
}

/** A voided ticket whose stock goes back: `ticketTypeId` null for the implicit type, `codeId` the code it was bought with (a use back). */
export interface ReturnedTicket {
  sectionId: string;
  seatId: string | null;
  ticketTypeId: string | null;
  codeId: string | null;
}

/** The SQL `returning` list that reads voided tickets as `ReturnedTicket`s. */
export const returnedTicketColumns = 'section_id as "sectionId", seat_id as "seatId", ticket_type_id as "ticketTypeId", event_code_id as "codeId"';

/** How many of `items` share each non-null key. */
function countBy<T>(items: readonly T[], keyOf: (item: T) => string | null): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const key = keyOf(item);
    if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The stock changes that hand returned stock to the return policy. */
export interface Stock {
  /**
   * Ends active holds and puts their stock back, in the caller's transaction; the policy is told
   * and gets the stock first. The conditional status change is what makes a return happen once: of
   * two concurrent releases (or a release and the sweeper) only one sees the hold active. With
   * `onlyLapsed`, holds not yet past expiry are left alone. Call `lockStockSectionsOf` first (lock
   * order). Returns the ids of the holds it ended.
   */
  endHolds(tx: Tx, holdIds: readonly string[], status: EndedHoldStatus, onlyLapsed: boolean): Promise<string[]>;
  /**
   * Turns a hold into sold stock: its seats sold, the hold converted. The caller has locked the
   * hold and its seats and checked it is payable and still owns each seat.
   */
  convertHold(tx: Tx, holdId: string, seatIds: readonly string[]): Promise<void>;
  /** Puts voided tickets' units, seats and ticket-type quota back (sections locked by the caller), for the policy first. */
  returnTickets(tx: Tx, tickets: readonly ReturnedTicket[]): Promise<void>;
  /**
   * Sets a GA section's capacity (the caller holds the section FOR UPDATE): units added are returned
   * stock (the waitlist first); a lowering removes units on sale only. False, and nothing written,
   * when the lowering would need more units than are on sale.
   */
  changeCapacity(tx: Tx, sectionId: string, capacity: number): Promise<boolean>;
  /** Offers these sections' free stock to the policy again (sections locked by the caller). */
  offerAgain(tx: Tx, sectionIds: readonly string[]): Promise<void>;
  /**
   * Returns the reserves of these codes that are due (past `validUntil`, not yet released) to sale,
   * the policy first; the caller holds their sections FOR UPDATE. The conditional update is what
   * makes a release happen once: of two nodes releasing one code, only one still sees it standing.
   * Returns the units released.
   */
  releaseReserves(tx: Tx, codeIds: readonly string[]): Promise<number>;
}

export function createStock(policy: StockReturnPolicy): Stock {
  return {
    async endHolds(tx, holdIds, status, onlyLapsed) {
      if (holdIds.length === 0) return [];
      const { rows: ended } = await tx.query<EndedHold>(
        `update holds set status = $2, ended_at = now()
          where id in (select id from holds
                        where id = any($1::uuid[]) and status = 'active' and ($3 = false or expires_at <= now())
                        order by id for update)
          returning id, user_id as "userId", event_id as "eventId", waitlist_entry_id as "waitlistEntryId"`,
        [holdIds, status, onlyLapsed],
      );
      if (ended.length === 0) return [];
      const endedIds = ended.map((h) => h.id);
      const { rows: returned } = await tx.query<{ id: string }>(
        `with returned as (
           -- Units a hold took from its code's reserve go back to the reserve while it stands, else to sale.
           select i.section_id, i.seat_id, i.quantity, h.event_code_id,
                  case when c.reserve_released_at is null then i.from_reserve else 0 end as to_reserve
             from holds h join hold_items i on i.hold_id = h.id left join event_codes c on c.id = h.event_code_id
            where h.id = any($1::uuid[])
         ), ga as (
           update sections s set available = s.available + (r.quantity - r.to_reserve), set_aside_for_codes = s.set_aside_for_codes + r.to_reserve
             from (select section_id, sum(quantity)::int as quantity, sum(to_reserve)::int as to_reserve from returned
                    where seat_id is null group by section_id) r
            where s.id = r.section_id
         ), uses as (
           update event_codes c set uses = c.uses - r.quantity, reserve_left = c.reserve_left + r.to_reserve
             from (select event_code_id, sum(quantity)::int as quantity, sum(to_reserve)::int as to_reserve from returned
                    where event_code_id is not null group by event_code_id) r
            where c.id = r.event_code_id
         ), types as (
           update ticket_types tt set taken = tt.taken - r.quantity
             from (select ticket_type_id, sum(quantity)::int as quantity from hold_items
                    where hold_id = any($1::uuid[]) and ticket_type_id is not null group by ticket_type_id) r
            where tt.id = r.ticket_type_id
         ), mine as (
           -- Only seats these holds still own: a lapsed hold's seat may already belong to someone else.
           select id from seats where hold_id = any($1::uuid[]) and status = 'held' order by id for update
         ), freed as (
           update seats set status = 'available', hold_id = null, held_until = null where id in (select id from mine)
         )
         select distinct section_id as id from hold_items where hold_id = any($1::uuid[])`,
        [endedIds],
      );
      if (status === 'expired') await notifyHoldsExpired(tx, ended.filter((h) => h.waitlistEntryId === null));
      await policy.holdsEnded(tx, ended, status);
      await policy.stockReturned(tx, returned.map((r) => r.id));
      return endedIds;
    },

    async convertHold(tx, holdId, seatIds) {
      await tx.query(`update seats set status = 'sold', hold_id = null, held_until = null where id = any($1::uuid[])`, [seatIds]);
      await tx.query(`update holds set status = 'converted', ended_at = now() where id = $1`, [holdId]);
      await policy.holdConverted(tx, holdId);
    },

    async returnTickets(tx, tickets) {
      const gaCounts = new Map<string, number>();
      for (const t of tickets) if (!t.seatId) gaCounts.set(t.sectionId, (gaCounts.get(t.sectionId) ?? 0) + 1);
      await tx.query(
        `update sections s set available = s.available + r.quantity from unnest($1::uuid[], $2::int[]) as r(id, quantity) where s.id = r.id`,
        [[...gaCounts.keys()], [...gaCounts.values()]],
      );
      const typeCounts = countBy(tickets, (t) => t.ticketTypeId);
      await tx.query(
        `update ticket_types tt set taken = tt.taken - r.quantity from unnest($1::uuid[], $2::int[]) as r(id, quantity) where tt.id = r.id`,
        [[...typeCounts.keys()], [...typeCounts.values()]],
      );
      const codeCounts = countBy(tickets, (t) => t.codeId);
      await tx.query(
        `update event_codes c set uses = c.uses - r.quantity from unnest($1::uuid[], $2::int[]) as r(id, quantity) where c.id = r.id`,
        [[...codeCounts.keys()], [...codeCounts.values()]],
      );
      await tx.query(
        `with sold as (select id from seats where id = any($1::uuid[]) and status = 'sold' order by id for update)
         update seats set status = 'available' where id in (select id from sold)`,
        [tickets.flatMap((t) => (t.seatId ? [t.seatId] : []))],
      );
      await policy.stockReturned(tx, [...new Set(tickets.map((t) => t.sectionId))]);
    },

    async changeCapacity(tx, sectionId, capacity) {
      // Conditional: a lowering may take only units on sale, never one sold, held, offered or kept for the waitlist.
      const { rows } = await tx.query<{ raised: boolean }>(
        `update sections s set capacity = $2, available = s.available + ($2 - s.capacity)
           from sections old where s.id = $1 and old.id = s.id and s.available + ($2 - s.capacity) >= 0
         returning $2 > old.capacity as raised`,
        [sectionId, capacity],
      );
      if (!rows[0]) return false;
      if (rows[0].raised) await policy.stockReturned(tx, [sectionId]);
      return true;
    },

    offerAgain: (tx, sectionIds) => policy.stockReturned(tx, sectionIds),

    async releaseReserves(tx, codeIds) {
      if (codeIds.length === 0) return 0;
      const { rows } = await tx.query<{ id: string; units: number }>(
        `with released as (
           update event_codes set reserve_released_at = now()
            where id = any($1::uuid[]) and reserve is not null and reserve_released_at is null and valid_until <= now()
           returning section_id, reserve_left
         )
         update sections s set available = s.available + r.units, set_aside_for_codes = s.set_aside_for_codes - r.units
           from (select section_id, sum(reserve_left)::int as units from released group by section_id) r
          where s.id = r.section_id
         returning s.id, r.units`,
        [codeIds],
      );
      const units = rows.reduce((sum, r) => sum + r.units, 0);
      if (units > 0) await policy.stockReturned(tx, rows.filter((r) => r.units > 0).map((r) => r.id));
      return units;
    },
  };
}

/** Buyers whose own hold lapsed are told (a lapsed waitlist offer is the policy's to tell). */
async function notifyHoldsExpired(tx: Tx, holds: readonly EndedHold[]): Promise<void> {
  await enqueue(tx, ...holds.map((h): Notification => ({ type: 'hold.expired', userId: h.userId, eventId: h.eventId, payload: { holdId: h.id } })));
}

/**
 * Retention: deletes up to `batch` holds that ended (released or expired) more than `days` ago, with
 * their items (on delete cascade). Their stock went back when they ended; a hold that was ever paid for
 * or tried (an order or a payment names it) is kept with those records. Returns how many went.
 */
export async function pruneEndedHolds(db: Queryable, days: number, batch: number): Promise<number> {
  const { rowCount } = await db.query(
    `delete from holds where id in (
       select h.id from holds h
        where h.status in ('expired', 'released') and h.ended_at < now() - make_interval(days => $1)
          and not exists (select 1 from payments p where p.hold_id = h.id)
          and not exists (select 1 from orders o where o.hold_id = h.id)
        limit $2
        for update skip locked)`,
    [days, batch],
  );
  return rowCount;
}
