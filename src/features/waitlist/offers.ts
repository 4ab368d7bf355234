import { randomUUID } from 'node:crypto';
import type { Tx } from '../../db/database.js';
import { saleOpensLater } from '../inventory/sale-window.js';
import { pickBestSeats } from '../inventory/seat-picker.js';
import { holdTotal, lockSeatMaps, setPoolCounters, writeHolds, type MapSeat, type NewHold, type StockReturnPolicy } from '../inventory/stock.js';
import { pricedItems, type Pricing } from '../inventory/breakdown.js';
import { enqueue, type Notification } from '../notifications/outbox.js';

/*
 * Returned stock goes to the waitlist first: this is the inventory's return policy
 * (`waitlistReturnPolicy`). Every path that puts units or seats back (a hold ending, an order
 * cancelled, a capacity raise) calls it in its own transaction, after the stock is back and while it
 * holds the section locks, so "stock returned" and "stock offered" commit together or not at all;
 * a join or an entry leaving calls `offerReturnedStock` itself. docs/waitlist.md explains the rules.
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
  /** When an offer made now lapses. */
  offerExpiresAt: Date;
  /** The event's fees and tax: an offer is priced like any hold. */
  pricing: Pricing;
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

/** A ticket type an offer may be made as: public, on sale now, its quota left (null: none) counted down as offers are made. */
interface OfferType {
  id: string;
  sectionId: string;
  price: number;
  left: number | null;
}

interface Offer {
  holdId: string;
  entry: WaitingEntry;
  section: PoolSection;
  /** In a section with ticket types, the type the offer is of (it counts in its quota); null: the section's implicit type. */
  type: OfferType | null;
  /** Reserved seating: the seats picked for this offer. */
  seats?: MapSeat[];
}

const pool = (section: PoolSection) => section.available + section.reserved;

/** The largest entry that could be served from the section now: any it could ever hold (strict), or what fits now (fill). */
const servableQuantity = (section: PoolSection) => (section.policy === 'strict_order' ? section.capacity : pool(section));

/**
 * Serves one section's free units to its waiting entries in join order. `strict_order` stops at the
 * first entry the units cannot satisfy; `fill` skips it. Returns the offers and the units left.
 */
function allocate(section: PoolSection, entries: readonly WaitingEntry[], taken: Set<string>, types: SectionTypes): { offers: Offer[]; left: number } {
  let left = pool(section);
  const offers: Offer[] = [];
  if (!section.onSale) return { offers, left };
  const candidates = entries.filter((e) => !taken.has(e.id) && e.eventId === section.eventId && (e.sectionId ?? section.id) === section.id && e.quantity <= section.capacity);
  for (const entry of candidates) {
    // A section with types offers the first public type on sale whose quota covers the entry; none: it does not fit now.
    const type = types.typed.has(section.id) ? types.buyable.find((t) => t.sectionId === section.id && (t.left === null || t.left >= entry.quantity)) : null;
    if (entry.quantity > left || type === undefined) {
      if (section.policy === 'strict_order') break;
      continue;
    }
    left -= entry.quantity;
    if (type && type.left !== null) type.left -= entry.quantity;
    taken.add(entry.id);
    offers.push({ holdId: randomUUID(), entry, section, type });
  }
  return { offers, left };
}

interface SectionTypes {
  /** Sections that have ticket types. */
  typed: Set<string>;
  /** Their public types on sale now, in the section's order. */
  buyable: OfferType[];
}

/**
 * Locks the ticket types of these sections (the caller holds the sections FOR NO KEY UPDATE; types in id
 * order after them, stock.ts) and reads those an offer can be made as, so offers count in the
 * types' quotas like holds: `writeHolds` adds them to `taken`, the CHECK backs the quota.
 */
async function lockOfferTypes(tx: Tx, sectionIds: readonly string[]): Promise<SectionTypes> {
  const { rows } = await tx.query<OfferType & { buyable: boolean; position: number }>(
    `select id, section_id as "sectionId", price, quota - taken as left, position,
            visibility = 'public' and coalesce(sales_starts_at <= now(), true) and coalesce(sales_ends_at > now(), true) as buyable
       from ticket_types where section_id = any($1::uuid[]) order by id for update`,
    [sectionIds],
  );
  return {
    typed: new Set(rows.map((t) => t.sectionId)),
    buyable: rows.filter((t) => t.buyable).sort((a, b) => a.position - b.position).map(({ id, sectionId, price, left }) => ({ id, sectionId, price, left })),
  };
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
 * Locks and reads the seat maps of these reserved sections (lock order: seats before waitlist
 * entries), and counts each one's free seats.
 */
async function lockFreeSeats(tx: Tx, sections: PoolSection[]): Promise<Map<string, MapSeat[]>> {
  const seatMaps = await lockSeatMaps(tx, sections.map((s) => s.id));
  for (const section of sections) section.available = seatMaps.get(section.id)!.filter((seat) => seat.free).length;
  return seatMaps;
}

/** Picks the best seats for each offer of a reserved section, in join order (side by side when possible). */
function pickOfferSeats(offers: Offer[], seatMaps: Map<string, MapSeat[]>): void {
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
            s.price, e.currency, e.waitlist_policy as policy, now() + make_interval(secs => e.offer_ttl_seconds) as "offerExpiresAt",
            json_build_object('fees', e.fees, 'tax', e.tax) as pricing,
            (e.status = 'published' and e.starts_at > now() and ${saleOpensLater('e')} is null) as "onSale"
       from sections s join events e on e.id = s.event_id
      where s.id = any($1::uuid[])
      order by s.id for no key update of s`,
    [[...new Set(sectionIds)]],
  );
  // A reserved section has work only when an entry it could serve waits (a join needs the section
  // lock held here, so none can appear meanwhile).
  const seated = locked.filter((s) => s.kind === 'seated' && s.onSale);
  const waitedSeated = await sectionsWithWaiters(tx, seated);
  const sections = locked.filter((s) => s.kind === 'ga' || waitedSeated.has(s.id));
  if (sections.length === 0) return;
  const seatMaps = await lockFreeSeats(tx, sections.filter((s) => s.kind === 'seated'));
  const types = await lockOfferTypes(tx, sections.map((s) => s.id));
  const entries = await lockServableEntries(tx, sections);
  const taken = new Set<string>();
  const allocations = sections.map((section) => ({ section, ...allocate(section, entries, taken, types) }));
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
  await setPoolCounters(tx, changed.map((c) => ({ sectionId: c.section.id, available: c.available, reserved: c.reserved })));
}

/** An offer as a hold: one item per GA offer, one per seat for reserved seating. */
function offerHold({ holdId, entry, section, seats, type }: Offer): NewHold {
  const price = type?.price ?? section.price;
  const ticketTypeId = type?.id ?? null;
  return {
    id: holdId,
    eventId: section.eventId,
    userId: entry.userId,
    expiresAt: section.offerExpiresAt,
    currency: section.currency,
    idempotencyKey: null,
    fingerprint: null,
    waitlistEntryId: entry.id,
    ...pricedItems<NewHold['items'][number]>(seats
      ? seats.map((seat) => ({ sectionId: section.id, seatId: seat.id, label: seat.label, quantity: 1, price, ticketTypeId }))
      : [{ sectionId: section.id, seatId: null, quantity: entry.quantity, price, ticketTypeId }], section.pricing),
  };
}

/**
 * Writes each offer as a normal hold marked with its entry, through the inventory's one writer of
 * holds (its GA units come from the section's pool, whose counters the caller sets), and tells the user.
 */
async function makeOffers(tx: Tx, offers: Offer[]): Promise<void> {
  if (offers.length === 0) return;
  await writeHolds(tx, offers.map(offerHold), 'pool');
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
      total: holdTotal(offerHold(o)),
      currency: o.section.currency,
      expiresAt: o.section.offerExpiresAt.toISOString(),
    },
  })));
}

/**
 * The waitlist as the inventory's return policy: offers that ended close their entry (declined when
 * released, lapsed when expired, and the user is told), an offer paid for converts its entry, and
 * returned units and seats go to the next entries.
 */
export const waitlistReturnPolicy: StockReturnPolicy = {
  async holdsEnded(tx, holds, status) {
    const offers = holds.filter((h) => h.waitlistEntryId !== null);
    if (offers.length === 0) return;
    await tx.query(
      `update waitlist_entries set status = $2, updated_at = now() where id = any($1::uuid[]) and status = 'offered'`,
      [offers.map((h) => h.waitlistEntryId), status === 'released' ? 'declined' : 'lapsed'],
    );
    if (status !== 'expired') return;
    await enqueue(tx, ...offers.map((h): Notification => ({
      type: 'waitlist.offer_lapsed',
      userId: h.userId,
      eventId: h.eventId,
      payload: { holdId: h.id, entryId: h.waitlistEntryId! },
    })));
  },

  stockReturned: offerReturnedStock,

  /** Checkout of an offer closes its entry (lock order: the hold is locked, then its entry). */
  async holdConverted(tx, holdId) {
    await tx.query(
      `update waitlist_entries set status = 'converted', updated_at = now()
        where id = (select waitlist_entry_id from holds where id = $1) and status = 'offered'`,
      [holdId],
    );
  },
};
