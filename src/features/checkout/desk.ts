import { randomUUID } from 'node:crypto';
import type { Database, Queryable, Tx } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import { limits } from '../../limits.js';
import { gaStock, reclaimLapsed } from '../inventory/holds.js';
import { lockTicketTypes } from '../inventory/ticket-types.js';
import { seatIsFree, writeHolds, type Stock } from '../inventory/stock.js';
import { enqueue } from '../notifications/outbox.js';
import { issueTickets } from './orders.js';

/*
 * The order desk (issue 14): an event's orders searched and paged, exported as CSV, complimentary
 * and manual orders, and revenue. Who may use it is decided by the routes (features/auth/access.ts).
 */

export type DeskOrderStatus = 'confirmed' | 'partially_cancelled' | 'cancelled';

export interface DeskOrder {
  id: string;
  number: number;
  status: DeskOrderStatus;
  kind: 'sale' | 'comp';
  buyer: { email: string; name: string };
  total: number;
  refunded: number;
  currency: string;
  tickets: number;
  validTickets: number;
  reason: string | null;
  createdAt: Date;
}

/** A page position: the last order's creation time and id (newest first), opaque to clients. */
const encodeCursor = (order: { createdAt: Date; id: string }) => Buffer.from(`${new Date(order.createdAt).toISOString()}|${order.id}`).toString('base64url');
function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!createdAt || !id || Number.isNaN(Date.parse(createdAt)) || !/^[0-9a-f-]{36}$/.test(id)) {
    throw new AppError('validation_failed', 'The cursor is not one this list gave.', { fields: [{ in: 'querystring', field: '/cursor', message: 'unknown cursor' }] });
  }
  return { createdAt, id };
}

/**
 * One page of an event's orders, newest first, by keyset (stable while orders come in). `q` of
 * digits only is an order number; anything else finds a buyer's email or name (substring, any
 * case) or a ticket code (exact, any case).
 */
export async function searchEventOrders(db: Queryable, eventId: string, query: { q?: string | undefined; status?: DeskOrderStatus | undefined; cursor?: string | undefined; limit: number }): Promise<{ items: DeskOrder[]; nextCursor: string | null }> {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  const q = query.q?.trim() || null;
  const { rows } = await db.query<DeskOrder>(
    `select o.id, o.number::float8 as number, o.status, o.kind, json_build_object('email', u.email, 'name', u.name) as buyer,
            o.total, coalesce(o.refund_amount, 0) as refunded, o.currency, o.reason, o.created_at as "createdAt",
            (select count(*) from tickets t where t.order_id = o.id and t.holder_id is null)::int as tickets,
            (select count(*) from tickets t where t.order_id = o.id and t.status = 'valid')::int as "validTickets"
       from orders o join users u on u.id = o.user_id
      where o.event_id = $1
        and ($2::text is null or o.status = $2)
        and ($3::timestamptz is null or (o.created_at, o.id) < ($3::timestamptz, $4::uuid))
        and ($5::text is null
             or ($5 ~ '^[0-9]+$' and o.number::text = $5)
             or ($5 !~ '^[0-9]+$' and (u.email ilike '%' || $6 || '%' or u.name ilike '%' || $6 || '%'
                                      or exists (select 1 from tickets t where t.order_id = o.id and t.code = upper($5)))))
      order by o.created_at desc, o.id desc
      limit $7`,
    [eventId, query.status ?? null, after?.createdAt ?? null, after?.id ?? null, q, q && escapeLike(q), query.limit + 1],
  );
  const items = rows.slice(0, query.limit);
  return { items, nextCursor: rows.length > query.limit ? encodeCursor(items[items.length - 1]!) : null };
}

/** `%` and `_` typed into the search box are searched for, not wildcards. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export const csvColumns = ['order_number', 'order_id', 'order_status', 'order_kind', 'buyer_email', 'buyer_name', 'ticket_code', 'ticket_status',
  'section', 'seat', 'price', 'currency', 'checked_in_at', 'ordered_at'] as const;

/**
 * A CSV cell that a spreadsheet shows as text: one starting with `=`, `+`, `-`, `@` (or a tab or
 * carriage return, which some read past) would be run as a formula, so it is prefixed with `'`
 * (OWASP's advice); then quoted when it holds a quote, a comma or a line break.
 */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

interface CsvTicketRow {
  id: string;
  cells: unknown[];
}

/**
 * Every ticket of the event as CSV lines (the header first), read in keyset batches of
 * `limits.csvExportBatchSize` by ticket id: memory stays one batch whatever the event's size, and
 * the consumer's pace (the socket) decides when the next batch is read.
 */
export async function* eventTicketsCsv(db: Queryable, eventId: string): AsyncGenerator<string> {
  yield `${csvColumns.join(',')}\r\n`;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await db.query<CsvTicketRow>(
      `select t.id, json_build_array(o.number, o.id, o.status, o.kind, u.email, u.name, t.code, t.status, sc.name, st.label,
                                     coalesce((select hi.price from hold_items hi where hi.hold_id = o.hold_id and hi.section_id = t.section_id
                                                and (hi.seat_id is null or hi.seat_id = t.seat_id) limit 1), 0),
                                     o.currency,
                                     (select c.scanned_at from checkins c where c.ticket_id = t.id and c.reverted_at is null limit 1),
                                     o.created_at) as cells
         from tickets t join orders o on o.id = t.order_id join users u on u.id = o.user_id
         join sections sc on sc.id = t.section_id left join seats st on st.id = t.seat_id
        where t.event_id = $1 and t.id > $2
        order by t.id
        limit $3`,
      [eventId, after, limits.csvExportBatchSize],
    );
    if (rows.length === 0) return;
    yield rows.map((row) => `${row.cells.map(csvCell).join(',')}\r\n`).join('');
    after = rows[rows.length - 1]!.id;
  }
}

export interface Revenue {
  gross: number;
  refunded: number;
  net: number;
  currency: string | null;
}

/** Money taken for the event's orders, and given back (cancellations, whole or partial), in minor units. */
export async function eventRevenue(db: Queryable, eventId: string): Promise<Revenue> {
  const { rows: [row] } = await db.query<Revenue>(
    `select coalesce(sum(o.total), 0)::int as gross, coalesce(sum(o.refund_amount), 0)::int as refunded,
            (coalesce(sum(o.total), 0) - coalesce(sum(o.refund_amount), 0))::int as net, e.currency
       from events e left join orders o on o.event_id = e.id
      where e.id = $1 group by e.currency`,
    [eventId],
  );
  if (!row) throw notFound('event');
  return row;
}

export type CompOrderInput = {
  email: string;
  sectionId: string;
  reason: string;
  /** Required in a section with ticket types: the comp's tickets are of it and count in its quota. */
  ticketTypeId?: string | undefined;
} & ({ quantity: number; seatIds?: undefined } | { seatIds: string[]; quantity?: undefined });

/**
 * A complimentary order (no payment, total 0): the stock is taken like any sale's, through
 * inventory's `writeHolds` and `convertHold`, under the same locks: a general-admission section
 * FOR UPDATE and its counter checked under it (lapsed holds reclaimed when short, as a public hold
 * does); named seats locked in id order and required free.
 * Public holds take the same locks, so the two are served one after the other and nothing is
 * sold twice. The recipient's account (made without a password for an address that has none) is
 * emailed the tickets. Returns the order id.
 */
export async function createCompOrder(db: Database, stock: Stock, eventId: string, input: CompOrderInput, createdBy: string | null): Promise<string> {
  return db.transaction(async (tx) => {
    const { rows: [event] } = await tx.query<{ currency: string; status: string }>('select currency, status from events where id = $1 for share', [eventId]);
    if (!event) throw notFound('event');
    if (event.status === 'cancelled') throw new AppError('not_on_sale', 'The event was cancelled.');
    const items = input.seatIds
      ? await takeSeats(tx, eventId, input.sectionId, input.seatIds, input.ticketTypeId)
      : await takeUnits(tx, stock, eventId, input.sectionId, input.quantity, input.ticketTypeId);
    const userId = await recipient(tx, input.email);
    const holdId = randomUUID();
    await writeHolds(tx, [{
      id: holdId, eventId, userId, expiresAt: new Date(Date.now() + 60_000), currency: event.currency,
      idempotencyKey: null, fingerprint: null, waitlistEntryId: null, items,
    }], 'on_sale');
    await stock.convertHold(tx, holdId, input.seatIds ?? []);
    const { rows: [order] } = await tx.query<{ id: string }>(
      `insert into orders (hold_id, user_id, event_id, status, total, currency, kind, reason, created_by)
       values ($1, $2, $3, 'confirmed', 0, $4, 'comp', $5, $6) returning id`,
      [holdId, userId, eventId, event.currency, input.reason, createdBy],
    );
    const tickets = await issueTickets(tx, order!.id, eventId, holdId);
    await enqueue(tx, { type: 'order.confirmed', userId, eventId, payload: { orderId: order!.id, holdId, total: 0, currency: event.currency, tickets } });
    return order!.id;
  });
}

type HoldItem = { sectionId: string; seatId: string | null; quantity: number; price: number; ticketTypeId?: string | null };

/**
 * The comp's ticket type, locked with the section's other types FOR UPDATE right after the section
 * (lock order: sections, types, then seats), as a hold's are. Its quota left is checked under that
 * lock when `units` is known, and the units count in its `taken` in `writeHolds`' statement, whose
 * CHECK backs the quota. An organizer may comp any type of the section (hidden, code-only, outside
 * its sales window). Returns a check of the quota, or null for a section without types.
 */
async function lockCompType(tx: Tx, sectionId: string, ticketTypeId: string | undefined): Promise<((units: number) => boolean) | null> {
  const types = await lockTicketTypes(tx, [sectionId]);
  if (ticketTypeId === undefined) {
    if (types.size === 0) return null;
    throw new AppError('validation_failed', 'This section sells several ticket types: name the comp\'s.', { fields: [{ in: 'body', field: '/ticketTypeId', message: 'required in a section with ticket types' }] });
  }
  const type = types.get(ticketTypeId);
  if (type?.sectionId !== sectionId) throw notFound('ticket type');
  return (units) => type.left === null || type.left >= units;
}

const typeSoldOut = (ticketTypeId: string) => new AppError('sold_out', 'Not enough tickets of this type are left.', { ticketTypeId });

/**
 * Units of a GA section, from its counter under the section's lock; lapsed holds are reclaimed first
 * when the section or the type's quota is short (inventory's `gaStock`, `reclaimLapsed`).
 */
async function takeUnits(tx: Tx, stock: Stock, eventId: string, sectionId: string, quantity: number, ticketTypeId: string | undefined): Promise<HoldItem[]> {
  const { rows: [section] } = await tx.query<{ kind: 'ga' | 'seated'; available: number | null }>(
    'select kind, available from sections where id = $1 and event_id = $2 for no key update',
    [sectionId, eventId],
  );
  if (!section) throw notFound('section');
  if (section.kind !== 'ga') throw new AppError('validation_failed', 'A reserved section takes seatIds.', { fields: [{ in: 'body', field: '/quantity', message: 'use seatIds for a reserved section' }] });
  let fits = await lockCompType(tx, sectionId, ticketTypeId);
  if (fits && !fits(quantity) && (await reclaimLapsed(tx, stock, sectionId))) fits = await lockCompType(tx, sectionId, ticketTypeId);
  if (fits && !fits(quantity)) throw typeSoldOut(ticketTypeId!);
  const { rows: [now] } = await tx.query<{ available: number }>('select available from sections where id = $1', [sectionId]);
  // Complimentary: the units go out at price 0.
  const items = (await gaStock(tx, stock, { id: sectionId, kind: 'ga', available: now!.available, price: 0, heldBack: false }, quantity)).take(quantity);
  if (!items) throw new AppError('sold_out', 'Not enough tickets are left in this section.');
  return items.map((item) => ({ ...item, ticketTypeId: ticketTypeId ?? null }));
}

async function takeSeats(tx: Tx, eventId: string, sectionId: string, seatIds: string[], ticketTypeId: string | undefined): Promise<HoldItem[]> {
  const { rowCount } = await tx.query('select 1 from sections where id = $1 and event_id = $2 for share', [sectionId, eventId]);
  if (rowCount === 0) throw notFound('section');
  // Under the section FOR SHARE a lapsed hold cannot be reclaimed here; a quota it still counts in refuses.
  const fits = await lockCompType(tx, sectionId, ticketTypeId);
  if (fits && !fits(seatIds.length)) throw typeSoldOut(ticketTypeId!);
  const { rows } = await tx.query<{ id: string; free: boolean }>(
    `select s.id, ${seatIsFree('s')} as free from seats s where s.id = any($1::uuid[]) and s.section_id = $2 order by s.id for update`,
    [seatIds, sectionId],
  );
  const taken = seatIds.filter((id) => !rows.some((s) => s.id === id && s.free));
  if (taken.length > 0) throw new AppError('seats_unavailable', 'Some of the seats are held or sold.', { seatIds: taken });
  return seatIds.map((seatId) => ({ sectionId, seatId, quantity: 1, price: 0, ticketTypeId: ticketTypeId ?? null }));
}

/** The account of the address; one is made for an address without (no password: it cannot log in until it is claimed). */
async function recipient(tx: Tx, email: string): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `with made as (insert into users (email, name, password_hash) values ($1, split_part($1, '@', 1), '!') on conflict (lower(email)) do nothing returning id)
     select id from made union all select id from users where lower(email) = lower($1) limit 1`,
    [email.trim()],
  );
  return rows[0]!.id;
}
