import type { Queryable } from '../../db/database.js';
import { seatIsFree } from './stock.js';

export interface SectionAvailability {
  id: string;
  eventId: string;
  name: string;
  kind: 'ga' | 'seated';
  price: number;
  capacity: number;
  available: number;
}

/**
 * True while a waiting waitlist entry could be served by section `s` (an entry for it, or a
 * whole-event entry, that the section could ever satisfy): every free seat of a reserved section is
 * then held back for the waitlist, and general sale treats it as sold out; in a GA section, units
 * that come back (lapsed holds included) go to the waitlist (docs/waitlist.md). Only a
 * join makes it true, and a join takes the section lock FOR NO KEY UPDATE, so a reader holding the section
 * lock (FOR SHARE or stronger) cannot miss an entry that would hold its seats back.
 */
export const seatsHeldBack = (s: string) => `exists (
  select 1 from waitlist_entries w
   where w.event_id = ${s}.event_id and w.status = 'waiting' and (w.section_id = ${s}.id or w.section_id is null)
     and w.quantity <= ${s}.capacity)`;

/** Free seats of reserved section `s`. */
const freeSeats = `(select count(*) from seats st where st.section_id = s.id and ${seatIsFree('st')})`;

/** SQL: of hold item `i` (of hold `h`, code `c`), the units that go back to the code's reserve when the hold ends (stock.ts `endHolds`). */
const toReserve = `case when c.reserve_released_at is null then i.from_reserve else 0 end`;

/** GA units of section `s` in holds past their expiry that the sweeper has not returned to sale yet (those of a code's reserve go back to it). */
const gaLapsedUnits = `coalesce((
         select sum(i.quantity - ${toReserve}) from holds h join hold_items i on i.hold_id = h.id left join event_codes c on c.id = h.event_code_id
          where h.status = 'active' and h.expires_at <= now() and i.section_id = s.id), 0)`;

/**
 * GA units set aside for codes' holders in section `s` and not held (migration 022): the counter,
 * plus the reserve's units of lapsed holds, which go back to it.
 */
const setAsideNow = `
  case when s.kind = 'ga' then s.set_aside_for_codes + coalesce((
         select sum(${toReserve}) from holds h join hold_items i on i.hold_id = h.id join event_codes c on c.id = h.event_code_id
          where h.status = 'active' and h.expires_at <= now() and i.section_id = s.id), 0)
       else 0
  end::int`;

/**
 * Units on sale now in section `s`. A hold past its expiry is worth nothing even before the sweeper
 * has returned it, so its units count as available (invariant 3): for GA, the stock counter plus
 * lapsed holds; for reserved seating, free seats plus seats whose hold has lapsed. Unless the waitlist
 * holds them back: while an entry that the section could serve waits, what comes back is offered to
 * the waitlist, never put on sale (docs/waitlist.md), so lapsed GA units then count as held back, and
 * a buyer is not shown units that would answer `sold_out` (the simulator's "refusals while stock
 * remained" counted exactly those).
 */
const availableNow = `
  case when s.kind = 'ga' then s.available + case when ${seatsHeldBack('s')} then 0 else ${gaLapsedUnits} end
       when ${seatsHeldBack('s')} then 0
       else ${freeSeats}
  end::int`;

/**
 * Units held back for the waitlist: the GA counter (and lapsed GA units, which the waitlist gets when
 * they are returned), or every free seat of a reserved section a waiting entry could use.
 */
const reservedNow = `
  case when s.kind = 'ga' then s.reserved_for_waitlist + case when ${seatsHeldBack('s')} then ${gaLapsedUnits} else 0 end
       when ${seatsHeldBack('s')} then ${freeSeats}
       else 0
  end::int`;

/**
 * True while event `e` has a unit on sale now in some section: `available > 0` of availableNow,
 * decided without counting (search filters whole catalogues by it).
 */
export const eventHasStockNow = (e: string) => `exists (
  select 1 from sections s
   where s.event_id = ${e}.id
     and case when s.kind = 'ga' then s.available > 0 or not ${seatsHeldBack('s')} and exists (
                select 1 from holds h join hold_items i on i.hold_id = h.id
                 where h.status = 'active' and h.expires_at <= now() and i.section_id = s.id)
              when ${seatsHeldBack('s')} then false
              else exists (select 1 from seats st where st.section_id = s.id and ${seatIsFree('st')})
         end)`;

export async function sectionAvailability(db: Queryable, eventIds: readonly string[]): Promise<SectionAvailability[]> {
  const { rows } = await db.query<SectionAvailability>(
    `select s.id, s.event_id as "eventId", s.name, s.kind, s.price, s.capacity, ${availableNow} as available
       from sections s
      where s.event_id = any($1::uuid[])
      order by s.event_id, s.position`,
    [eventIds],
  );
  return rows;
}

export interface SectionAccounting {
  sectionId: string;
  name: string;
  capacity: number;
  sold: number;
  /** Live holds of general sale. */
  held: number;
  /** Live waitlist offers (holds made to a waitlist entry). */
  offered: number;
  /** Units held back for waiting entries that cannot be served yet (docs/waitlist.md). */
  reserved: number;
  /** Units set aside for codes' holders (a code's `reserve`), not held now. */
  setAside: number;
  available: number;
}

/** Buyers holding tickets of the event in general sale now (waitlist offers are not a shopper's). */
export async function buyersHolding(db: Queryable, eventId: string): Promise<number> {
  const { rows } = await db.query<{ buyers: number }>(
    `select count(distinct user_id)::int as buyers from holds
      where event_id = $1 and status = 'active' and expires_at > now() and waitlist_entry_id is null`,
    [eventId],
  );
  return rows[0]?.buyers ?? 0;
}

const liveHeldUnits = (offers: boolean) => `
  case when s.kind = 'ga' then coalesce((
         select sum(i.quantity) from holds h join hold_items i on i.hold_id = h.id
          where h.status = 'active' and h.expires_at > now() and i.section_id = s.id
            and (h.waitlist_entry_id is not null) = ${offers}), 0)
       else (select count(*) from seats st join holds h on h.id = st.hold_id
              where st.section_id = s.id and st.status = 'held' and st.held_until > now()
                and (h.waitlist_entry_id is not null) = ${offers})
  end::int`;

/**
 * sold + held + offered + reserved + setAside + available per section, each counted from its own source (valid
 * tickets, live holds, live offers, the waitlist counter, stock), in one statement so one snapshot.
 * They must add up to the capacity at every moment: the invariant tests and the organizer's
 * dashboard read this.
 */
export async function sectionAccounting(db: Queryable, eventId: string): Promise<SectionAccounting[]> {
  const { rows } = await db.query<SectionAccounting>(
    `select s.id as "sectionId", s.name, s.capacity,
            (select count(*) from tickets t where t.section_id = s.id and t.status = 'valid')::int as sold,
            ${liveHeldUnits(false)} as held,
            ${liveHeldUnits(true)} as offered,
            ${reservedNow} as reserved,
            ${setAsideNow} as "setAside",
            ${availableNow} as available
       from sections s
      where s.event_id = $1
      order by s.position`,
    [eventId],
  );
  return rows;
}

/** The seat map. A free seat the waitlist holds back (docs/waitlist.md) shows as held: nobody can pick it. */
export async function seatMap(db: Queryable, eventId: string) {
  const { rows } = await db.query(
    `select st.id, st.section_id as "sectionId", st.row_label as row, st.number, st.label, st.x, st.y,
            case when not ${seatIsFree('st')} then st.status when held_back then 'held' else 'available' end as status
       from seats st
       join (select s.id, ${seatsHeldBack('s')} as held_back from sections s where s.event_id = $1) sc on sc.id = st.section_id
      where st.event_id = $1
      order by st.section_id, st.row_label, st.number`,
    [eventId],
  );
  return rows;
}
