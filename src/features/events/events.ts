import type { DomainEventBus } from '../../bus.js';
import type { Database, Queryable, Tx } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import { sectionAccounting, sectionAvailability, seatMap, type SectionAccounting, type SectionAvailability } from '../inventory/availability.js';
import { createSections, type NewSeat } from '../inventory/sections.js';
import { editTicketTypes, ticketTypeAvailability, type TicketTypeAvailability, type TicketTypeEdit } from '../inventory/ticket-types.js';
import type { Stock } from '../inventory/stock.js';
import type { Fee, Tax } from '../inventory/breakdown.js';
import { cancelLockedOrders, lockEventOrders, type OwedRefund } from '../checkout/checkout.js';
import { cancelWaitlistAndNotify } from '../waitlist/waitlist.js';
import type { CreateEventBody, EventStatus, ListEventsQuery, SectionInput, UpdateEventBody } from './schemas.js';
import { limits } from '../../limits.js';
import { refreshSearchDocuments } from '../search/documents.js';
import { searchEvents, type SearchDatabase } from '../search/search.js';
import { loadOnsale, saveOnsale, type OnsaleSettings } from '../queue/settings.js';

export interface EventRecord {
  id: string;
  title: string;
  description: string | null;
  category: string | null;
  performers: string[];
  tags: string[];
  venueId: string;
  venue: { id: string; name: string; city: string; address: string | null; timeZone: string };
  startsAt: Date;
  endsAt: Date | null;
  currency: string;
  status: EventStatus;
  maxTicketsPerOrder: number;
  maxTicketsPerUser: number | null;
  maxHoldsPerUser: number | null;
  holdTtlSeconds: number;
  offerTtlSeconds: number;
  waitlistPolicy: 'strict_order' | 'fill';
  transfersAllowed: boolean;
  opensAt: Date | null;
  fees: Fee[];
  tax: Tax | null;
}

type Section = Omit<SectionAvailability, 'eventId'> & { ticketTypes: TicketTypeView[] };
type TicketTypeView = Omit<TicketTypeAvailability, 'sectionId' | 'quotaLeft'> & { available: number };

const eventColumns = `
  e.id, e.title, e.description, e.category, e.performers, e.tags, e.venue_id as "venueId",
  json_build_object('id', v.id, 'name', v.name, 'city', v.city, 'address', v.address, 'timeZone', v.time_zone) as venue,
  e.starts_at as "startsAt", e.ends_at as "endsAt", e.currency, e.status,
  e.max_tickets_per_order as "maxTicketsPerOrder", e.max_tickets_per_user as "maxTicketsPerUser", e.max_holds_per_user as "maxHoldsPerUser",
  e.hold_ttl_seconds as "holdTtlSeconds", e.offer_ttl_seconds as "offerTtlSeconds", e.waitlist_policy as "waitlistPolicy",
  e.transfers_allowed as "transfersAllowed", e.fees, e.tax,
  (select o.starts_at from event_onsale o where o.event_id = e.id) as "opensAt"`;
const eventFrom = 'events e join venues v on v.id = e.venue_id';

/** The event's sections, each with its ticket types: a type has what its section has, or less when its quota has less left. */
const sectionsOf = (availability: SectionAvailability[], types: TicketTypeAvailability[], eventId: string): Section[] =>
  availability.filter((s) => s.eventId === eventId).map(({ eventId: _, ...section }) => ({
    ...section,
    ticketTypes: types.filter((t) => t.sectionId === section.id).map(({ sectionId: __, quotaLeft, ...type }) => ({
      ...type,
      available: quotaLeft === null ? section.available : Math.max(0, Math.min(section.available, quotaLeft)),
    })),
  }));

export async function findEvent(db: Queryable, eventId: string): Promise<EventRecord | undefined> {
  const { rows } = await db.query<EventRecord>(`select ${eventColumns} from ${eventFrom} where e.id = $1`, [eventId]);
  return rows[0];
}

/** An event with live availability. Drafts are visible to admins only; to anyone else they do not exist. */
export async function getEvent(db: Queryable, eventId: string, viewerIsAdmin: boolean): Promise<EventRecord & { sections: Section[]; onsale: OnsaleSettings | null }> {
  const event = await findEvent(db, eventId);
  if (!event || (event.status === 'draft' && !viewerIsAdmin)) throw notFound('event');
  const [availability, types, onsale] = await Promise.all([sectionAvailability(db, [eventId]), ticketTypeAvailability(db, [eventId], !viewerIsAdmin), loadOnsale(db, eventId)]);
  return { ...event, sections: sectionsOf(availability, types, eventId), onsale };
}

/**
 * An event's per-buyer ticket cap: the organizer's (null = no limit), else the default, raised to
 * the largest order so that one order of the event's own maximum is always possible.
 */
const ticketsPerUserOf = (input: CreateEventBody, maxTicketsPerOrder: number): number | null =>
  input.maxTicketsPerUser === undefined ? Math.max(limits.ticketsPerUserDefault, maxTicketsPerOrder) : input.maxTicketsPerUser;

export async function createEvent(db: Database, input: CreateEventBody, organizationId: string): Promise<string> {
  assertTimesInOrder(input.startsAt, input.endsAt);
  assertSeatCountAllowed(input.sections);
  const maxTicketsPerOrder = input.maxTicketsPerOrder ?? limits.ticketsPerOrderDefault;
  return db.transaction(async (tx) => {
    // Another organization's venue does not exist for this one (the foreign key insists too).
    const venue = await tx.query('select 1 from venues where id = $1 and organization_id = $2 for key share', [input.venueId, organizationId]);
    if (venue.rowCount === 0) throw new AppError('not_found', 'The venue does not exist.', { field: 'venueId' });
    const { rows } = await tx.query<{ id: string }>(
      `insert into events (organization_id, venue_id, title, description, category, starts_at, ends_at, currency, status,
                           max_tickets_per_order, max_tickets_per_user, max_holds_per_user, hold_ttl_seconds, offer_ttl_seconds, waitlist_policy, transfers_allowed,
                           performers, tags, fees, tax)
       values ($18, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce($12, 600), coalesce($13, 600), coalesce($14, 'strict_order'), coalesce($15, true), $16, $17,
               $19::jsonb, $20::jsonb)
       returning id`,
      [input.venueId, input.title, input.description ?? null, input.category ?? null, input.startsAt, input.endsAt ?? null,
        input.currency, input.status ?? 'draft', maxTicketsPerOrder, ticketsPerUserOf(input, maxTicketsPerOrder),
        input.maxHoldsPerUser === undefined ? limits.holdsPerUserDefault : input.maxHoldsPerUser, input.holdTtlSeconds ?? null, input.offerTtlSeconds ?? null, input.waitlistPolicy ?? null,
        input.transfersAllowed ?? null, input.performers ?? [], input.tags ?? [], organizationId, JSON.stringify(input.fees ?? []), jsonOrNull(input.tax)],
    );
    const eventId = rows[0]!.id;
    await insertSections(tx, eventId, input.sections);
    await refreshSearchDocuments(tx, [eventId]);
    if (input.onsale) await saveOnsale(tx, eventId, input.onsale, new Date(input.startsAt));
    return eventId;
  });
}

/** A value for a jsonb parameter: JSON text, or SQL null for null (no tax). */
const jsonOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/** The smallest normal float4. PostgreSQL's `real` refuses anything closer to zero as an underflow. */
const realMinNormal = 2 ** -126;

/**
 * A JSON number as the `real` column will hold it: the nearest float4, and 0 for a value too close to
 * zero for a normal float4 (a coordinate like 1e-74 means 0 on any seat map; storing it failed the insert).
 */
const toStoredReal = (value: number): number => (Math.abs(value) < realMinNormal ? 0 : Math.fround(value));

/** Lays out a reserved section's seats: a count makes a straight row; a list gives each seat's place. */
export function layoutSeats(sectionId: string, rows: Extract<SectionInput, { rows: unknown }>['rows']): NewSeat[] {
  const seats: NewSeat[] = [];
  rows.forEach((row, rowIndex) => {
    const specs = typeof row.seats === 'number'
      ? Array.from({ length: row.seats }, (_, i) => ({ number: i + 1, x: i, y: rowIndex }))
      : row.seats;
    specs.forEach((spec, i) => {
      const number = spec.number ?? i + 1;
      seats.push({ sectionId, row: row.label, number, label: ('label' in spec && spec.label) || `${row.label}${number}`, x: toStoredReal(spec.x), y: toStoredReal(spec.y) });
    });
  });
  return seats;
}

/**
 * Counted from the request before any seat is laid out: a body under the size limit can still ask for
 * millions of seats (rows of 500), which would cost seconds and gigabytes just to refuse.
 */
function assertSeatCountAllowed(sections: SectionInput[]): void {
  const count = sections.reduce((total, section) =>
    total + ('rows' in section ? section.rows.reduce((n, row) => n + (typeof row.seats === 'number' ? row.seats : row.seats.length), 0) : 0), 0);
  if (count > limits.seatsPerEventMax) {
    throw new AppError('validation_failed', `An event may have at most ${limits.seatsPerEventMax} reserved seats.`, {
      fields: [{ in: 'body', field: '/sections', message: `${count} seats, more than ${limits.seatsPerEventMax}` }],
    });
  }
}

function duplicateSeats(seats: NewSeat[]): string[] {
  const seen = new Set<string>();
  return seats.map((s) => `${s.row}-${s.number}`).filter((key) => seen.has(key) || !seen.add(key));
}

async function insertSections(tx: Tx, eventId: string, sections: SectionInput[]): Promise<void> {
  const seats: NewSeat[] = [];
  const ids = sections.map(() => crypto.randomUUID());
  const capacities = sections.map((section, index) => {
    if (!('rows' in section)) return section.capacity;
    const laid = layoutSeats(ids[index]!, section.rows);
    const duplicates = duplicateSeats(laid);
    if (duplicates.length > 0) {
      throw new AppError('validation_failed', 'A section lists the same seat twice.', { fields: [{ in: 'body', field: `/sections/${index}/rows`, message: `duplicate seats ${duplicates.slice(0, 10).join(', ')}` }] });
    }
    seats.push(...laid);
    return laid.length;
  });
  await createSections(tx, eventId, sections.map((section, index) => ({
    id: ids[index]!, name: section.name, kind: 'rows' in section ? 'seated' : 'ga', price: section.price, capacity: capacities[index]!, ticketTypes: section.ticketTypes,
  })), seats);
}

function assertTimesInOrder(startsAt: string | Date, endsAt: string | Date | null | undefined): void {
  if (endsAt && new Date(endsAt) <= new Date(startsAt)) {
    throw new AppError('validation_failed', 'The event must end after it starts.', { fields: [{ in: 'body', field: '/endsAt', message: 'must be after startsAt' }] });
  }
}

const allowedStatusChanges: Record<EventStatus, EventStatus[]> = {
  draft: ['draft', 'published', 'cancelled'],
  published: ['published', 'cancelled'],
  cancelled: ['cancelled'],
};

const updatableColumns = {
  title: 'title',
  description: 'description',
  category: 'category',
  performers: 'performers',
  tags: 'tags',
  startsAt: 'starts_at',
  endsAt: 'ends_at',
  maxTicketsPerOrder: 'max_tickets_per_order',
  maxTicketsPerUser: 'max_tickets_per_user',
  maxHoldsPerUser: 'max_holds_per_user',
  holdTtlSeconds: 'hold_ttl_seconds',
  offerTtlSeconds: 'offer_ttl_seconds',
  waitlistPolicy: 'waitlist_policy',
  transfersAllowed: 'transfers_allowed',
  fees: 'fees',
  tax: 'tax',
  status: 'status',
} as const satisfies Record<keyof Omit<UpdateEventBody, 'onsale'>, string>;

/**
 * Applies an admin's changes. Cancelling takes two transactions: the status change commits first, so
 * sales stop at once (no hold or payment starts on a cancelled event, and the change need not wait
 * for the checkouts under way), then `finishCancellation` cancels the orders. The refunds they owe
 * are returned, to send after commit.
 */
async function updateEvent(db: Database, stock: Stock, eventId: string, changes: UpdateEventBody): Promise<OwedRefund[]> {
  const status = await db.transaction(async (tx) => {
    // FOR NO KEY UPDATE: the foreign-key checks of rows inserted for the event (holds, orders, outbox)
    // do not wait for it, so transactions that hold section locks and insert them cannot deadlock with it.
    const { rows } = await tx.query<{ status: EventStatus; startsAt: Date; endsAt: Date | null }>(
      'select status, starts_at as "startsAt", ends_at as "endsAt" from events where id = $1 for no key update',
      [eventId],
    );
    const current = rows[0];
    if (!current) throw notFound('event');
    if (changes.status && !allowedStatusChanges[current.status].includes(changes.status)) {
      throw new AppError('invalid_status_change', `A ${current.status} event cannot become ${changes.status}.`, { from: current.status, to: changes.status });
    }
    assertTimesInOrder(changes.startsAt ?? current.startsAt, changes.endsAt === undefined ? current.endsAt : changes.endsAt);
    const { onsale, ...columns } = changes;
    const entries = Object.entries(columns).filter(([, value]) => value !== undefined) as [keyof typeof updatableColumns, unknown][];
    // Fees and tax are JSON (a hold made from now on is priced with them; those made before keep theirs).
    const isJson = (field: string) => field === 'fees' || field === 'tax';
    const assignments = entries.map(([field], i) => `${updatableColumns[field]} = $${i + 2}${isJson(field) ? '::jsonb' : ''}, `);
    await tx.query(`update events set ${assignments.join('')}updated_at = now() where id = $1`, [eventId, ...entries.map(([field, v]) => (isJson(field) ? jsonOrNull(v) : v))]);
    await refreshSearchDocuments(tx, [eventId]);
    if (onsale !== undefined) await saveOnsale(tx, eventId, onsale, new Date(changes.startsAt ?? current.startsAt));
    // Switching to `fill` may let entries behind the head take units held back for it.
    if (changes.waitlistPolicy) await offerHeldBackStock(tx, stock, eventId);
    return changes.status ?? current.status;
  });
  return status === 'cancelled' ? finishCancellation(db, stock, eventId) : [];
}

/**
 * The second step of cancelling an event, once: every confirmed order is cancelled (and owes its
 * payment back) and the waitlist closes, in one transaction. `lockEventOrders` reads the orders
 * only once every section is locked, after the checkouts that were committing on a status read
 * before the cancellation (they hold their sections FOR KEY SHARE); those starting after it see the
 * event cancelled. The claim on `cancellation_finished_at` makes it run once, whoever calls it.
 */
async function finishCancellation(db: Database, stock: Stock, eventId: string): Promise<OwedRefund[]> {
  return db.transaction(async (tx) => {
    const claimed = await tx.query(
      `update events set cancellation_finished_at = now() where id = $1 and status = 'cancelled' and cancellation_finished_at is null`,
      [eventId],
    );
    if (claimed.rowCount === 0) return [];
    const orders = await lockEventOrders(tx, eventId);
    await cancelWaitlistAndNotify(tx, eventId);
    return cancelLockedOrders(tx, stock, orders);
  });
}

/** Finishes cancellations a crash (or a failure) interrupted between their two steps. Returns how many. */
async function finishInterruptedCancellations(db: Database, stock: Stock, settleRefunds: (owed: OwedRefund[]) => Promise<void>): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `select id from events where status = 'cancelled' and cancellation_finished_at is null order by updated_at limit 100`,
  );
  for (const { id } of rows) await settleRefunds(await finishCancellation(db, stock, id));
  return rows.length;
}

/**
 * Serves the event's held-back units again: GA units held back, and the free seats of reserved
 * sections (lock order: the event row, then its sections by id).
 */
async function offerHeldBackStock(tx: Tx, stock: Stock, eventId: string): Promise<void> {
  const { rows } = await tx.query<{ id: string }>(
    `select id from sections where event_id = $1 and (kind = 'seated' or reserved_for_waitlist > 0) order by id for no key update`,
    [eventId],
  );
  await stock.offerAgain(tx, rows.map((r) => r.id));
}

/**
 * Changes a section: a GA section's capacity (units added are returned stock, so they go to the
 * waitlist first, in this transaction; a lowering takes only units on sale, never below sold + held
 * + offered + kept for the waitlist), and its ticket types (added, or changed by id; a quota never
 * below what the type has held and sold). One transaction under the section's lock, all or nothing.
 * Resizing reserved seating is not supported.
 */
async function changeSection(db: Database, stock: Stock, eventId: string, sectionId: string, changes: SectionChanges): Promise<void> {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ kind: string; capacity: number; available: number }>(
      'select kind, capacity, available from sections where id = $1 and event_id = $2 for no key update',
      [sectionId, eventId],
    );
    const section = rows[0];
    if (!section) throw notFound('section');
    if (changes.ticketTypes) {
      await editTicketTypes(tx, sectionId, changes.ticketTypes);
      // Search's cheapest price reads the public types.
      await refreshSearchDocuments(tx, [eventId]);
    }
    if (changes.capacity === undefined) return;
    if (section.kind !== 'ga') throw new AppError('invalid_capacity', 'Only a general-admission section can change capacity; edit the seats of a reserved section instead.');
    if (!(await stock.changeCapacity(tx, sectionId, changes.capacity))) {
      const minimum = section.capacity - section.available;
      throw new AppError('invalid_capacity', `Capacity cannot go below the ${minimum} tickets sold, held or kept for the waitlist.`, { capacity: section.capacity, minimum });
    }
  });
}

export interface SectionChanges {
  capacity?: number | undefined;
  ticketTypes?: readonly TicketTypeEdit[] | undefined;
}

/** Published events for the search's filters in its order, each with live availability, and the facets. */
export async function listEvents(db: SearchDatabase, query: ListEventsQuery) {
  const { hits, facets, nextCursor } = await searchEvents(db, query);
  const ids = hits.map((hit) => hit.id);
  const [{ rows }, availability, types] = await Promise.all([
    db.query<EventRecord>(`select ${eventColumns} from ${eventFrom} where e.id = any($1::uuid[])`, [ids]),
    sectionAvailability(db, ids),
    ticketTypeAvailability(db, ids, true),
  ]);
  const byId = new Map(rows.map((event) => [event.id, event]));
  const items = hits.map(({ id, ...found }) => {
    const event = byId.get(id)!;
    const sections = sectionsOf(availability, types, id);
    return {
      ...event,
      ...found,
      priceFrom: sections.length ? Math.min(...sections.flatMap((s) => (s.ticketTypes.length ? s.ticketTypes.map((t) => t.price) : [s.price]))) : null,
      capacity: sections.reduce((sum, s) => sum + s.capacity, 0),
      available: sections.reduce((sum, s) => sum + s.available, 0),
    };
  });
  return { items, facets, nextCursor };
}

type EventDetail = Awaited<ReturnType<typeof getEvent>>;

export interface EventService {
  create(input: CreateEventBody, organizationId: string): Promise<EventDetail>;
  get(eventId: string, viewerIsAdmin: boolean): Promise<EventDetail>;
  list(query: ListEventsQuery): ReturnType<typeof listEvents>;
  /** Applies an admin's changes; a cancellation's refunds are owed once it committed. */
  update(eventId: string, changes: UpdateEventBody): Promise<EventDetail>;
  seats(eventId: string, viewerIsAdmin: boolean): ReturnType<typeof seatMap>;
  accounting(eventId: string): Promise<SectionAccounting[]>;
  /** Raises or lowers a GA section's capacity (not below what is sold, held or kept for the waitlist), adds and changes its ticket types. */
  changeSection(eventId: string, sectionId: string, changes: SectionChanges): Promise<SectionAccounting>;
  /** Finishes cancellations a crash (or a failure) interrupted between their two steps. Returns how many. */
  finishInterruptedCancellations(): Promise<number>;
}

/** Events, their sections and their lifecycle; what follows a change is published on the bus after it committed. */
export function createEventService({ db, stock, bus }: { db: Database; stock: Stock; bus: DomainEventBus }): EventService {
  const oweRefunds = (owed: OwedRefund[]) => bus.publish('refunds.owed', { paymentIds: owed.map((p) => p.id) });
  return {
    create: async (input, organizationId) => getEvent(db, await createEvent(db, input, organizationId), true),
    get: (eventId, viewerIsAdmin) => getEvent(db, eventId, viewerIsAdmin),
    list: (query) => listEvents(db, query),
    async update(eventId, changes) {
      const owed = await updateEvent(db, stock, eventId, changes);
      await bus.publish('event.changed', { eventId });
      await oweRefunds(owed);
      return getEvent(db, eventId, true);
    },
    async seats(eventId, viewerIsAdmin) {
      await getEvent(db, eventId, viewerIsAdmin);
      return seatMap(db, eventId);
    },
    async accounting(eventId) {
      if (!(await findEvent(db, eventId))) throw notFound('event');
      return sectionAccounting(db, eventId);
    },
    async changeSection(eventId, sectionId, changes) {
      await changeSection(db, stock, eventId, sectionId, changes);
      await bus.publish('event.changed', { eventId });
      return (await sectionAccounting(db, eventId)).find((s) => s.sectionId === sectionId)!;
    },
    finishInterruptedCancellations: () => finishInterruptedCancellations(db, stock, oweRefunds),
  };
}
