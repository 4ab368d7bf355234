import type { Queryable, Tx } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import type { CodeGrant } from './codes.js';

/*
 * Ticket types: the prices a section sells its stock at. The types share the section's stock; a
 * type's `quota` caps its units held and sold (`ticket_types.taken`, migration 018). `taken` moves
 * only where the section's stock moves (stock.ts: `writeHolds`, `endHolds`, `returnTickets`), in
 * the same transactions and under the same section locks, and a CHECK keeps it within the quota.
 * A section without types sells at its own price: its items name no type (the implicit type).
 */

export type TicketTypeVisibility = 'public' | 'hidden' | 'code';

export interface NewTicketType {
  name: string;
  price: number;
  maxPerOrder?: number | null | undefined;
  quota?: number | null | undefined;
  visibility?: TicketTypeVisibility | undefined;
  salesStartsAt?: string | null | undefined;
  salesEndsAt?: string | null | undefined;
}

export interface TicketTypeEdit extends Partial<NewTicketType> {
  id?: string | undefined;
}

/** A type as a hold batch sees it: read under its section's lock (and its own row lock), with the database's clock. */
export interface LockedTicketType {
  id: string;
  sectionId: string;
  price: number;
  maxPerOrder: number | null;
  visibility: TicketTypeVisibility;
  /** quota - taken; null without a quota. */
  left: number | null;
  /** When its sales window opens, while it has not; when it closed, once it has. */
  opensAt: Date | null;
  closedAt: Date | null;
}

/** One line of a hold: so many units of a type (null: the section's implicit type). */
export interface HoldLine {
  ticketTypeId: string | null;
  quantity: number;
}

const windowRefused = (type: LockedTicketType) =>
  new AppError('not_on_sale', type.opensAt ? `This ticket type goes on sale at ${type.opensAt.toISOString()}.` : 'This ticket type is no longer on sale.', {
    ticketTypeId: type.id,
    ...(type.opensAt ? { opensAt: type.opensAt.toISOString() } : { closedAt: type.closedAt!.toISOString() }),
  });

const typeRequired = () =>
  new AppError('validation_failed', 'This section sells several ticket types: name one for each line.', {
    fields: [{ in: 'body', field: '/items', message: 'each line needs a ticketTypeId of the section' }],
  });

/** Inserts the types of new sections, in the order given. */
export async function insertTicketTypes(tx: Tx, types: readonly (NewTicketType & { sectionId: string; position: number })[]): Promise<void> {
  if (types.length === 0) return;
  assertWindows(types);
  await tx.query(
    `insert into ticket_types (section_id, name, price, max_per_order, quota, visibility, sales_starts_at, sales_ends_at, position)
     select * from unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::int[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::int[])`,
    [types.map((t) => t.sectionId), types.map((t) => t.name), types.map((t) => t.price), types.map((t) => t.maxPerOrder ?? null),
      types.map((t) => t.quota ?? null), types.map((t) => t.visibility ?? 'public'), types.map((t) => t.salesStartsAt ?? null),
      types.map((t) => t.salesEndsAt ?? null), types.map((t) => t.position)],
  );
}

function assertWindows(types: readonly Partial<NewTicketType>[], firstIndex = 0): void {
  const bad = types.findIndex((t) => t.salesStartsAt && t.salesEndsAt && new Date(t.salesEndsAt) <= new Date(t.salesStartsAt));
  if (bad >= 0) {
    throw new AppError('validation_failed', 'A ticket type\'s sales must end after they start.', { fields: [{ in: 'body', field: `/ticketTypes/${firstIndex + bad}/salesEndsAt`, message: 'must be after salesStartsAt' }] });
  }
}

/**
 * Changes and adds a section's types; the caller holds the section FOR UPDATE, so no hold or return
 * moves `taken` meanwhile. A type is never deleted (tickets name it): `hidden` retires it. A quota
 * below what the type already has held and sold is refused (409 `invalid_quota`), by the CHECK.
 */
export async function editTicketTypes(tx: Tx, sectionId: string, edits: readonly TicketTypeEdit[]): Promise<void> {
  for (const [index, edit] of edits.entries()) {
    const { id, ...fields } = edit;
    if (id === undefined) {
      if (fields.name === undefined || fields.price === undefined) {
        throw new AppError('validation_failed', 'A new ticket type needs a name and a price.', { fields: [{ in: 'body', field: `/ticketTypes/${index}`, message: 'name and price are required without an id' }] });
      }
      const { rows: [next] } = await tx.query<{ position: number }>('select coalesce(max(position), 0) + 1 as position from ticket_types where section_id = $1', [sectionId]);
      await insertTicketTypes(tx, [{ ...fields, name: fields.name, price: fields.price, sectionId, position: next!.position }]);
      continue;
    }
    await updateTicketType(tx, sectionId, id, fields, index);
  }
}

const editableColumns = {
  name: 'name', price: 'price', maxPerOrder: 'max_per_order', quota: 'quota', visibility: 'visibility', salesStartsAt: 'sales_starts_at', salesEndsAt: 'sales_ends_at',
} as const satisfies Record<keyof NewTicketType, string>;

/** Under the section's lock `taken` cannot move, so the quota and the window are checked against the row as it stays. */
async function updateTicketType(tx: Tx, sectionId: string, id: string, fields: Partial<NewTicketType>, index: number): Promise<void> {
  const { rows: [current] } = await tx.query<{ taken: number; salesStartsAt: string | null; salesEndsAt: string | null }>(
    `select taken, sales_starts_at as "salesStartsAt", sales_ends_at as "salesEndsAt" from ticket_types where id = $1 and section_id = $2 for update`,
    [id, sectionId],
  );
  if (!current) throw new AppError('not_found', 'The ticket type does not exist in this section.', { ticketTypeId: id });
  if (fields.quota !== undefined && fields.quota !== null && fields.quota < current.taken) {
    throw new AppError('invalid_quota', `The quota cannot go below the ${current.taken} tickets of this type held or sold.`, { ticketTypeId: id, minimum: current.taken });
  }
  assertWindows([{ salesStartsAt: current.salesStartsAt, salesEndsAt: current.salesEndsAt, ...fields }], index);
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined) as [keyof NewTicketType, unknown][];
  if (entries.length === 0) return;
  await tx.query(
    `update ticket_types set ${entries.map(([field], i) => `${editableColumns[field]} = $${i + 2}`).join(', ')} where id = $1`,
    [id, ...entries.map(([, v]) => v)],
  );
}

/**
 * Locks the types of sections the caller holds (FOR UPDATE, or FOR SHARE for named seats), in id
 * order after the sections (lock order, stock.ts), and reads each one's quota left and sales window
 * by the database's clock.
 */
export async function lockTicketTypes(tx: Tx, sectionIds: readonly string[]): Promise<Map<string, LockedTicketType>> {
  const { rows } = await tx.query<LockedTicketType>(
    `select id, section_id as "sectionId", price, max_per_order as "maxPerOrder", visibility, quota - taken as left,
            case when sales_starts_at > now() then sales_starts_at end as "opensAt",
            case when sales_ends_at <= now() then sales_ends_at end as "closedAt"
       from ticket_types where section_id = any($1::uuid[]) order by id for update`,
    [sectionIds],
  );
  return new Map(rows.map((t) => [t.id, t]));
}

/** Whether any section has types (a section with types must have each line name one). */
const sectionHasTypes = (types: ReadonlyMap<string, LockedTicketType>, sectionId: string) => [...types.values()].some((t) => t.sectionId === sectionId);

/**
 * A batch's view of its sections' types: what each line may take, and the quota left as the batch
 * hands it out in arrival order. `writeHolds` then writes what was taken; the CHECK backs it.
 */
export class TypeLedger {
  constructor(private readonly types: Map<string, LockedTicketType>) {}

  /**
   * Why these lines of a section cannot be sold now, regardless of stock; undefined if they can. A
   * code may unlock `code` types and, presale, let a type in before its sales start (never after they end).
   */
  refusal(sectionId: string, lines: readonly HoldLine[], grant?: Pick<CodeGrant, 'early' | 'unlocks'>): AppError | undefined {
    for (const line of lines) {
      if (line.ticketTypeId === null) {
        if (sectionHasTypes(this.types, sectionId)) return typeRequired();
        continue;
      }
      const type = this.types.get(line.ticketTypeId);
      // Hidden and code-only types do not exist for a buyer without a code: no hint that they do.
      if (!type || type.sectionId !== sectionId || type.visibility === 'hidden') return notFound('ticket type');
      if (type.visibility === 'code' && !grant?.unlocks(type.id)) return notFound('ticket type');
      if ((type.opensAt && !grant?.early) || type.closedAt) return windowRefused(type);
      if (type.maxPerOrder !== null && line.quantity > type.maxPerOrder) {
        return new AppError('invalid_quantity', `A hold may have at most ${type.maxPerOrder} tickets of this type.`, { min: 1, max: type.maxPerOrder, ticketTypeId: type.id });
      }
    }
    return undefined;
  }

  /** True when the quotas left cover the lines (which passed `refusal`; lines of one type added up). */
  fits(lines: readonly HoldLine[]): boolean {
    return [...demandByType(lines)].every(([id, quantity]) => {
      const left = this.types.get(id)!.left;
      return left === null || quantity <= left;
    });
  }

  /** Counts lines the batch grants (after `fits`). */
  take(lines: readonly HoldLine[]): void {
    for (const [id, quantity] of demandByType(lines)) {
      const type = this.types.get(id)!;
      if (type.left !== null) type.left -= quantity;
    }
  }

  /** True when these requests (each passed `refusal`) want more of some type than its quota has left: lapsed holds are then worth reclaiming. */
  short(requests: readonly (readonly HoldLine[])[]): boolean {
    return !this.fits(requests.flat());
  }

  priceOf(ticketTypeId: string | null, sectionPrice: number): number {
    return ticketTypeId === null ? sectionPrice : this.types.get(ticketTypeId)!.price;
  }
}

function demandByType(lines: readonly HoldLine[]): Map<string, number> {
  const demand = new Map<string, number>();
  for (const line of lines) if (line.ticketTypeId !== null) demand.set(line.ticketTypeId, (demand.get(line.ticketTypeId) ?? 0) + line.quantity);
  return demand;
}

export interface TicketTypeAvailability {
  id: string;
  sectionId: string;
  name: string;
  price: number;
  maxPerOrder: number | null;
  quota: number | null;
  visibility: TicketTypeVisibility;
  salesStartsAt: Date | null;
  salesEndsAt: Date | null;
  onSale: boolean;
  /** quota left now (lapsed holds of the type counted back, as for GA units); null without a quota. */
  quotaLeft: number | null;
}

/** The types of the events' sections, in order; `publicOnly` leaves out hidden and code-only types. */
export async function ticketTypeAvailability(db: Queryable, eventIds: readonly string[], publicOnly: boolean): Promise<TicketTypeAvailability[]> {
  const { rows } = await db.query<TicketTypeAvailability>(
    `select tt.id, tt.section_id as "sectionId", tt.name, tt.price, tt.max_per_order as "maxPerOrder", tt.quota, tt.visibility,
            tt.sales_starts_at as "salesStartsAt", tt.sales_ends_at as "salesEndsAt",
            (coalesce(tt.sales_starts_at <= now(), true) and coalesce(tt.sales_ends_at > now(), true)) as "onSale",
            (tt.quota - tt.taken + coalesce((
               select sum(i.quantity) from hold_items i join holds h on h.id = i.hold_id
                where i.ticket_type_id = tt.id and h.status = 'active' and h.expires_at <= now()), 0))::int as "quotaLeft"
       from ticket_types tt join sections s on s.id = tt.section_id
      where s.event_id = any($1::uuid[]) and (not $2 or tt.visibility = 'public')
      order by tt.section_id, tt.position`,
    [eventIds, publicOnly],
  );
  return rows;
}
