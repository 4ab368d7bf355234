import { randomUUID } from 'node:crypto';
import type { Tx } from '../../db/database.js';
import { enqueue, type Notification } from '../notifications/outbox.js';

/*
 * Returned stock goes to the waitlist first. Every path that puts GA units back (a hold ending, an
 * order cancelled, a capacity raise, an entry leaving) calls `offerReturnedStock` in its own
 * transaction, after the units are back and while it holds the section locks, so "units returned"
 * and "units offered" commit together or not at all. docs/waitlist.md explains the rules.
 */

export type WaitlistPolicy = 'strict_order' | 'fill';

interface PoolSection {
  id: string;
  eventId: string;
  capacity: number;
  available: number;
  reserved: number;
  price: number;
  currency: string;
  policy: WaitlistPolicy;
  offerTtlSeconds: number;
  onSale: boolean;
}

interface WaitingEntry {
  id: string;
  userId: string;
  eventId: string;
  sectionId: string | null;
  quantity: number;
}

interface Offer {
  holdId: string;
  entry: WaitingEntry;
  section: PoolSection;
}

/** What a section's pool of free units (on sale + held back) becomes after serving the waitlist. */
interface Allocation {
  offers: Offer[];
  available: number;
  reserved: number;
}

/**
 * Serves one section's free units to its waiting entries in join order. `strict_order` stops at the
 * first entry the units cannot satisfy; `fill` skips it. Units stay held back while any entry that
 * could ever use them (quantity <= capacity) is still waiting; only otherwise do they go on sale.
 */
export function allocate(section: PoolSection, entries: readonly WaitingEntry[], taken: Set<string>): Allocation {
  let pool = section.available + section.reserved;
  const candidates = entries.filter((e) => !taken.has(e.id) && e.eventId === section.eventId && (e.sectionId ?? section.id) === section.id && e.quantity <= section.capacity);
  const offers: Offer[] = [];
  if (section.onSale) {
    for (const entry of candidates) {
      if (entry.quantity > pool) {
        if (section.policy === 'strict_order') break;
        continue;
      }
      pool -= entry.quantity;
      taken.add(entry.id);
      offers.push({ holdId: randomUUID(), entry, section });
    }
  }
  const stillWaiting = section.onSale && candidates.some((e) => !taken.has(e.id));
  return { offers, available: stillWaiting ? 0 : pool, reserved: stillWaiting ? pool : 0 };
}

/**
 * Offers the free units of these GA sections to the waitlist, in the caller's transaction. The
 * caller has already locked the sections (lock order: sections -> holds -> seats -> waitlist
 * entries); the entries are locked here in join order, all in one statement, so two transactions
 * serving different sections of one event wait for each other instead of deadlocking.
 */
export async function offerReturnedStock(tx: Tx, sectionIds: readonly string[]): Promise<void> {
  if (sectionIds.length === 0) return;
  const { rows: sections } = await tx.query<PoolSection>(
    `select s.id, s.event_id as "eventId", s.capacity, s.available, s.reserved_for_waitlist as reserved, s.price, e.currency,
            e.waitlist_policy as policy, e.offer_ttl_seconds as "offerTtlSeconds",
            (e.status = 'published' and e.starts_at > now()) as "onSale"
       from sections s join events e on e.id = s.event_id
      where s.id = any($1::uuid[]) and s.kind = 'ga'
      order by s.id for update of s`,
    [[...new Set(sectionIds)]],
  );
  if (sections.length === 0) return;
  const { rows: entries } = await tx.query<WaitingEntry>(
    `select id, user_id as "userId", event_id as "eventId", section_id as "sectionId", quantity from waitlist_entries
      where status = 'waiting' and event_id = any($1::uuid[]) and (section_id = any($2::uuid[]) or section_id is null)
      order by seq for update`,
    [[...new Set(sections.map((s) => s.eventId))], sections.map((s) => s.id)],
  );
  const taken = new Set<string>();
  const allocations = sections.map((section) => ({ section, ...allocate(section, entries, taken) }));
  const changed = allocations.filter((a) => a.available !== a.section.available || a.reserved !== a.section.reserved);
  if (changed.length > 0) {
    await tx.query(
      `update sections s set available = t.available, reserved_for_waitlist = t.reserved
         from unnest($1::uuid[], $2::int[], $3::int[]) as t(id, available, reserved) where s.id = t.id`,
      [changed.map((a) => a.section.id), changed.map((a) => a.available), changed.map((a) => a.reserved)],
    );
  }
  await makeOffers(tx, allocations.flatMap((a) => a.offers));
}

/** Writes each offer as a normal hold marked with its entry, and tells the user. */
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
  await tx.query(
    `insert into hold_items (hold_id, section_id, seat_id, quantity, price)
     select hold_id, section_id, null, quantity, price from unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[]) as t(hold_id, section_id, quantity, price)`,
    [offers.map((o) => o.holdId), offers.map((o) => o.section.id), offers.map((o) => o.entry.quantity), offers.map((o) => o.section.price)],
  );
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
      total: o.entry.quantity * o.section.price,
      currency: o.section.currency,
      expiresAt: expiresAt.get(o.holdId)!.toISOString(),
    },
  })));
}

/**
 * What follows holds ending (called by `endHolds` in its transaction): offers that ended close their
 * waitlist entry (declined when released, lapsed when expired), users whose hold or offer lapsed are
 * told, and the units go to the next entries.
 */
export async function afterHoldsEnded(tx: Tx, endedIds: readonly string[], status: 'released' | 'expired'): Promise<void> {
  const { rows: ended } = await tx.query<{ id: string; userId: string; eventId: string; entryId: string | null; sectionIds: string[] }>(
    `select h.id, h.user_id as "userId", h.event_id as "eventId", h.waitlist_entry_id as "entryId",
            array(select distinct i.section_id from hold_items i where i.hold_id = h.id and i.seat_id is null) as "sectionIds"
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
