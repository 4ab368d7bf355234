import { createHash, randomUUID } from 'node:crypto';
import type { Database, Queryable, Tx } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import { limits } from '../../limits.js';
import type { Metrics } from '../ops/metrics.js';
import { KeyedBatcher } from './batcher.js';
import { seatsHeldBack } from './availability.js';
import { saleNotOpenYet, saleOpensLater } from './sale-window.js';
import { pickBestSeats } from './seat-picker.js';
import { holdTotal, lockSeatMaps, lockStockSectionsOf, seatIsFree, writeHolds, type NewHold, type Stock } from './stock.js';
import { lockTicketTypes, TypeLedger, type HoldLine } from './ticket-types.js';
import { judgeCode, lockCodes, normalizeCode, refreshReserves, takeUses, type CodeGrant, type LockedCode } from './codes.js';
import { chargeUnit, pricedItems, type Breakdown, type Fee, type Pricing, type Tax } from './breakdown.js';

export type HoldStatus = 'active' | 'released' | 'expired' | 'converted';

export interface HoldItem {
  sectionId: string;
  seatId?: string;
  label?: string;
  /** Absent for the section's implicit type. */
  ticketTypeId?: string;
  /** What is paid: the type's price less `discount`. */
  price: number;
  /** What the hold's code took off; absent when nothing. */
  discount?: number;
}

export interface HoldView {
  id: string;
  eventId: string;
  status: HoldStatus;
  expiresAt: Date;
  items: HoldItem[];
  /** What `total` is made of (docs/fees.md): the event's fees and tax as the hold was made. */
  breakdown: Breakdown;
  /** The fees (each with what it comes to) and the tax the hold is priced with. */
  pricing: HoldPricing;
  total: number;
  currency: string;
}

export type HoldPricing = { fees: (Fee & { amount: number })[]; tax: Tax | null };

/** What a hold asks for, in any of the API's shapes (a quantity or named seats of the implicit type, or lines and seats naming types). */
export type HoldTarget =
  | { sectionId: string; quantity: number }
  | { sectionId: string; items: { ticketTypeId: string; quantity: number }[] }
  | { seatIds: string[]; ticketTypeId?: string }
  | { seats: { seatId: string; ticketTypeId: string }[] };

type SeatLine = { seatId: string; ticketTypeId: string | null };

/** Every shape as lines of one section, or as seats each with its type (null: the implicit type). */
function normalized(target: HoldTarget): { sectionId: string; lines: HoldLine[] } | { seats: SeatLine[] } {
  if ('quantity' in target) return { sectionId: target.sectionId, lines: [{ ticketTypeId: null, quantity: target.quantity }] };
  if ('items' in target) {
    // Lines of one type are one line, so a type's maxPerOrder counts them all.
    const byType = new Map<string, number>();
    for (const item of target.items) byType.set(item.ticketTypeId, (byType.get(item.ticketTypeId) ?? 0) + item.quantity);
    return { sectionId: target.sectionId, lines: [...byType].map(([ticketTypeId, quantity]) => ({ ticketTypeId, quantity })) };
  }
  if ('seats' in target) {
    const seen = new Set<string>();
    const twice = target.seats.findIndex((seat) => seen.has(seat.seatId) || !seen.add(seat.seatId));
    if (twice >= 0) throw new AppError('validation_failed', 'A hold lists the same seat twice.', { fields: [{ in: 'body', field: `/seats/${twice}/seatId`, message: 'duplicate seat' }] });
    return { seats: target.seats };
  }
  return { seats: target.seatIds.map((seatId) => ({ seatId, ticketTypeId: target.ticketTypeId ?? null })) };
}

const unitsOf = (lines: readonly HoldLine[]) => lines.reduce((sum, line) => sum + line.quantity, 0);

export interface PlaceHoldInput {
  /** A presale, unlock or discount code of the event, as the buyer typed it. */
  code?: string | undefined;
  userId: string;
  eventId: string;
  target: HoldTarget;
  idempotencyKey?: string | undefined;
}

export interface HoldService {
  place(input: PlaceHoldInput): Promise<{ hold: HoldView; replayed: boolean }>;
  get(userId: string, holdId: string): Promise<HoldView>;
  /** The buyer's live holds (active and unexpired, waitlist offers included), soonest to lapse first. */
  listActive(userId: string, eventId: string | undefined): Promise<HoldView[]>;
  release(userId: string, holdId: string): Promise<void>;
  /** Returns lapsed holds to sale, and codes' reserves past their validUntil; called by the sweeper. Returns how many holds it ended. */
  sweepLapsed(): Promise<number>;
}

/** The sale terms of an event, read with the current database time. */
interface Terms {
  eventId: string;
  onSale: boolean;
  /** When the sale opens, while it has not opened yet. */
  opensAt: Date | null;
  currency: string;
  maxPerOrder: number;
  maxPerUser: number | null;
  maxHoldsPerUser: number | null;
  expiresAt: Date;
  /** The event's fees and tax, which price the hold. */
  pricing: Pricing;
}

const termsColumns = `e.id as "eventId", (e.status = 'published' and e.starts_at > now()) as "onSale", ${saleOpensLater('e')} as "opensAt",
  e.currency, e.max_tickets_per_order as "maxPerOrder", e.max_tickets_per_user as "maxPerUser", e.max_holds_per_user as "maxHoldsPerUser",
  now() + make_interval(secs => e.hold_ttl_seconds) as "expiresAt", json_build_object('fees', e.fees, 'tax', e.tax) as pricing`;

/** The checks every hold passes before stock is looked at; a presale code lets it in before the sale opens. */
function refusalFor(terms: Terms | undefined, quantity: number, grant: CodeGrant | undefined): AppError | undefined {
  if (!terms) return notFound('event');
  if (!terms.onSale) return new AppError('not_on_sale', 'This event is not on sale.');
  if (terms.opensAt && !grant?.early) return saleNotOpenYet(terms.opensAt);
  if (quantity > terms.maxPerOrder) {
    return new AppError('invalid_quantity', `An order may have at most ${terms.maxPerOrder} tickets.`, { min: 1, max: terms.maxPerOrder });
  }
  return undefined;
}

/** SQL: the tickets buyer `u.user_id` has for event $1: live holds (offers included) plus valid tickets they hold (bought, or passed to them). */
const ticketsTaken = `(coalesce((select sum(i.quantity) from holds h join hold_items i on i.hold_id = h.id
                                  where h.user_id = u.user_id and h.event_id = $1 and h.status = 'active' and h.expires_at > now()), 0)
                    + (select count(*) from tickets t join orders o on o.id = t.order_id
                        where coalesce(t.holder_id, o.user_id) = u.user_id and t.event_id = $1 and t.status = 'valid'))::int`;

/** Tickets each buyer has for the event: live holds (offers included) plus valid tickets. */
export async function ticketsTakenBy(q: Queryable, eventId: string, userIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await q.query<{ userId: string; taken: number }>(
    `select u.user_id as "userId", ${ticketsTaken} as taken from unnest($2::uuid[]) as u(user_id)`,
    [eventId, userIds],
  );
  return new Map(rows.map((r) => [r.userId, r.taken]));
}

/** What a buyer already has for an event; a batch adds the holds it grants as it goes. */
interface BuyerStanding {
  /** What maxTicketsPerUser counts: see `ticketsTaken`. */
  tickets: number;
  /** What maxHoldsPerUser counts: the buyer's own open holds, not the waitlist's offers (the system makes those). */
  holdIds: string[];
  /** Of the idempotency keys asked about, those the buyer's holds already carry. */
  usedKeys: Set<string>;
}

/**
 * Locks the buyers' `event_buyers` rows for the event and reads their standing under them, so that
 * concurrent holds by one buyer, on any node, are counted one after another. Their accounts are
 * locked FOR KEY SHARE first: an account deleted while its access token is still valid is missing
 * from the result (and no account can be deleted until this transaction ends), so its own request
 * is refused instead of failing everyone else's in the batch on a foreign key. Tickets and open
 * holds are counted only for a cap the event has (a buyer's count grows with every hold).
 */
async function lockBuyers(tx: Tx, terms: Terms, userIds: readonly string[], keys: readonly string[]): Promise<Map<string, BuyerStanding>> {
  const { rows: accounts } = await tx.query<{ id: string }>(
    'select id from users where id = any($1::uuid[]) order by id for key share',
    [[...new Set(userIds)]],
  );
  const existing = accounts.map((a) => a.id);
  if (existing.length === 0) return new Map();
  await tx.query('insert into event_buyers (event_id, user_id) select $1, unnest($2::uuid[]) on conflict do nothing', [terms.eventId, existing]);
  await tx.query('select 1 from event_buyers where event_id = $1 and user_id = any($2::uuid[]) order by user_id for update', [terms.eventId, existing]);
  const { rows } = await tx.query<{ userId: string; tickets: number; holdIds: string[]; usedKeys: string[] }>(
    `select u.user_id as "userId", case when $4 then ${ticketsTaken} else 0 end as tickets,
            case when $5 then array(select h.id from holds h
                                     where h.user_id = u.user_id and h.event_id = $1 and h.status = 'active' and h.expires_at > now()
                                       and h.waitlist_entry_id is null order by h.created_at, h.id)
                 else '{}' end as "holdIds",
            array(select h.idempotency_key from holds h where h.user_id = u.user_id and h.idempotency_key = any($3::text[])) as "usedKeys"
       from unnest($2::uuid[]) as u(user_id)`,
    [terms.eventId, existing, keys, terms.maxPerUser !== null, terms.maxHoldsPerUser !== null],
  );
  return new Map(rows.map((r) => [r.userId, { tickets: r.tickets, holdIds: r.holdIds, usedKeys: new Set(r.usedKeys) }]));
}

export const limitReached = (max: number) =>
  new AppError('limit_reached', `You may hold and buy at most ${max} tickets for this event.`, { maxTicketsPerUser: max });

const holdLimitReached = (holdIds: readonly string[], max: number) =>
  new AppError('hold_limit_reached', `You already have ${max === 1 ? 'an open hold' : `${max} open holds`} for this event: pay for ${max === 1 ? 'it' : 'one'} or release ${max === 1 ? 'it' : 'one'} first.`, {
    holdIds: [...holdIds],
    maxHoldsPerUser: max,
  });

const accountGone = () => new AppError('invalid_token', 'The account this token was issued to no longer exists.');

/**
 * What the buyer's standing says of one more hold: nothing (go ahead), a replay (the idempotency
 * key is taken), or a refusal. `buyer` is undefined when the account no longer exists.
 */
function buyerVerdict(terms: Terms, buyer: BuyerStanding | undefined, quantity: number, idempotencyKey: string | null): Outcome | undefined {
  if (!buyer) return { kind: 'refused', error: accountGone() };
  if (idempotencyKey !== null && buyer.usedKeys.has(idempotencyKey)) return { kind: 'replay' };
  if (terms.maxHoldsPerUser !== null && buyer.holdIds.length >= terms.maxHoldsPerUser) return { kind: 'refused', error: holdLimitReached(buyer.holdIds, terms.maxHoldsPerUser) };
  if (terms.maxPerUser !== null && buyer.tickets + quantity > terms.maxPerUser) return { kind: 'refused', error: limitReached(terms.maxPerUser) };
  return undefined;
}

/** Counts a hold about to be written in its buyer's standing, so the next request of the batch sees it. */
function countHold(buyer: BuyerStanding, hold: NewHold): void {
  buyer.tickets += hold.items.reduce((sum, item) => sum + item.quantity, 0);
  buyer.holdIds.push(hold.id);
  if (hold.idempotencyKey !== null) buyer.usedKeys.add(hold.idempotencyKey);
}

/** Stock of one section as a batch hands it out, in memory; `writeHolds` writes what was taken. */
export interface SectionStock {
  take(quantity: number): NewHold['items'] | undefined;
}

export interface LockedSection {
  id: string;
  kind: 'ga' | 'seated';
  available: number | null;
  price: number;
  /** Reserved seating only: the waitlist holds every free seat back (`seatsHeldBack`). */
  heldBack: boolean;
}

/**
 * Ends the lapsed holds of a section the caller has locked (skipping any a checkout is
 * busy with), so their units, seats and ticket-type quota come back before a request is refused.
 * Only holds wholly in this section: another section's stock is not this transaction's to return.
 * True when it ended some.
 */
export async function reclaimLapsed(tx: Tx, stock: Stock, sectionId: string): Promise<boolean> {
  const lapsed = await tx.query<{ id: string }>(
    `select h.id from holds h join hold_items i on i.hold_id = h.id
      where i.section_id = $1 and h.status = 'active' and h.expires_at <= now()
        and not exists (select 1 from hold_items o where o.hold_id = h.id and o.section_id <> $1)
      for update of h skip locked`,
    [sectionId],
  );
  if (lapsed.rowCount === 0) return false;
  return (await stock.endHolds(tx, lapsed.rows.map((r) => r.id), 'expired', true)).length > 0;
}

/**
 * GA stock: a counter, of a section the caller has locked. Lapsed holds are reclaimed
 * only when short. The order desk's comps use it too.
 */
export async function gaStock(tx: Tx, stock: Stock, section: LockedSection, demand: number): Promise<SectionStock> {
  let remaining = section.available!;
  if (demand > remaining && (await reclaimLapsed(tx, stock, section.id))) {
    remaining = (await tx.query<{ available: number }>('select available from sections where id = $1', [section.id])).rows[0]!.available;
  }
  return {
    take(quantity) {
      if (quantity > remaining) return undefined;
      remaining -= quantity;
      return [{ sectionId: section.id, seatId: null, quantity, price: section.price }];
    },
  };
}

const noStock: SectionStock = { take: () => undefined };

/**
 * Reserved-seating stock for "best available" picks. With the section locked no other hold
 * can take its seats (`lockSeatMaps` locks the free ones, lapsed holds' seats included, so a checkout
 * finishing one of them is waited for and seen). While the waitlist holds the section's free seats
 * back, there is none.
 */
async function seatedStock(tx: Tx, section: LockedSection): Promise<SectionStock> {
  if (section.heldBack) return noStock;
  const seats = (await lockSeatMaps(tx, [section.id])).get(section.id)!;
  return {
    take(quantity) {
      const picked = pickBestSeats(seats, quantity);
      if (!picked) return undefined;
      for (const seat of picked.seats) seat.free = false;
      return picked.seats.map((seat) => ({ sectionId: section.id, seatId: seat.id, label: seat.label, quantity: 1, price: section.price }));
    },
  };
}

interface SectionRequest {
  userId: string;
  eventId: string;
  lines: HoldLine[];
  /** The code sent, normalized (null: none). */
  code: string | null;
  quantity: number;
  idempotencyKey: string | null;
  fingerprint: string | null;
}

type Outcome = { kind: 'placed'; hold: HoldView } | { kind: 'replay' } | { kind: 'refused'; error: AppError } | { kind: 'reclaim'; sectionIds: string[] };

const soldOut = () => new AppError('sold_out', 'Not enough tickets are left in this section.');
const typeSoldOut = () => new AppError('sold_out', 'Not enough tickets of this type are left.');

/**
 * The section's stock as items of the lines' types: GA units one item per line, seats picked in
 * order given the lines' types in order.
 */
function typedItems(sectionId: string, items: NewHold['items'], lines: readonly HoldLine[], ledger: TypeLedger, sectionPrice: number, grant: CodeGrant | undefined): NewHold['items'] {
  if (items.every((item) => item.seatId === null)) {
    return lines.map((line) => ({ sectionId, seatId: null, quantity: line.quantity, ticketTypeId: line.ticketTypeId, ...priced(ledger.priceOf(line.ticketTypeId, sectionPrice), line.ticketTypeId, grant) }));
  }
  const types = lines.flatMap((line) => Array.from({ length: line.quantity }, () => line.ticketTypeId));
  return items.map((item, i) => ({ ...item, ticketTypeId: types[i]!, ...priced(ledger.priceOf(types[i]!, sectionPrice), types[i]!, grant) }));
}

/** Of a hold's GA units, those its code's reserve in this section covers (the reserve first). */
function reserveTaken(section: LockedSection, grant: CodeGrant | undefined, quantity: number): number {
  if (section.kind !== 'ga' || !grant || grant.code.sectionId !== section.id || !grant.code.reserveLeft) return 0;
  return Math.min(grant.code.reserveLeft, quantity);
}

/** Marks `units` of the GA items as taken from the code's reserve, first items first. */
function fromReserve(items: NewHold['items'], units: number): NewHold['items'] {
  let left = units;
  return items.map((item) => {
    const taken = Math.min(left, item.quantity);
    left -= taken;
    return taken > 0 ? { ...item, fromReserve: taken } : item;
  });
}

/** A unit's price to pay and the code's discount off its list price (never below zero). */
function priced(listPrice: number, ticketTypeId: string | null, grant: CodeGrant | undefined): { price: number; discount: number } {
  const discount = grant ? grant.discountOn(ticketTypeId, listPrice) : 0;
  return { price: listPrice - discount, discount };
}

/** A code sent with a hold, judged for its lines: none, a refusal, or what it grants. */
function grantFor(codes: ReadonlyMap<string, LockedCode>, code: string | null, lines: readonly HoldLine[]): AppError | CodeGrant | undefined {
  return code === null ? undefined : judgeCode(codes.get(code), lines);
}

const codeExhausted = () => new AppError('code_exhausted', 'This code has been used up.');

/** A hold's rows as one item per ticket: a GA row of quantity 3 is three items. */
function ticketItems(rows: { sectionId: string; seatId: string | null; label?: string | null; quantity: number; price: number; ticketTypeId?: string | null; discount?: number }[]): HoldItem[] {
  return rows.flatMap((row) =>
    Array.from({ length: row.quantity }, () => ({
      sectionId: row.sectionId,
      price: row.price,
      ...(row.ticketTypeId ? { ticketTypeId: row.ticketTypeId } : {}),
      ...(row.discount ? { discount: row.discount } : {}),
      ...(row.seatId ? { seatId: row.seatId, label: row.label ?? '' } : {}),
    })),
  );
}

/** What lines of prices would be charged with the event's fees and tax (breakdown.ts). */
function chargedFor(lines: readonly { quantity: number; price: number; discount?: number }[], pricing: Pricing): number {
  return lines.reduce((sum, line) => sum + line.quantity * chargeUnit(line.price + (line.discount ?? 0), line.discount ?? 0, pricing).total, 0);
}

const tooDear = () => new AppError('invalid_quantity', `One order may cost at most ${limits.orderTotalMax} in minor units, fees and tax included; hold fewer tickets.`, { max: limits.orderTotalMax });

/** A buyer's hold on the event's terms (a waitlist offer is the waitlist's, so none here), with the code it was made with, priced with the event's fees and tax. */
function newHold(terms: Terms, userId: string, idempotencyKey: string | null, fingerprint: string | null, items: NewHold['items'], codeId: string | null): NewHold {
  return { id: randomUUID(), eventId: terms.eventId, userId, expiresAt: terms.expiresAt, currency: terms.currency, idempotencyKey, fingerprint, waitlistEntryId: null, codeId, ...pricedItems(items, terms.pricing) };
}

function viewOf(terms: Terms, hold: NewHold): HoldView {
  return {
    id: hold.id,
    eventId: terms.eventId,
    status: 'active',
    expiresAt: terms.expiresAt,
    items: ticketItems(hold.items),
    breakdown: hold.priced!.breakdown,
    pricing: hold.priced!.pricing as HoldPricing,
    total: holdTotal(hold),
    currency: terms.currency,
  };
}

/**
 * One transaction for a batch of quantity holds on one section: lock the section row and its ticket
 * types, hand out its stock and the types' quotas in arrival order, write every hold at once. A
 * request is refused `sold_out` only when the stock (or its type's quota) left after the requests
 * before it cannot cover it, so nobody is refused while stock remains. Lapsed holds are reclaimed
 * first when the section or a type is short.
 */
async function placeSectionBatch(tx: Tx, stock: Stock, sectionId: string, requests: SectionRequest[]): Promise<Outcome[]> {
  const lockSection = () => tx.query<LockedSection & Terms>(
    `select s.id, s.kind, s.available, s.price, s.kind = 'seated' and ${seatsHeldBack('s')} as "heldBack", ${termsColumns}
       from sections s join events e on e.id = s.event_id where s.id = $1 for no key update of s`,
    [sectionId],
  );
  let locked = (await lockSection()).rows[0];
  let ledger = new TypeLedger(await lockTicketTypes(tx, [sectionId]));
  const codes = locked ? await lockCodes(tx, locked.eventId, requests.flatMap((r) => (r.eventId === locked!.eventId && r.code !== null ? [r.code] : []))) : new Map<string, LockedCode>();
  const grants = requests.map((request) => grantFor(codes, request.code, request.lines));
  const outcomes: Outcome[] = requests.map((request, i) => {
    const grant = grants[i];
    const error = !locked || locked.eventId !== request.eventId ? notFound('section')
      : grant instanceof AppError ? grant
      : refusalFor(locked, request.quantity, grant) ?? ledger.refusal(sectionId, request.lines, grant);
    return error ? { kind: 'refused', error } : { kind: 'replay' };
  });
  const pending = requests.map((_, i) => i).filter((i) => outcomes[i]!.kind !== 'refused');
  if (!locked || pending.length === 0) return outcomes;

  if (ledger.short(pending.map((i) => requests[i]!.lines)) && (await reclaimLapsed(tx, stock, sectionId))) {
    locked = (await lockSection()).rows[0]!;
    ledger = new TypeLedger(await lockTicketTypes(tx, [sectionId]));
  }
  const demand = pending.reduce((sum, i) => sum + requests[i]!.quantity, 0);
  const sectionStock = locked.kind === 'ga' ? await gaStock(tx, stock, locked, demand) : await seatedStock(tx, locked);
  // Reclaiming lapsed holds may have given units back to a code's reserve: read them again (rows locked).
  await refreshReserves(tx, codes, sectionId);
  const buyers = await lockBuyers(tx, locked, pending.map((i) => requests[i]!.userId), pending.flatMap((i) => requests[i]!.idempotencyKey ?? []));
  const granted: { index: number; hold: NewHold }[] = [];
  for (const index of pending) {
    const request = requests[index]!;
    const buyer = buyers.get(request.userId);
    const verdict = buyerVerdict(locked, buyer, request.quantity, request.idempotencyKey);
    if (verdict) {
      outcomes[index] = verdict;
      continue;
    }
    const grant = grants[index] as CodeGrant | undefined;
    if (grant && grant.code.left !== null && request.quantity > grant.code.left) {
      outcomes[index] = { kind: 'refused', error: codeExhausted() };
      continue;
    }
    if (!ledger.fits(request.lines)) {
      outcomes[index] = { kind: 'refused', error: typeSoldOut() };
      continue;
    }
    const linePrices = request.lines.map((line) => ({ quantity: line.quantity, ...priced(ledger.priceOf(line.ticketTypeId, locked.price), line.ticketTypeId, grant) }));
    if (chargedFor(linePrices, locked.pricing) > limits.orderTotalMax) {
      outcomes[index] = { kind: 'refused', error: tooDear() };
      continue;
    }
    // A code's holders take from its reserve first, then from the units on sale; general sale never reaches the reserve.
    const reserved = reserveTaken(locked, grant, request.quantity);
    const items = reserved === request.quantity ? [] : sectionStock.take(request.quantity - reserved);
    if (!items) {
      outcomes[index] = { kind: 'refused', error: soldOut() };
      continue;
    }
    ledger.take(request.lines);
    if (grant) takeUses(grant, request.quantity, reserved);
    const typed = fromReserve(typedItems(sectionId, items, request.lines, ledger, locked.price, grant), reserved);
    const hold = newHold(locked, request.userId, request.idempotencyKey, request.fingerprint, typed, grant?.code.id ?? null);
    countHold(buyer!, hold);
    granted.push({ index, hold });
  }
  const inserted = await writeHolds(tx, granted.map((g) => g.hold), 'on_sale');
  for (const { index, hold } of granted) outcomes[index] = inserted.has(hold.id) ? { kind: 'placed', hold: viewOf(locked, hold) } : { kind: 'replay' };
  return outcomes;
}

/** A seat hold's seats as lines per section and type, for the ledger. */
function seatLinesBySection(seats: readonly (SeatLine & { sectionId: string })[]): Map<string, HoldLine[]> {
  const bySection = new Map<string, Map<string | null, number>>();
  for (const seat of seats) {
    const types = bySection.get(seat.sectionId) ?? bySection.set(seat.sectionId, new Map()).get(seat.sectionId)!;
    types.set(seat.ticketTypeId, (types.get(seat.ticketTypeId) ?? 0) + 1);
  }
  return new Map([...bySection].map(([sectionId, types]) => [sectionId, [...types].map(([ticketTypeId, quantity]) => ({ ticketTypeId, quantity }))]));
}

/**
 * A hold on named seats: all of them or none (409 `seats_unavailable` names the ones taken). A
 * ticket type short of quota while lapsed holds of its sections still count in it answers
 * `reclaim`: this transaction holds the sections only FOR SHARE, so `place` returns those holds in
 * one of its own and tries once more.
 */
async function placeSeatHold(tx: Tx, input: PlaceHoldInput, wanted: SeatLine[], fingerprint: string | null): Promise<Outcome> {
  const seatIds = wanted.map((s) => s.seatId);
  const terms = (await tx.query<Terms>(`select ${termsColumns} from events e where e.id = $1`, [input.eventId])).rows[0];
  if (!terms) return { kind: 'refused', error: notFound('event') };
  const { rows: known } = await tx.query<{ id: string; sectionId: string }>(
    'select id, section_id as "sectionId" from seats where id = any($1::uuid[]) and event_id = $2',
    [seatIds, input.eventId],
  );
  if (known.length < seatIds.length) {
    const knownIds = new Set(known.map((s) => s.id));
    return { kind: 'refused', error: new AppError('not_found', 'Some seats do not exist in this event.', { seatIds: seatIds.filter((id) => !knownIds.has(id)) }) };
  }
  // Shared section locks: named-seat holds run side by side, but not during a best-available pick,
  // a return to the waitlist or a join (so the waitlist check below cannot miss a waiting entry).
  const sectionIds = [...new Set(known.map((s) => s.sectionId))].sort();
  await tx.query('select 1 from sections where id = any($1::uuid[]) order by id for share', [sectionIds]);
  // Their types FOR UPDATE (ledger): named-seat holds of one section take its quotas one after another.
  const ledger = new TypeLedger(await lockTicketTypes(tx, sectionIds));
  const sectionOf = new Map(known.map((s) => [s.id, s.sectionId]));
  const linesBySection = seatLinesBySection(wanted.map((seat) => ({ ...seat, sectionId: sectionOf.get(seat.seatId)! })));
  const lines = [...linesBySection.values()].flat();
  const code = input.code === undefined ? null : normalizeCode(input.code);
  const grant = grantFor(await lockCodes(tx, input.eventId, code === null ? [] : [code]), code, lines);
  if (grant instanceof AppError) return { kind: 'refused', error: grant };
  const refusal = refusalFor(terms, seatIds.length, grant);
  if (refusal) return { kind: 'refused', error: refusal };
  for (const [sectionId, sectionLines] of linesBySection) {
    const typeRefusal = ledger.refusal(sectionId, sectionLines, grant);
    if (typeRefusal) return { kind: 'refused', error: typeRefusal };
  }
  if (!ledger.fits(lines)) return (await lapsedTypeUnits(tx, lines)) ? { kind: 'reclaim', sectionIds } : { kind: 'refused', error: typeSoldOut() };
  const { rows: seats } = await tx.query<{ id: string; sectionId: string; label: string; price: number; free: boolean }>(
    `select st.id, st.section_id as "sectionId", st.label, sc.price,
            ${seatIsFree('st')} and not ${seatsHeldBack('sc')} as free
       from seats st join sections sc on sc.id = st.section_id
      where st.id = any($1::uuid[]) order by st.id for update of st`,
    [seatIds],
  );
  const taken = seats.filter((s) => !s.free).map((s) => s.id);
  if (taken.length > 0) {
    return { kind: 'refused', error: new AppError('seats_unavailable', 'Some of these seats are no longer available.', { seatIds: taken }) };
  }
  const idempotencyKey = input.idempotencyKey ?? null;
  const buyers = await lockBuyers(tx, terms!, [input.userId], idempotencyKey === null ? [] : [idempotencyKey]);
  const verdict = buyerVerdict(terms!, buyers.get(input.userId), seatIds.length, idempotencyKey);
  if (verdict) return verdict;
  const typeOf = new Map(wanted.map((seat) => [seat.seatId, seat.ticketTypeId]));
  const items = seats.map((s) => {
    const ticketTypeId = typeOf.get(s.id)!;
    return { sectionId: s.sectionId, seatId: s.id, label: s.label, quantity: 1, ticketTypeId, ...priced(ledger.priceOf(ticketTypeId, s.price), ticketTypeId, grant) };
  });
  if (chargedFor(items, terms.pricing) > limits.orderTotalMax) return { kind: 'refused', error: tooDear() };
  const hold = newHold(terms!, input.userId, idempotencyKey, fingerprint, items, grant?.code.id ?? null);
  const inserted = await writeHolds(tx, [hold], 'on_sale');
  return inserted.has(hold.id) ? { kind: 'placed', hold: viewOf(terms!, hold) } : { kind: 'replay' };
}

/**
 * Returns the reserves of codes past their `validUntil` to sale (the waitlist first), a section at a
 * time under its lock. Every node's sweeper runs it: `releaseReserves` releases each code once, the
 * others find nothing left. Returns the units released by this call.
 */
export async function releaseDueReserves(db: Database, stock: Stock): Promise<number> {
  const { rows } = await db.query<{ sectionId: string; codeIds: string[] }>(
    `select section_id as "sectionId", array_agg(id order by id) as "codeIds" from (
       select id, section_id from event_codes
        where reserve is not null and reserve_released_at is null and valid_until <= now()
        order by valid_until limit $1) due
      group by section_id`,
    [limits.sweepBatchSizeMax],
  );
  let units = 0;
  for (const { sectionId, codeIds } of rows) {
    units += await db.transaction(async (tx) => {
      await tx.query('select 1 from sections where id = $1 for no key update', [sectionId]);
      return stock.releaseReserves(tx, codeIds);
    });
  }
  return units;
}

/** True when lapsed holds still count units in the quota of a type these lines name. */
async function lapsedTypeUnits(tx: Tx, lines: readonly HoldLine[]): Promise<boolean> {
  const { rows: [found] } = await tx.query<{ lapsed: boolean }>(
    `select exists (select 1 from hold_items i join holds h on h.id = i.hold_id
                     where i.ticket_type_id = any($1::uuid[]) and h.status = 'active' and h.expires_at <= now()) as lapsed`,
    [lines.flatMap((line) => line.ticketTypeId ?? [])],
  );
  return found!.lapsed;
}

/**
 * SQL: the breakdown of a hold or order row `t` (holds and orders have the same columns), as JSON;
 * one made before fees existed has its items' prices and discounts only (hold `hold`).
 */
export const breakdownColumn = (t: string, hold = `${t}.id`) => `case when ${t}.subtotal is not null
    then json_build_object('subtotal', ${t}.subtotal, 'discount', ${t}.discount, 'fees', ${t}.fees, 'tax', ${t}.tax, 'total', ${t}.total, 'taxIncluded', ${t}.tax_included)
    else (select json_build_object('subtotal', ${t}.total + coalesce(sum(bi.discount * bi.quantity), 0), 'discount', coalesce(sum(bi.discount * bi.quantity), 0),
                                   'fees', 0, 'tax', 0, 'total', ${t}.total, 'taxIncluded', false)
            from hold_items bi where bi.hold_id = ${hold}) end`;

/** A hold with its items (one per unit, seats by label) as the API shows it; `status` reads a lapsed hold as expired. */
const holdViewColumns = `h.id, h.event_id as "eventId", h.expires_at as "expiresAt", h.total, h.currency, h.request_fingerprint as fingerprint,
            ${breakdownColumn('h')} as breakdown, coalesce(h.pricing, '{"fees": [], "tax": null}'::jsonb) as pricing,
            case when h.status = 'active' and h.expires_at <= now() then 'expired' else h.status end as status,
            (select coalesce(json_agg(json_build_object('sectionId', i.section_id, 'seatId', i.seat_id, 'label', st.label, 'ticketTypeId', i.ticket_type_id, 'discount', i.discount,
                                                         'price', i.price, 'quantity', i.quantity) order by st.label), '[]')
               from hold_items i left join seats st on st.id = i.seat_id where i.hold_id = h.id) as items`;

type HoldRow = Omit<HoldView, 'items'> & { fingerprint: string | null; items: { sectionId: string; seatId: string | null; label: string | null; price: number; quantity: number; ticketTypeId: string | null; discount: number }[] };

const fromRow = (row: HoldRow) => ({ ...row, items: ticketItems(row.items) });

async function findHold(db: Queryable, where: { userId: string } & ({ holdId: string } | { idempotencyKey: string })) {
  const byKey = 'idempotencyKey' in where;
  const { rows } = await db.query<HoldRow>(
    `select ${holdViewColumns} from holds h where h.user_id = $1 and ${byKey ? 'h.idempotency_key' : 'h.id'} = $2`,
    [where.userId, byKey ? where.idempotencyKey : where.holdId],
  );
  return rows[0] && fromRow(rows[0]);
}

export function createHoldService({ db, stock, metrics, queueLengthMax }: { db: Database; stock: Stock; metrics: Metrics; queueLengthMax: number }): HoldService {
  const batcher = new KeyedBatcher<SectionRequest, Outcome>(
    (sectionId, requests) => {
      metrics.holdBatchSize.observe(requests.length);
      return db.transaction((tx) => placeSectionBatch(tx, stock, sectionId, requests));
    },
    {
      batchSizeMax: limits.holdBatchSizeMax,
      queueLengthMax,
      queueFull: () => new AppError('unavailable', 'Too many hold requests are waiting for this section; try again in a moment.'),
    },
  );

  /** One transaction for a named-seat hold (a refusal rolls it back), again once after reclaiming lapsed holds its types need. */
  async function placeSeats(input: PlaceHoldInput, seats: SeatLine[], fingerprint: string | null): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await db
        .transaction(async (tx) => {
          const result = await placeSeatHold(tx, input, seats, fingerprint);
          // Thrown so the transaction rolls back: a refusal leaves nothing behind.
          if (result.kind === 'refused') throw result.error;
          return result;
        })
        .catch((error: unknown): Outcome => {
          if (error instanceof AppError) return { kind: 'refused', error };
          throw error;
        });
      if (outcome.kind !== 'reclaim') return outcome;
      if (attempt > 0) return { kind: 'refused', error: typeSoldOut() };
      await db.transaction(async (tx) => {
        await tx.query('select 1 from sections where id = any($1::uuid[]) order by id for no key update', [outcome.sectionIds]);
        for (const sectionId of outcome.sectionIds) await reclaimLapsed(tx, stock, sectionId);
      });
    }
  }

  async function existingByKey(userId: string, idempotencyKey: string, fingerprint: string | null) {
    const hold = await findHold(db, { userId, idempotencyKey });
    if (hold && hold.fingerprint !== fingerprint) {
      throw new AppError('idempotency_key_reused', 'This Idempotency-Key was already used for a different request.');
    }
    return hold;
  }

  function viewWithoutFingerprint<T extends { fingerprint: unknown }>(hold: T): Omit<T, 'fingerprint'> {
    const { fingerprint: _, ...view } = hold;
    return view;
  }

  return {
    async place(input) {
      const key = input.idempotencyKey;
      // The code joins the fingerprint only when sent, so a hold made before codes existed replays as before.
      const request = input.code === undefined ? [input.eventId, input.target] : [input.eventId, input.target, normalizeCode(input.code)];
      const fingerprint = key ? createHash('sha256').update(JSON.stringify(request)).digest('base64url') : null;
      if (key) {
        const existing = await existingByKey(input.userId, key, fingerprint);
        if (existing) return { hold: viewWithoutFingerprint(existing), replayed: true };
      }
      const target = normalized(input.target);
      const outcome = 'seats' in target
        ? await placeSeats(input, target.seats, fingerprint)
        : await batcher.submit(target.sectionId, {
            userId: input.userId,
            eventId: input.eventId,
            lines: target.lines,
            code: input.code === undefined ? null : normalizeCode(input.code),
            quantity: unitsOf(target.lines),
            idempotencyKey: key ?? null,
            fingerprint,
          });
      if (outcome.kind === 'refused') {
        metrics.holdsRefused.inc({ code: outcome.error.code });
        throw outcome.error;
      }
      if (outcome.kind === 'placed') {
        metrics.holdsPlaced.inc();
        return { hold: outcome.hold, replayed: false };
      }
      const existing = await existingByKey(input.userId, key!, fingerprint);
      return { hold: viewWithoutFingerprint(existing!), replayed: true };
    },

    async get(userId, holdId) {
      const hold = await findHold(db, { userId, holdId });
      if (!hold) throw notFound('hold');
      return viewWithoutFingerprint(hold);
    },

    async listActive(userId, eventId) {
      const { rows } = await db.query<HoldRow>(
        `select ${holdViewColumns} from holds h
          where h.user_id = $1 and ($2::uuid is null or h.event_id = $2) and h.status = 'active' and h.expires_at > now()
          order by h.expires_at limit $3`,
        [userId, eventId ?? null, limits.activeHoldsListedMax],
      );
      return rows.map((row) => viewWithoutFingerprint(fromRow(row)));
    },

    async release(userId, holdId) {
      const status = await db.transaction(async (tx) => {
        const owned = await tx.query<{ status: HoldStatus }>('select status from holds where id = $1 and user_id = $2', [holdId, userId]);
        if (!owned.rows[0]) throw notFound('hold');
        await lockStockSectionsOf(tx, [holdId]);
        const ended = await stock.endHolds(tx, [holdId], 'released', false);
        if (ended.length > 0) return 'released';
        return (await tx.query<{ status: HoldStatus }>('select status from holds where id = $1', [holdId])).rows[0]!.status;
      });
      if (status === 'converted') throw new AppError('hold_not_active', 'This hold was paid for; cancel the order instead.');
      if (status === 'released') metrics.holdsEnded.inc({ status: 'released' });
    },

    async sweepLapsed() {
      // Holds first: a failing release (logged by the job) never keeps lapsed holds from coming back.
      const total = await sweepLapsedHolds();
      await releaseDueReserves(db, stock);
      return total;
    },
  };

  async function sweepLapsedHolds(): Promise<number> {
    let total = 0;
    for (;;) {
      const { rows } = await db.query<{ id: string }>(
        `select id from holds where status = 'active' and expires_at <= now() order by expires_at limit $1`,
        [limits.sweepBatchSizeMax],
      );
      if (rows.length === 0) return total;
      const ids = rows.map((r) => r.id);
      const ended = await db.transaction(async (tx) => {
        await lockStockSectionsOf(tx, ids);
        return stock.endHolds(tx, ids, 'expired', true);
      });
      total += ended.length;
      metrics.holdsEnded.inc({ status: 'expired' }, ended.length);
      if (rows.length < limits.sweepBatchSizeMax) return total;
    }
  }
}
