import { randomBytes, randomUUID } from 'node:crypto';
import type { Database, Queryable, Tx } from '../../db/database.js';
import { moveToCodeReserve, type Stock } from './stock.js';
import { AppError, notFound } from '../../errors.js';
import { isUniqueViolation } from '../../db/pg-errors.js';
import { limits } from '../../limits.js';
import { sectionAvailability } from './availability.js';
import { ticketTypeAvailability, type HoldLine, type TicketTypeAvailability } from './ticket-types.js';

/*
 * Codes of an event (issue 15): `presale` lets a hold in before the sale opens (the event's
 * onsale.startsAt and its types' salesStartsAt) from the code's validFrom; `unlock` sells the types
 * whose visibility is `code`; `discount` takes a percent or an amount off each ticket, never below
 * zero. A code applies to its `ticketTypeIds` (all types, and sections without types, when null).
 *
 * `uses` counts tickets: every unit of a hold made with the code is a use, from the hold on. It is
 * taken under the code's row lock in the transaction that writes the hold (lock order: sections,
 * ticket types, codes by id; stock.ts), and given back where the stock comes back: a hold ended
 * (released, expired) and tickets voided (an order cancelled, whole or in part). The CHECK keeps it
 * within max_uses whatever a writer does.
 */

export type CodeKind = 'presale' | 'unlock' | 'discount';

export interface NewCodes {
  /** One code as given, or `generate` codes made up here. */
  code?: string | undefined;
  generate?: number | undefined;
  prefix?: string | undefined;
  kind: CodeKind;
  ticketTypeIds?: string[] | undefined;
  discount?: { percent: number } | { amountOff: number } | undefined;
  maxUses?: number | undefined;
  maxPerOrder?: number | undefined;
  validFrom?: string | undefined;
  validUntil?: string | undefined;
  /** Units of `sectionId` (a general-admission section) set aside for the code's holders until `validUntil`, per code. */
  reserve?: number | undefined;
  sectionId?: string | undefined;
}

export interface CodeView {
  id: string;
  code: string;
  kind: CodeKind;
  ticketTypeIds: string[] | null;
  discount: { percent: number } | { amountOff: number } | null;
  maxUses: number | null;
  maxPerOrder: number | null;
  validFrom: Date | null;
  validUntil: Date | null;
  uses: number;
  disabled: boolean;
  batchId: string | null;
  createdAt: Date;
  /** The section of the reserve, and its size (units its holds took included); null without one. */
  sectionId: string | null;
  reserve: number | null;
  /** Set-aside units not in a hold now (0 once released); null without a reserve. */
  reserveLeft: number | null;
  /** When the units left went back to sale (at `validUntil`, once). */
  reserveReleasedAt: Date | null;
}

/** The code's letters: Crockford base32 (no I, L, O, U to misread); 16 of them are 80 random bits. */
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const generatedCodeLength = 16;

/** A generated code: `generatedCodeLength` letters of 5 random bits each (80 bits, at least the 60 the issue asks). */
export function generateCode(prefix = ''): string {
  return prefix.toUpperCase() + [...randomBytes(generatedCodeLength)].map((byte) => alphabet[byte & 31]).join('');
}

/** How a code is compared: case-insensitively (and without surrounding spaces a buyer may paste). */
export const normalizeCode = (code: string) => code.trim().toUpperCase();

const codeColumns = `id, code, kind, ticket_type_ids as "ticketTypeIds",
  case when percent_off is not null then json_build_object('percent', percent_off)
       when amount_off is not null then json_build_object('amountOff', amount_off) end as discount,
  max_uses as "maxUses", max_per_order as "maxPerOrder", valid_from as "validFrom", valid_until as "validUntil",
  uses, disabled_at is not null as disabled, batch_id as "batchId", created_at as "createdAt",
  section_id as "sectionId", reserve, case when reserve_released_at is null then reserve_left else 0 end as "reserveLeft",
  reserve_released_at as "reserveReleasedAt"`;

/**
 * Creates one code or `generate` of them for the event, all or none. The types named must be the
 * event's; a code given twice (in any case) is 409 `code_taken`. Returns them in the order made.
 */
export async function createCodes(db: Database, eventId: string, input: NewCodes): Promise<CodeView[]> {
  if ((input.code === undefined) === (input.generate === undefined)) {
    throw new AppError('validation_failed', 'Give either a code or how many to generate.', { fields: [{ in: 'body', field: '/code', message: 'exactly one of code and generate' }] });
  }
  // A presale or unlock code may carry a discount too (a fan club's presale at 10 % off); a discount code is nothing without one.
  if (input.kind === 'discount' && input.discount === undefined) {
    throw new AppError('validation_failed', 'A discount code needs a discount.', { fields: [{ in: 'body', field: '/discount', message: 'required for kind discount' }] });
  }
  if (input.validFrom && input.validUntil && new Date(input.validUntil) <= new Date(input.validFrom)) {
    throw new AppError('validation_failed', 'A code must stop being valid after it starts.', { fields: [{ in: 'body', field: '/validUntil', message: 'must be after validFrom' }] });
  }
  if ((input.reserve === undefined) !== (input.sectionId === undefined) || (input.reserve !== undefined && !input.validUntil)) {
    throw new AppError('validation_failed', 'A reserve needs the section it sets units aside in and a validUntil, when they return to sale.', { fields: [{ in: 'body', field: '/reserve', message: 'needs sectionId and validUntil' }] });
  }
  const codes = input.code !== undefined ? [input.code.trim()] : Array.from({ length: input.generate! }, () => generateCode(input.prefix));
  const batchId = input.generate !== undefined ? randomUUID() : null;
  const discount = input.discount;
  try {
    return await db.transaction(async (tx) => {
      if (input.sectionId !== undefined) await setAside(tx, eventId, input.sectionId, input.reserve! * codes.length, input.ticketTypeIds);
      await assertTypesOfEvent(tx, eventId, input.ticketTypeIds);
      const { rows } = await tx.query<CodeView>(
        `insert into event_codes (event_id, code, normalized, kind, ticket_type_ids, percent_off, amount_off, max_uses, max_per_order, valid_from, valid_until, batch_id,
                                  section_id, reserve, reserve_left)
         select $1, code, upper(code), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13 from unnest($2::text[]) with ordinality as t(code, n) order by n
         returning ${codeColumns}`,
        [eventId, codes, input.kind, input.ticketTypeIds ?? null, discount && 'percent' in discount ? discount.percent : null,
          discount && 'amountOff' in discount ? discount.amountOff : null, input.maxUses ?? null, input.maxPerOrder ?? null,
          input.validFrom ?? null, input.validUntil ?? null, batchId, input.sectionId ?? null, input.reserve ?? null],
      );
      return rows;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('code_taken', 'This event already has that code.');
    throw error;
  }
}

/**
 * Sets `units` of a GA section of the event aside for codes about to be made: taken from the units
 * on sale in one conditional update under the section's lock (lock order: sections first), so never
 * from units held, sold or kept for the waitlist. The code's types, if named, must be the section's.
 */
async function setAside(tx: Tx, eventId: string, sectionId: string, units: number, ticketTypeIds: readonly string[] | undefined): Promise<void> {
  if (units > limits.sectionCapacityMax) throw new AppError('sold_out', `A section has fewer than ${units} units to set aside.`, { wanted: units });
  const { rows: [section] } = await tx.query<{ kind: string; available: number | null }>(
    'select kind, available from sections where id = $1 and event_id = $2 for no key update',
    [sectionId, eventId],
  );
  if (!section) throw notFound('section');
  if (section.kind !== 'ga') {
    throw new AppError('validation_failed', 'A reserve sets aside units of a general-admission section.', { fields: [{ in: 'body', field: '/sectionId', message: 'must be a general-admission section' }] });
  }
  if (ticketTypeIds?.length) {
    const { rows } = await tx.query<{ id: string }>('select id from ticket_types where section_id = $1 and id = any($2::uuid[])', [sectionId, ticketTypeIds]);
    if (rows.length < ticketTypeIds.length) {
      throw new AppError('validation_failed', 'A code with a reserve applies to ticket types of the reserve\'s section only.', { fields: [{ in: 'body', field: '/ticketTypeIds', message: 'must be types of sectionId' }] });
    }
  }
  if (!(await moveToCodeReserve(tx, sectionId, units))) throw new AppError('sold_out', `Fewer than ${units} units of this section are on sale to set aside.`, { available: section.available, wanted: units });
}

async function assertTypesOfEvent(tx: Tx, eventId: string, ticketTypeIds: readonly string[] | undefined): Promise<void> {
  if (!ticketTypeIds?.length) return;
  const { rows } = await tx.query<{ id: string }>(
    'select tt.id from ticket_types tt join sections s on s.id = tt.section_id where s.event_id = $1 and tt.id = any($2::uuid[])',
    [eventId, ticketTypeIds],
  );
  const known = new Set(rows.map((r) => r.id));
  const unknown = ticketTypeIds.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new AppError('not_found', 'Some ticket types are not of this event.', { ticketTypeIds: unknown });
}

/** The event's codes with their uses, newest first (at most `limits.codesListedMax`); `batchId` narrows them to one generated batch. */
export async function listCodes(db: Queryable, eventId: string, batchId?: string): Promise<CodeView[]> {
  const { rows } = await db.query<CodeView>(
    `select ${codeColumns} from event_codes where event_id = $1 and ($2::uuid is null or batch_id = $2) order by created_at desc, code limit $3`,
    [eventId, batchId ?? null, limits.codesListedMax],
  );
  return rows;
}

/** One code of the event, with its uses. */
export async function getCode(db: Queryable, eventId: string, codeId: string): Promise<CodeView> {
  const { rows } = await db.query<CodeView>(`select ${codeColumns} from event_codes where id = $1 and event_id = $2`, [codeId, eventId]);
  if (!rows[0]) throw notFound('code');
  return rows[0];
}

/** Disables or enables a code: a disabled code redeems as unknown (holds made with it keep it). */
export async function setCodeDisabled(db: Queryable, eventId: string, codeId: string, disabled: boolean): Promise<CodeView> {
  const { rows } = await db.query<CodeView>(
    `update event_codes set disabled_at = case when $3 then coalesce(disabled_at, now()) end where id = $1 and event_id = $2 returning ${codeColumns}`,
    [codeId, eventId, disabled],
  );
  if (!rows[0]) throw notFound('code');
  return rows[0];
}

/**
 * Sets a standing reserve to `reserve` units in all (held from it and set aside): the difference
 * comes from the section's units on sale, or goes back to them (the waitlist first), in conditional
 * updates under the section's lock and then the code's (lock order). Never below the units its
 * holds took from it (409 `invalid_quota`), never past the units on sale (409 `sold_out`); a
 * released reserve, or one past validUntil, is 409 `invalid_status_change`.
 */
export async function setCodeReserve(db: Database, stock: Pick<Stock, 'offerAgain'>, eventId: string, codeId: string, reserve: number): Promise<void> {
  await db.transaction(async (tx) => {
    const { rows: [code] } = await tx.query<{ sectionId: string | null }>('select section_id as "sectionId" from event_codes where id = $1 and event_id = $2', [codeId, eventId]);
    if (!code) throw notFound('code');
    if (code.sectionId === null) {
      throw new AppError('validation_failed', 'This code has no reserve; make a code with one.', { fields: [{ in: 'body', field: '/reserve', message: 'the code was made without a reserve' }] });
    }
    await tx.query('select 1 from sections where id = $1 for no key update', [code.sectionId]);
    const { rows: [current] } = await tx.query<{ reserve: number; reserveLeft: number; standing: boolean }>(
      `select reserve, reserve_left as "reserveLeft", reserve_released_at is null and valid_until > now() as standing from event_codes where id = $1 for update`,
      [codeId],
    );
    if (!current!.standing) throw new AppError('invalid_status_change', 'This reserve has gone back on sale (its code ended).');
    const delta = reserve - current!.reserve;
    if (current!.reserveLeft + delta < 0) {
      const held = current!.reserve - current!.reserveLeft;
      throw new AppError('invalid_quota', `The reserve cannot go below the ${held} tickets its holds took from it.`, { minimum: held });
    }
    if (delta === 0) return;
    if (!(await moveToCodeReserve(tx, code.sectionId, delta))) throw new AppError('sold_out', `Fewer than ${delta} more units of this section are on sale to set aside.`, { wanted: delta });
    await tx.query('update event_codes set reserve = $2, reserve_left = reserve_left + $3 where id = $1', [codeId, reserve, delta]);
    if (delta < 0) await stock.offerAgain(tx, [code.sectionId]);
  });
}

/** CSV of codes, one a line, quoted when needed and never read as a formula by a spreadsheet. */
export function codesCsv(codes: readonly CodeView[]): string {
  const cell = (value: string) => {
    const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
    return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  const lines = codes.map((c) => [c.code, c.kind, String(c.uses), c.maxUses === null ? '' : String(c.maxUses), c.disabled ? 'disabled' : 'active'].map(cell).join(','));
  return ['code,kind,uses,maxUses,status', ...lines].join('\n') + '\n';
}

/** A code as a hold sees it, under its row lock, validity read by the database's clock. */
export interface LockedCode {
  id: string;
  normalized: string;
  kind: CodeKind;
  ticketTypeIds: string[] | null;
  percentOff: number | null;
  amountOff: number | null;
  maxPerOrder: number | null;
  /** max_uses - uses; null without a maximum. */
  left: number | null;
  disabled: boolean;
  notYet: boolean;
  over: boolean;
  /** The section of its reserve, and the set-aside units not held now (0 once released or past validUntil); null without a reserve. */
  sectionId: string | null;
  reserveLeft: number | null;
}

/** Locks the event's codes named (normalized), in id order, after the sections and their types (lock order). */
export async function lockCodes(tx: Tx, eventId: string, normalized: readonly string[]): Promise<Map<string, LockedCode>> {
  if (normalized.length === 0) return new Map();
  const { rows } = await tx.query<LockedCode>(
    `select id, normalized, kind, ticket_type_ids as "ticketTypeIds", percent_off as "percentOff", amount_off as "amountOff",
            max_per_order as "maxPerOrder", max_uses - uses as left, disabled_at is not null as disabled,
            coalesce(valid_from > now(), false) as "notYet", coalesce(valid_until <= now(), false) as over,
            section_id as "sectionId", case when reserve_released_at is null and valid_until > now() then reserve_left when reserve is not null then 0 end as "reserveLeft"
       from event_codes where event_id = $1 and normalized = any($2::text[]) order by id for update`,
    [eventId, [...new Set(normalized)]],
  );
  return new Map(rows.map((c) => [c.normalized, c]));
}

/** Unknown, disabled, or another event's: one answer, so a guesser learns nothing of which. */
const codeInvalid = () => new AppError('code_invalid', 'This code is not valid for this event.');
const codeExpired = () => new AppError('code_expired', 'This code is not valid at this time.');
const codeExhausted = () => new AppError('code_exhausted', 'This code has been used up.');

/** What a code grants the lines of one hold: passage before the sale opens, code-only types, a discount per unit. */
export interface CodeGrant {
  code: LockedCode;
  /** Presale: the lines may be held before the event's sale and their types' sales open. */
  early: boolean;
  /** Unlock: types of visibility `code` it applies to. */
  unlocks(ticketTypeId: string | null): boolean;
  /** Discount off one unit at `price` of the line's type (0 when it does not apply), never more than the price. */
  discountOn(ticketTypeId: string | null, price: number): number;
}

const appliesTo = (code: LockedCode, ticketTypeId: string | null) => code.ticketTypeIds === null || (ticketTypeId !== null && code.ticketTypeIds.includes(ticketTypeId));

/**
 * Judges a code for the lines of a hold: a refusal, or what it grants. A presale or unlock code must
 * apply to every line (it is what lets them be sold); a discount (of any kind of code) comes off the lines it names.
 * Per-order cap and uses count every unit of the hold.
 */
export function judgeCode(code: LockedCode | undefined, lines: readonly HoldLine[]): AppError | CodeGrant {
  if (!code || code.disabled) return codeInvalid();
  if (code.notYet || code.over) return codeExpired();
  const units = lines.reduce((sum, line) => sum + line.quantity, 0);
  if (code.kind !== 'discount' && !lines.every((line) => appliesTo(code, line.ticketTypeId))) return codeInvalid();
  if (code.maxPerOrder !== null && units > code.maxPerOrder) {
    return new AppError('invalid_quantity', `This code allows at most ${code.maxPerOrder} tickets per order.`, { min: 1, max: code.maxPerOrder });
  }
  if (code.left !== null && units > code.left) return codeExhausted();
  return {
    code,
    early: code.kind === 'presale',
    unlocks: (ticketTypeId) => code.kind === 'unlock' && appliesTo(code, ticketTypeId),
    discountOn(ticketTypeId, price) {
      if ((code.percentOff === null && code.amountOff === null) || !appliesTo(code, ticketTypeId)) return 0;
      // Percent: rounded half up to the minor unit (price * percent is an integer, so + 50 then floor of / 100).
      if (code.percentOff !== null) return Math.floor((price * code.percentOff + 50) / 100);
      return Math.min(price, code.amountOff!);
    },
  };
}

/** Counts the units of a hold the batch grants against the code's uses left, and those `reserved` against its reserve (in memory; `writeHolds` writes them). */
export function takeUses(grant: CodeGrant, units: number, reserved = 0): void {
  if (grant.code.left !== null) grant.code.left -= units;
  if (grant.code.reserveLeft !== null) grant.code.reserveLeft -= reserved;
}

/** Reads again the reserve left of the locked codes with a reserve in this section (after lapsed holds were reclaimed into it). */
export async function refreshReserves(tx: Tx, codes: ReadonlyMap<string, LockedCode>, sectionId: string): Promise<void> {
  const reserving = [...codes.values()].filter((c) => c.sectionId === sectionId);
  if (reserving.length === 0) return;
  const { rows } = await tx.query<{ id: string; reserveLeft: number }>(
    `select id, case when reserve_released_at is null and valid_until > now() then reserve_left else 0 end as "reserveLeft"
       from event_codes where id = any($1::uuid[])`,
    [reserving.map((c) => c.id)],
  );
  const fresh = new Map(rows.map((r) => [r.id, r.reserveLeft]));
  for (const code of reserving) code.reserveLeft = fresh.get(code.id) ?? code.reserveLeft;
}

/** A `code`-only ticket type a code unlocks, with what can be held of it now (as `GET /events/:id` counts it). */
export type UnlockedType = Omit<TicketTypeAvailability, 'quotaLeft'> & { available: number };

/**
 * What a code the buyer typed does for them, before any hold: its kind and the `code`-only types it
 * unlocks (so the event page can list them). Refused like a hold with the code would be, with no
 * hint of which refusal is which beyond valid, expired: 422 `code_invalid` (unknown, disabled,
 * another event's), 422 `code_expired` (outside validFrom–validUntil). Uses left are not judged here
 * (a buyer whose own hold used the code up still sees its types).
 */
export async function checkCode(db: Queryable, eventId: string, typed: string): Promise<{ kind: CodeKind; ticketTypes: UnlockedType[] }> {
  const { rows: [code] } = await db.query<{ kind: CodeKind; ticketTypeIds: string[] | null; disabled: boolean; notYet: boolean; over: boolean }>(
    `select kind, ticket_type_ids as "ticketTypeIds", disabled_at is not null as disabled,
            coalesce(valid_from > now(), false) as "notYet", coalesce(valid_until <= now(), false) as over
       from event_codes where event_id = $1 and normalized = $2`,
    [eventId, normalizeCode(typed)],
  );
  if (!code || code.disabled) throw codeInvalid();
  if (code.notYet || code.over) throw codeExpired();
  if (code.kind !== 'unlock') return { kind: code.kind, ticketTypes: [] };
  const [sections, types] = await Promise.all([sectionAvailability(db, [eventId]), ticketTypeAvailability(db, [eventId], false)]);
  const availableOf = new Map(sections.map((s) => [s.id, s.available]));
  const unlocked = types.filter((t) => t.visibility === 'code' && (code.ticketTypeIds === null || code.ticketTypeIds.includes(t.id)));
  return {
    kind: code.kind,
    ticketTypes: unlocked.map(({ quotaLeft, ...type }) => {
      const section = availableOf.get(type.sectionId) ?? 0;
      return { ...type, available: quotaLeft === null ? section : Math.max(0, Math.min(section, quotaLeft)) };
    }),
  };
}
