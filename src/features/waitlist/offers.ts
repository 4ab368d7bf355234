import { randomUUID } from 'node:crypto';
import type { Tx } from '../../db/database.js';
import { pickBestSeats, type PickerSeat } from '../inventory/seat-picker.js';
import { enqueue, type Notification } from '../notifications/outbox.js';
import { saleOpensLater } from '../queue/settings.js';

/*
 * Returned stock goes to the waitlist first. Every path that puts units or seats back (a hold ending,
 * an order cancelled, a capacity raise, an entry leaving) calls `offerReturnedStock` in its own
 * transaction, after the stock is back and while it holds the section locks, so "stock returned"
 * and "stock offered" commit together or not at all. docs/waitlist.md explains the rules.
 */

export type WaitlistPolicy = 'strict_order' | 'fill';

interface PoolSection {
  id: string;
  eventId: string;
  kind: 'ga' | 'seated';
  capacity: number;
  /** GA: the counter on sale. Reserved seating: the free seats (held back while anyone waits). */
  available: number;
  /** GA only: the counter held back for the waitlist. */
  reserved: number;
  price: number;
  currency: string;
  policy: WaitlistPolicy;
  offerTtlSeconds: number;
  /** Published, not started, and its sale open (`onsale.startsAt` passed): offers are made only then. */
  onSale: boolean;
}

interface WaitingEntry {
  id: string;
  userId: string;
  eventId: string;
  sectionId: string | null;
  quantity: number;
}

interface OfferSeat extends PickerSeat {
  label: string;
}

interface Offer {
  holdId: string;
  entry: WaitingEntry;
  section: PoolSection;
  /** Reserved seating: the seats picked for this offer. */
  seats?: OfferSeat[];
}

const pool = (section: PoolSection) => section.available + section.reserved;

/** The largest entry that could be served from the section now: any it could ever hold (strict), or what fits now (fill). */
const servableQuantity = (section: PoolSection) => (section.policy === 'strict_order' ? section.capacity : pool(section));

/**
 * Serves one section's free units to its waiting entries in join order. `strict_order` stops at the
 * first entry the units cannot satisfy; `fill` skips it. Returns the offers and the units left.
 */
function allocate(section: PoolSection, entries: readonly WaitingEntry[], taken: Set<string>): { offers: Offer[]; left: number } {
  let left = pool(section);
  const offers: Offer[] = [];
  if (!section.onSale) return { offers, left };
  const candidates = entries.filter((e) => !taken.has(e.id) && e.eventId === section.eventId && (e.sectionId ?? section.id) === section.id && e.quantity <= section.capacity);
  for (const entry of candidates) {
    if (entry.quantity > left) {
      if (section.policy === 'strict_order') break;
      continue;
    }
    left -= entry.quantity;
    taken.add(entry.id);
    offers.push({ holdId: randomUUID(), entry, section });
  }
  return { offers, left };
}

/**
 * Locks the waiting entries these sections might serve now, in join order, in one statement (so two
 * transactions serving different sections of one event queue on a shared whole-event entry instead
 * of deadlocking). Each section needs at most `units + 1` of them (every offer takes a unit or more,
 * and one more tells strict order it must stop), so the cost follows the units returned, not the
 * length of the waitlist.
 */
async function lockServableEntries(tx: Tx, sections: PoolSection[]): Promise<WaitingEntry[]> {
  const servable = sections.filter((s) => s.onSale && pool(s) > 0);
  if (servable.length === 0) return [];
  const units = servable.reduce((sum, s) => sum + pool(s), 0);
  const { rows } = await tx.query<WaitingEntry>(
    `select w.id, w.user_id as "userId", w.event_id as "eventId", w.section_id as "sectionId", w.quantity
       from waitlist_entries w
      where w.status = 'waiting' and w.id in (
        select c.id from unnest($1::uuid[], $2::uuid[], $3::int[]) as s(id, event_id, max_quantity)
        cross join lateral (
          select e.id from waitlist_entries e
           where e.status = 'waiting' and e.event_id = s.event_id and (e.section_id = s.id or e.section_id is null)
             and e.quantity <= s.max_quantity
           order by e.seq limit $4) c)
      order by w.seq for update of w`,
    [servable.map((s) => s.id), servable.map((s) => s.eventId), servable.map(servableQuantity), units + 1],
  );
  return rows;
}

/**
 * Sections (of those given) where an entry that could ever be served from them is still waiting.
 * Read after this transaction's offers, without locks: a join needs the section lock this
 * transaction holds, so no waiting entry can be missing; an entry being offered by another section
 * at this moment may still show, which only holds units back a little longer (never on sale wrongly).
 */
async function sectionsWithWaiters(tx: Tx, sections: PoolSection[]): Promise<Set<string>> {
  if (sections.length === 0) return new Set();
  const { rows } = await tx.query<{ id: string }>(
    `select s.id from unnest($1::uuid[], $2::uuid[], $3::int[]) as s(id, event_id, capacity)
      where exists (select 1 from waitlist_entries e
                     where e.status = 'waiting' and e.event_id = s.event_id and (e.section_id = s.id or e.section_id is null)
                       and e.quantity <= s.capacity)`,
    [sections.map((s) => s.id), sections.map((s) => s.eventId), sections.map((s) => s.capacity)],
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Locks the free seats of these reserved sections (lock order: seats before waitlist entries) and
 * reads each section's seat map, so offers can pick seats side by side. Free means never held, or
 * returned: seats of a hold that lapsed but is not yet ended stay out until the sweeper ends it.
 */
async function lockFreeSeats(tx: Tx, sections: PoolSection[]): Promise<Map<string, OfferSeat[]>> {
  const ids = sections.map((s) => s.id);
  const seatMaps = new Map<string, OfferSeat[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return seatMaps;
  const { rows: free } = await tx.query<{ id: string }>(
    `select id from seats where section_id = any($1::uuid[]) and status = 'available' order by id for update`,
    [ids],
  );
  const locked = new Set(free.map((r) => r.id));
  const { rows: seats } = await tx.query<Omit<OfferSeat, 'free'> & { sectionId: string }>(
    `select id, section_id as "sectionId", row_label as row, number, label, x, y from seats where section_id = any($1::uuid[])`,
    [ids],
  );
  for (const { sectionId, ...seat } of seats) seatMaps.get(sectionId)!.push({ ...seat, free: locked.has(seat.id) });
  for (const section of sections) section.available = seatMaps.get(section.id)!.filter((seat) => seat.free).length;
  return seatMaps;
}

/** Picks the best seats for each offer of a reserved section, in join order (side by side when possible). */
function pickOfferSeats(offers: Offer[], seatMaps: Map<string, OfferSeat[]>): void {
  for (const offer of offers) {
    const seats = seatMaps.get(offer.section.id);
    if (!seats) continue;
    const picked = pickBestSeats(seats, offer.entry.quantity)!;
    for (const seat of picked.seats) seat.free = false;
    offer.seats = picked.seats;
  }
}

/**
 * Offers the free stock of these sections to the waitlist, in the caller's transaction, which has
 * already locked the sections (lock order: sections -> holds -> seats -> waitlist entries). GA: the
 * units on sale plus held back; units left over stay held back while an entry that could ever use
 * them is waiting, and go on sale only when none is. Reserved seating: the free seats; those left
 * over are held back by the waiting entries themselves (`seatsHeldBack`), so there is no counter.
 */
export async function offerReturnedStock(tx: Tx, sectionIds: readonly string[]): Promise<void> {
  if (sectionIds.length === 0) return;
  const { rows: locked } = await tx.query<PoolSection>(
    `select s.id, s.event_id as "eventId", s.kind, s.capacity, coalesce(s.available, 0) as available, s.reserved_for_waitlist as reserved,
            s.price, e.currency, e.waitlist_policy as policy, e.offer_ttl_seconds as "offerTtlSeconds",
            (e.status = 'published' and e.starts_at > now() and ${saleOpensLater('e')} is null) as "onSale"
       from sections s join events e on e.id = s.event_id
      where s.id = any($1::uuid[])
      order by s.id for update of s`,
    [[...new Set(sectionIds)]],
  );
  // A reserved section has work only when an entry it could serve waits (a join needs the section
  // lock held here, so none can appear meanwhile).
  const seated = locked.filter((s) => s.kind === 'seated' && s.onSale);
  const waitedSeated = await sectionsWithWaiters(tx, seated);
  const sections = locked.filter((s) => s.kind === 'ga' || waitedSeated.has(s.id));
  if (sections.length === 0) return;
  const seatMaps = await lockFreeSeats(tx, sections.filter((s) => s.kind === 'seated'));
  const entries = await lockServableEntries(tx, sections);
  const taken = new Set<string>();
  const allocations = sections.map((section) => ({ section, ...allocate(section, entries, taken) }));
  const offers = allocations.flatMap((a) => a.offers);
  pickOfferSeats(offers, seatMaps);
  await makeOffers(tx, offers);

  const ga = allocations.filter((a) => a.section.kind === 'ga');
  // Also while the sale is not open (none is offered then): units come back before the opening (a
  // postponed sale) stay held back for the line, which the rebalance pass serves once it opens.
  const waited = await sectionsWithWaiters(tx, ga.filter((a) => a.left > 0).map((a) => a.section));
  const counters = ga.map(({ section, left }) => ({
    section,
    available: waited.has(section.id) ? 0 : left,
    reserved: waited.has(section.id) ? left : 0,
  }));
  const changed = counters.filter((c) => c.available !== c.section.available || c.reserved !== c.section.reserved);
  if (changed.length === 0) return;
  await tx.query(
    `update sections s set available = t.available, reserved_for_waitlist = t.reserved
       from unnest($1::uuid[], $2::int[], $3::int[]) as t(id, available, reserved) where s.id = t.id`,
    [changed.map((c) => c.section.id), changed.map((c) => c.available), changed.map((c) => c.reserved)],
  );
}

/** One hold item per GA offer, one per seat for reserved seating. */
const offerItems = (offers: Offer[]) =>
  offers.flatMap((o) =>
    o.seats
      ? o.seats.map((seat) => ({ holdId: o.holdId, sectionId: o.section.id, seatId: seat.id as string | null, quantity: 1, price: o.section.price }))
      : [{ holdId: o.holdId, sectionId: o.section.id, seatId: null, quantity: o.entry.quantity, price: o.section.price }],
  );

/** Writes each offer as a normal hold marked with its entry (its seats held by it), and tells the user. */
async function makeOffers(tx: Tx, offers: Offer[]): Promise<void> {
  if (offers.length === 0) return;
  const made = await tx.query<{ id: string; expiresAt: Date }>(
    `insert into holds (id, event_id, user_id, status, expires_at, total, currency, waitlist_entry_id)
     select id, event_id, user_id, 'active', now() + make_interval(secs => ttl), total, currency, entry_id
       from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::int[], $6::text[], $7::uuid[])
         as t(id, event_id, user_id, ttl, total, currency, entry_id)
     returning id, expires_at as "expiresAt"`,
    [offers.map((o) => o.holdId), offers.map((o) => o.section.eventId), offers.map((o) => o.entry.userId), offers.map((o) => o.section.offerTtlSeconds),
      offers.map((o) => o.entry.quantity * o.section.price), offers.map((o) => o.section.currency), offers.map((o) => o.entry.id)],
  );
  const expiresAt = new Map(made.rows.map((r) => [r.id, r.expiresAt]));
  const items = offerItems(offers);
  await tx.query(
    `insert into hold_items (hold_id, section_id, seat_id, quantity, price)
     select hold_id, section_id, seat_id, quantity, price from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::int[]) as t(hold_id, section_id, seat_id, quantity, price)`,
    [items.map((i) => i.holdId), items.map((i) => i.sectionId), items.map((i) => i.seatId), items.map((i) => i.quantity), items.map((i) => i.price)],
  );
  const seats = items.filter((i) => i.seatId !== null);
  if (seats.length > 0) {
    // Conditional on the seat being free: a seat is held by one hold at a time, whatever happened.
    const held = await tx.query(
      `update seats s set status = 'held', hold_id = h.id, held_until = h.expires_at
         from unnest($1::uuid[], $2::uuid[]) as t(id, hold_id) join holds h on h.id = t.hold_id
        where s.id = t.id and s.status = 'available'`,
      [seats.map((i) => i.seatId), seats.map((i) => i.holdId)],
    );
    if (held.rowCount !== seats.length) throw new Error('a seat picked for a waitlist offer was not free');
  }
  await tx.query(
    `update waitlist_entries w set status = 'offered', offer_hold_id = t.hold_id, updated_at = now()
       from unnest($1::uuid[], $2::uuid[]) as t(id, hold_id) where w.id = t.id`,
    [offers.map((o) => o.entry.id), offers.map((o) => o.holdId)],
  );
  await enqueue(tx, ...offers.map((o): Notification => ({
    type: 'waitlist.offer_made',
    userId: o.entry.userId,
    eventId: o.section.eventId,
    payload: {
      holdId: o.holdId,
      entryId: o.entry.id,
      sectionId: o.section.id,
      quantity: o.entry.quantity,
      ...(o.seats ? { seats: o.seats.map((seat) => seat.label) } : {}),
      total: o.entry.quantity * o.section.price,
      currency: o.section.currency,
      expiresAt: expiresAt.get(o.holdId)!.toISOString(),
    },
  })));
}

/**
 * What follows holds ending (called by `endHolds` in its transaction): offers that ended close their
 * waitlist entry (declined when released, lapsed when expired), users whose hold or offer lapsed are
 * told, and the units and seats go to the next entries.
 */
export async function afterHoldsEnded(tx: Tx, endedIds: readonly string[], status: 'released' | 'expired'): Promise<void> {
  const { rows: ended } = await tx.query<{ id: string; userId: string; eventId: string; entryId: string | null; sectionIds: string[] }>(
    `select h.id, h.user_id as "userId", h.event_id as "eventId", h.waitlist_entry_id as "entryId",
            array(select distinct i.section_id from hold_items i where i.hold_id = h.id) as "sectionIds"
       from holds h where h.id = any($1::uuid[])`,
    [endedIds],
  );
  const entryIds = ended.flatMap((h) => (h.entryId ? [h.entryId] : []));
  if (entryIds.length > 0) {
    await tx.query(
      `update waitlist_entries set status = $2, updated_at = now() where id = any($1::uuid[]) and status = 'offered'`,
      [entryIds, status === 'released' ? 'declined' : 'lapsed'],
    );
  }
  if (status === 'expired') {
    await enqueue(tx, ...ended.map((h): Notification => ({
      type: h.entryId ? 'waitlist.offer_lapsed' : 'hold.expired',
      userId: h.userId,
      eventId: h.eventId,
      payload: { holdId: h.id, ...(h.entryId ? { entryId: h.entryId } : {}) },
    })));
  }
  await offerReturnedStock(tx, ended.flatMap((h) => h.sectionIds));
}

/** Checkout of an offer closes its entry (lock order: the hold is locked, then its entry). */
export async function markOfferConverted(tx: Tx, holdId: string): Promise<void> {
  await tx.query(
    `update waitlist_entries set status = 'converted', updated_at = now()
      where id = (select waitlist_entry_id from holds where id = $1) and status = 'offered'`,
    [holdId],
  );
}
