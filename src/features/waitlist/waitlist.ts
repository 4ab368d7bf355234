import type { Database, Queryable, Tx } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import { limits } from '../../limits.js';
import { KeyedBatcher } from '../inventory/batcher.js';
import { seatsHeldBack } from '../inventory/availability.js';
import { limitReached, ticketsTakenBy } from '../inventory/holds.js';
import { saleNotOpenYet, saleOpensLater } from '../inventory/sale-window.js';
import { lockStockSectionsOf, seatIsFree, type Stock } from '../inventory/stock.js';
import { enqueue } from '../notifications/outbox.js';
import { createWaitingLines, type WaitingEntry, type WaitingLines } from './line.js';
import { offerReturnedStock } from './offers.js';
import { waitlistSummary, type WaitlistSummary } from './summary.js';

export type EntryStatus = 'waiting' | 'offered' | 'converted' | 'left' | 'declined' | 'lapsed' | 'cancelled';

export interface EntryView {
  id: string;
  eventId: string;
  /** 1 = served next. Only a waiting entry has a place; any other status shows 0. */
  position: number;
  quantity: number;
  sectionId?: string;
  status: EntryStatus;
  offer?: { holdId: string; expiresAt: Date };
  createdAt: Date;
}

export interface WaitlistService {
  join(userId: string, eventId: string, request: { sectionId?: string | undefined; quantity: number }): Promise<EntryView>;
  /** The user's latest entry for the event (live or ended). */
  get(userId: string, eventId: string): Promise<EntryView>;
  /** Leaves the waitlist; an open offer is declined, so its tickets go to the next entry. */
  leave(userId: string, eventId: string): Promise<void>;
  decline(userId: string, holdId: string): Promise<void>;
  /**
   * Finds free units a waiting entry could use (or units held back for nobody) and serves them.
   * Every return path offers in its own transaction; this finishes what a bounded pass left (see
   * docs/waitlist.md) and is the safety net for out-of-band changes (rows edited by hand).
   */
  rebalance(): Promise<number>;
  /** The organizer's view: the line per section, and what became of the offers. */
  summary(eventId: string): Promise<WaitlistSummary>;
}

interface EventSection {
  id: string;
  kind: 'ga' | 'seated';
  capacity: number;
}

interface JoinTerms {
  status: string;
  onSale: boolean;
  opensAt: Date | null;
  maxPerOrder: number;
  maxPerUser: number | null;
}

const entryColumns = `
  select w.id, w.event_id as "eventId", w.quantity, w.section_id as "sectionId", w.status, w.created_at as "createdAt", w.seq::float8 as seq,
         w.offer_hold_id as "offerHoldId", h.expires_at as "offerExpiresAt"
    from waitlist_entries w left join holds h on h.id = w.offer_hold_id`;

type EntryRow = Omit<EntryView, 'offer' | 'sectionId' | 'position'> & { seq: number; sectionId: string | null; offerHoldId: string | null; offerExpiresAt: Date | null };

/** Only a waiting entry has a place in the line; it is read from the node's copy of the line. */
async function toView(lines: WaitingLines, { sectionId, offerHoldId, offerExpiresAt, seq, ...row }: EntryRow): Promise<EntryView> {
  const position = row.status === 'waiting' ? (await lines.get(row.eventId)).placeOf({ seq, sectionId }) : 0;
  return {
    ...row,
    position,
    ...(sectionId ? { sectionId } : {}),
    ...(row.status === 'offered' && offerHoldId && offerExpiresAt ? { offer: { holdId: offerHoldId, expiresAt: offerExpiresAt } } : {}),
  };
}

async function latestEntry(db: Queryable, userId: string, eventId: string): Promise<EntryRow | undefined> {
  const { rows } = await db.query<EntryRow>(`${entryColumns} where w.user_id = $1 and w.event_id = $2 order by w.seq desc limit 1`, [userId, eventId]);
  return rows[0];
}

const alreadyWaitlisted = () => new AppError('already_waitlisted', 'You are already on the waitlist for this event; leave it first to change your request.');

/**
 * Locks sections (lock order) and returns lapsed holds in them, so they are counted (and offered)
 * before a join decides. A seat hold reaching into a section not locked here is left to the sweeper:
 * returning it would lock that section out of order.
 */
async function lockAndReclaim(tx: Tx, stock: Stock, sectionIds: string[]): Promise<void> {
  await tx.query('select 1 from sections where id = any($1::uuid[]) order by id for no key update', [sectionIds]);
  const lapsed = await tx.query<{ id: string }>(
    `select h.id from holds h
      where h.id in (select hold_id from hold_items where section_id = any($1::uuid[]))
        and not exists (select 1 from hold_items i where i.hold_id = h.id and i.section_id <> all($1::uuid[]))
        and h.status = 'active' and h.expires_at <= now()
      order by h.id for update skip locked`,
    [sectionIds],
  );
  await stock.endHolds(tx, lapsed.rows.map((r) => r.id), 'expired', true);
}

/** Units anyone could buy now in these sections (GA counter; free or lapsed seats the waitlist does not hold back). */
async function unitsOnSale(tx: Tx, sectionIds: string[]): Promise<number> {
  const { rows } = await tx.query<{ units: number }>(
    `select coalesce(sum(case when s.kind = 'ga' then s.available
                        when ${seatsHeldBack('s')} then 0
                        else (select count(*) from seats st where st.section_id = s.id and ${seatIsFree('st')}) end), 0)::int as units
       from sections s where s.id = any($1::uuid[])`,
    [sectionIds],
  );
  return rows[0]!.units;
}

/** The sections an entry is served from: its own, or every section of the event. */
function servingSections(sections: EventSection[], sectionId: string | null | undefined): EventSection[] {
  return sectionId ? sections.filter((s) => s.id === sectionId) : sections;
}

interface JoinRequest {
  userId: string;
  eventId: string;
  sectionId: string | null;
  quantity: number;
  maxPerUser: number | null;
}

type JoinOutcome = { entryId: string } | { error: AppError };

const ticketsAvailable = (available: number) => new AppError('tickets_available', 'Tickets are still on sale; buy them instead of waiting.', { available });

/**
 * One transaction for a batch of joins served by the same sections (all of one event, in arrival
 * order): lock the sections and return lapsed holds in them once, check once that nothing is on
 * sale, write every entry in one statement, and offer once. At the moment of selling out, hundreds
 * join within a second; one at a time, each holding the section lock, they queued past the lock
 * timeout. An account already waiting (the partial unique index) gets `already_waitlisted`.
 */
async function joinBatch(tx: Tx, stock: Stock, sectionIds: string[], requests: JoinRequest[]): Promise<{ outcomes: JoinOutcome[]; waiting: WaitingEntry[] }> {
  await lockAndReclaim(tx, stock, sectionIds);
  const onSale = await unitsOnSale(tx, sectionIds);
  if (onSale > 0) return { outcomes: requests.map(() => ({ error: ticketsAvailable(onSale) })), waiting: [] };
  const { eventId } = requests[0]!;
  const capped = requests.filter((r) => r.maxPerUser !== null).map((r) => r.userId);
  const taken = capped.length > 0 ? await ticketsTakenBy(tx, eventId, capped) : new Map<string, number>();
  const outcomes: (JoinOutcome | undefined)[] = requests.map((r) =>
    r.maxPerUser !== null && (taken.get(r.userId) ?? 0) + r.quantity > r.maxPerUser ? { error: limitReached(r.maxPerUser) } : undefined);
  const joining = requests.filter((_, i) => outcomes[i] === undefined);
  const { rows } = await tx.query<{ id: string; userId: string }>(
    `insert into waitlist_entries (event_id, user_id, section_id, quantity)
     select $1, user_id, section_id, quantity from unnest($2::uuid[], $3::uuid[], $4::int[]) with ordinality as t(user_id, section_id, quantity, arrival)
      order by arrival
     on conflict (event_id, user_id) where status in ('waiting', 'offered') do nothing
     returning id, user_id as "userId"`,
    [eventId, joining.map((r) => r.userId), joining.map((r) => r.sectionId), joining.map((r) => r.quantity)],
  );
  const entryOf = new Map(rows.map((r) => [r.userId, r.id]));
  // Units held back for earlier entries may fit these (policy `fill`).
  if (rows.length > 0) await offerReturnedStock(tx, sectionIds);
  return {
    outcomes: requests.map((request, i) => {
      if (outcomes[i]) return outcomes[i];
      const entryId = entryOf.get(request.userId);
      // The same account twice in one batch: the first request took the entry.
      entryOf.delete(request.userId);
      return entryId ? { entryId } : { error: alreadyWaitlisted() };
    }),
    waiting: await stillWaiting(tx, rows.map((r) => r.id)),
  };
}

/** Of these entries, those waiting now, as the line holds them. */
async function stillWaiting(tx: Tx, entryIds: string[]): Promise<WaitingEntry[]> {
  if (entryIds.length === 0) return [];
  const { rows } = await tx.query<WaitingEntry>(
    `select seq::float8 as seq, section_id as "sectionId" from waitlist_entries where id = any($1::uuid[]) and status = 'waiting'`,
    [entryIds],
  );
  return rows;
}

interface LeaveRequest {
  entryId: string;
  eventId: string;
}

/**
 * One transaction for a batch of entries leaving the same sections (all of one event): lock the
 * sections once, decline the open offers, end the waiting entries in one statement, and offer what
 * they held back once. When patience runs out, thousands leave within seconds; one at a time, each
 * holding the section locks for its round trips, they queued for minutes (docs/benchmarks.md).
 * Says per entry whether this batch ended it, and which left the line.
 */
async function leaveBatch(tx: Tx, stock: Stock, sectionIds: string[], entryIds: string[]): Promise<{ ended: boolean[]; left: WaitingEntry[] }> {
  await tx.query('select 1 from sections where id = any($1::uuid[]) order by id for no key update', [sectionIds]);
  // Under the section locks no offer can be made to these entries: what they are now is what they stay.
  const { rows: offered } = await tx.query<{ id: string; offerHoldId: string }>(
    `select id, offer_hold_id as "offerHoldId" from waitlist_entries where id = any($1::uuid[]) and status = 'offered'`,
    [entryIds],
  );
  // The waiting leave first, so the tickets of the declined offers go to someone staying.
  const { rows: left } = await tx.query<WaitingEntry & { id: string }>(
    `update waitlist_entries set status = 'left', updated_at = now() where id = any($1::uuid[]) and status = 'waiting'
     returning id, seq::float8 as seq, section_id as "sectionId"`,
    [entryIds],
  );
  const declined = new Set(await stock.endHolds(tx, offered.map((e) => e.offerHoldId), 'released', false));
  // Units held back for these entries may now fit the next one, or go on sale.
  if (left.length > 0) await offerReturnedStock(tx, sectionIds);
  const ended = new Set([...left.map((e) => e.id), ...offered.filter((e) => declined.has(e.offerHoldId)).map((e) => e.id)]);
  return { ended: entryIds.map((id) => ended.has(id)), left };
}

export function createWaitlistService({ db, stock, queueLengthMax }: { db: Database; stock: Stock; queueLengthMax: number }): WaitlistService {
  const lines = createWaitingLines(db, limits.waitlistLineMaxAgeMs);
  const joins = new KeyedBatcher<JoinRequest, JoinOutcome>(
    async (sectionIds, requests) => {
      const { outcomes, waiting } = await db.transaction((tx) => joinBatch(tx, stock, sectionIds.split(','), requests));
      lines.joined(requests[0]!.eventId, waiting);
      return outcomes;
    },
    {
      batchSizeMax: limits.holdBatchSizeMax,
      queueLengthMax,
      queueFull: () => new AppError('unavailable', 'Too many waitlist joins are waiting for these tickets; try again in a moment.'),
    },
  );

  const leaves = new KeyedBatcher<LeaveRequest, boolean>(
    async (sectionIds, requests) => {
      const { ended, left } = await db.transaction((tx) => leaveBatch(tx, stock, sectionIds.split(','), requests.map((r) => r.entryId)));
      lines.left(requests[0]!.eventId, left);
      return ended;
    },
    {
      batchSizeMax: limits.holdBatchSizeMax,
      queueLengthMax,
      queueFull: () => new AppError('unavailable', 'Too many are leaving the waitlist for these tickets at once; try again in a moment.'),
    },
  );

  async function eventSections(eventId: string): Promise<EventSection[]> {
    return (await db.query<EventSection>('select id, kind, capacity from sections where event_id = $1 order by id', [eventId])).rows;
  }

  return {
    async join(userId, eventId, { sectionId, quantity }) {
      const { rows } = await db.query<JoinTerms>(
        `select status, (status = 'published' and starts_at > now()) as "onSale", ${saleOpensLater('e')} as "opensAt",
                max_tickets_per_order as "maxPerOrder", max_tickets_per_user as "maxPerUser" from events e where id = $1`,
        [eventId],
      );
      const terms = rows[0];
      if (!terms || terms.status === 'draft') throw notFound('event');
      if (!terms.onSale) throw new AppError('not_on_sale', 'This event is not on sale.');
      if (terms.opensAt) throw saleNotOpenYet(terms.opensAt);
      const sections = await eventSections(eventId);
      if (sectionId && !sections.some((s) => s.id === sectionId)) {
        throw new AppError('not_found', 'The section does not exist in this event.', { field: 'sectionId' });
      }
      const serving = servingSections(sections, sectionId);
      const max = Math.min(terms.maxPerOrder, Math.max(...serving.map((s) => s.capacity)));
      if (quantity > max) throw new AppError('invalid_quantity', `You may wait for at most ${max} tickets here.`, { min: 1, max });

      const servingIds = serving.map((s) => s.id);
      const joined = await joins.submit(servingIds.join(','), { userId, eventId, sectionId: sectionId ?? null, quantity, maxPerUser: terms.maxPerUser });
      if ('error' in joined) throw joined.error;
      const { rows: entries } = await db.query<EntryRow>(`${entryColumns} where w.id = $1`, [joined.entryId]);
      return toView(lines, entries[0]!);
    },

    async get(userId, eventId) {
      const entry = await latestEntry(db, userId, eventId);
      if (!entry) throw notFound('waitlist entry');
      return toView(lines, entry);
    },

    async leave(userId, eventId) {
      const live = await latestEntry(db, userId, eventId);
      if (!live || (live.status !== 'waiting' && live.status !== 'offered')) throw notFound('waitlist entry');
      const sectionIds = servingSections(await eventSections(eventId), live.sectionId).map((s) => s.id);
      if (!(await leaves.submit(sectionIds.join(','), { entryId: live.id, eventId }))) throw notFound('waitlist entry');
    },

    async decline(userId, holdId) {
      const outcome = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ status: string }>(
          'select status from holds where id = $1 and user_id = $2 and waitlist_entry_id is not null',
          [holdId, userId],
        );
        if (!rows[0]) return 'unknown';
        await lockStockSectionsOf(tx, [holdId]);
        return (await stock.endHolds(tx, [holdId], 'released', false)).length > 0 ? 'declined' : 'not_active';
      });
      // Someone else's offer does not exist, as far as this user can tell.
      if (outcome === 'unknown') throw notFound('offer');
      if (outcome === 'not_active') throw new AppError('offer_not_active', 'This offer has already lapsed, been declined or been paid for.');
    },

    summary: (eventId) => waitlistSummary(db, eventId),

    async rebalance() {
      // Per section on sale with free units (GA counters; free seats of a reserved section someone
      // waits for): is there work? Strict order: the head entry fits (or units are on sale while
      // anyone who fits waits); fill: any entry fits; or GA units are held back for nobody.
      const { rows } = await db.query<{ id: string }>(
        `with pools as (
           select * from (
             select s.id, s.event_id, s.capacity, coalesce(s.available, 0) as available, s.reserved_for_waitlist as reserved,
                    case when s.kind = 'ga' then s.available + s.reserved_for_waitlist
                         else (select count(*) from seats st where st.section_id = s.id and ${seatIsFree('st')})::int end as pool,
                    e.waitlist_policy as policy
               from sections s join events e on e.id = s.event_id
              where e.status = 'published' and e.starts_at > now() and ${saleOpensLater('e')} is null
                and (s.kind = 'ga' or ${seatsHeldBack('s')})) p
            where p.pool > 0)
         select p.id from pools p
          cross join lateral (
            select w.quantity from waitlist_entries w
             where w.event_id = p.event_id and w.status = 'waiting' and (w.section_id = p.id or w.section_id is null) and w.quantity <= p.capacity
             order by w.seq limit 1) head
          where head.quantity <= p.pool
             or ((p.policy = 'fill' or p.available > 0) and exists (
                   select 1 from waitlist_entries w
                    where w.event_id = p.event_id and w.status = 'waiting' and (w.section_id = p.id or w.section_id is null) and w.quantity <= p.pool))
         union
         select p.id from pools p
          where p.reserved > 0 and not exists (
                  select 1 from waitlist_entries w
                   where w.event_id = p.event_id and w.status = 'waiting' and (w.section_id = p.id or w.section_id is null) and w.quantity <= p.capacity)
         limit 100`,
      );
      for (const { id } of rows) {
        await db.transaction(async (tx) => {
          await tx.query('select 1 from sections where id = $1 for no key update', [id]);
          await offerReturnedStock(tx, [id]);
        });
      }
      return rows.length;
    },
  };
}

/** When an event is cancelled: its waitlist closes and everyone with a stake in it is told (the caller's transaction). */
export async function cancelWaitlistAndNotify(tx: Tx, eventId: string): Promise<void> {
  await tx.query(`update waitlist_entries set status = 'cancelled', updated_at = now() where event_id = $1 and status in ('waiting', 'offered')`, [eventId]);
  const { rows } = await tx.query<{ userId: string; title: string }>(
    `select u.user_id as "userId", e.title from events e,
            lateral (select o.user_id from orders o where o.event_id = e.id and o.status in ('confirmed', 'partially_cancelled')
                     union select h.user_id from holds h where h.event_id = e.id and h.status = 'active'
                     union select w.user_id from waitlist_entries w where w.event_id = e.id and w.status = 'cancelled') u
      where e.id = $1`,
    [eventId],
  );
  await enqueue(tx, ...rows.map((r) => ({ type: 'event.cancelled' as const, userId: r.userId, eventId, payload: { eventId, title: r.title } })));
}
