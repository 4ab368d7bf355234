/**
 * What must hold at the end of any on-sale, read from the database and from what every simulated buyer
 * saw. Shared by `npm run simulate` and its CI test (bench/simulate/simulate.test.ts); each check says
 * what it found, so a failure names the broken rule and the first offenders.
 */
import type { Queryable } from '../../src/db/database.js';
import { sectionAccounting } from '../../src/features/inventory/availability.js';
import type { BuyerRecord } from './buyer.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** A hold may outlive its expiry by this long before the check calls it stuck (the sweeper runs every second by default). */
export const sweepGraceSeconds = 10;

const sample = (items: unknown[]) => JSON.stringify(items.slice(0, 3));
const check = (name: string, offenders: unknown[], okDetail: string, count = offenders.length): Check =>
  ({ name, ok: count === 0, detail: count === 0 ? okDetail : `${count} found, e.g. ${sample(offenders)}` });

async function rows<T>(db: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  return (await db.query<T>(sql, params)).rows;
}

async function accounting(db: Queryable, eventId: string): Promise<Check> {
  const sections = await sectionAccounting(db, eventId);
  const off = sections.filter((s) => s.sold + s.held + s.offered + s.reserved + s.available !== s.capacity);
  const text = sections.map((s) => `${s.name}: ${s.sold} sold + ${s.held} held + ${s.offered} offered + ${s.reserved} reserved + ${s.available} available = ${s.capacity}`).join('; ');
  return { name: 'sold + held + offered + available = capacity, per section', ok: off.length === 0 && sections.length > 0, detail: off.length ? `off: ${sample(off)}` : text };
}

async function seatsSoldOnce(db: Queryable, eventId: string): Promise<Check> {
  const twice = await rows(db, `select seat_id, count(*)::int as tickets from tickets where event_id = $1 and status = 'valid' and seat_id is not null
                                 group by seat_id having count(*) > 1`, [eventId]);
  return check('no seat in two valid tickets', twice, 'every sold seat has one valid ticket');
}

async function perBuyerCap(db: Queryable, eventId: string): Promise<Check> {
  const over = await rows(db, `
    with units as (
      select o.user_id, count(*)::int as n from tickets t join orders o on o.id = t.order_id
       where t.event_id = $1 and t.status = 'valid' group by o.user_id
      union all
      select h.user_id, sum(i.quantity)::int from holds h join hold_items i on i.hold_id = h.id
       where h.event_id = $1 and h.status = 'active' and h.expires_at > now() group by h.user_id)
    select u.user_id, sum(u.n)::int as tickets, e.max_tickets_per_user as cap
      from units u join events e on e.id = $1
     group by u.user_id, e.max_tickets_per_user
    having e.max_tickets_per_user is not null and sum(u.n) > e.max_tickets_per_user`, [eventId]);
  return check('no buyer above maxTicketsPerUser', over, 'every buyer within the cap');
}

/** Each confirmed order has exactly one captured charge, each cancelled one is refunded, and no charge lacks an order. */
async function payments(db: Queryable, eventId: string): Promise<Check[]> {
  const orders = await rows(db, `
    select o.id, o.status, count(p.id) filter (where p.status = 'captured')::int as captured,
           count(p.id) filter (where p.status in ('refunded', 'refunding'))::int as refunded
      from orders o left join payments p on p.order_id = o.id
     where o.event_id = $1 group by o.id, o.status
    having (o.status = 'confirmed' and (count(p.id) filter (where p.status = 'captured') <> 1 or count(p.id) filter (where p.status in ('refunded', 'refunding')) > 0))
        or (o.status = 'cancelled' and (count(p.id) filter (where p.status = 'captured') > 0 or count(p.id) filter (where p.status in ('refunded', 'refunding')) <> 1))`, [eventId]);
  const orphans = await rows(db, `
    select p.id, p.status, p.order_id from payments p join holds h on h.id = p.hold_id
     where h.event_id = $1 and (p.status in ('authorizing', 'authorized') or (p.status in ('captured', 'refunding', 'refunded') and p.order_id is null))`, [eventId]);
  // A refund that failed is retried by the reconciler: pending at the end of a run is not wrong, but worth saying.
  const pending = (await rows(db, `select p.id from payments p join orders o on o.id = p.order_id where o.event_id = $1 and p.status = 'refunding'`, [eventId])).length;
  return [
    check('exactly one captured charge per confirmed order (cancelled: refunded)', orders, `every order charged once; ${pending} refunds of cancelled orders still pending (the reconciler retries them)`),
    check('no charge without an order, none left half-way', orphans, 'no orphan or unsettled payment'),
  ];
}

async function noStaleHolds(db: Queryable, eventId: string): Promise<Check> {
  const stale = await rows(db, `select id, expires_at from holds where event_id = $1 and status = 'active'
                                  and expires_at < now() - make_interval(secs => $2)`, [eventId, sweepGraceSeconds]);
  return check(`no hold active more than ${sweepGraceSeconds} s past its expiry`, stale, 'none');
}

/**
 * Every 201 hold a buyer saw exists, is theirs and ended as the buyer left it; no hold exists that no
 * buyer was told about; every order a buyer saw is there with its tickets.
 */
async function seenHoldsAccounted(db: Queryable, eventId: string, records: BuyerRecord[]): Promise<Check[]> {
  const holds = new Map((await rows<{ id: string; user_id: string; status: string; offer: boolean }>(db,
    'select id, user_id, status, waitlist_entry_id is not null as offer from holds where event_id = $1', [eventId])).map((h) => [h.id, h]));
  const orders = new Map((await rows<{ id: string; hold_id: string; status: string; tickets: number }>(db, `
    select o.id, o.hold_id, o.status, count(t.id) filter (where t.status = 'valid' or o.status = 'cancelled')::int as tickets
      from orders o left join tickets t on t.order_id = o.id where o.event_id = $1 group by o.id`, [eventId])).map((o) => [o.id, o]));
  const expectedStatus = {
    // A release that comes after the expiry is answered 204 too: the hold ended either way.
    converted: ['converted'], released: ['released', 'expired'], abandoned: ['active', 'expired'], lapsed: ['active', 'expired', 'released'],
    unknown: ['active', 'expired', 'released', 'converted'],
  };
  const wrongHolds: unknown[] = [];
  const wrongOrders: unknown[] = [];
  const seen = new Set<string>();
  const seenOrders = new Set<string>();
  // A request that got no answer may still have done its work: those holds and orders may go unseen.
  const unanswered = new Map<string, number>();
  const unknownEnds = new Set<string>();
  for (const record of records) {
    if (record.unansweredHolds) unanswered.set(record.userId, record.unansweredHolds);
    for (const hold of record.holds) if (hold.end === 'unknown') unknownEnds.add(hold.id);
    for (const hold of record.holds) {
      seen.add(hold.id);
      const row = holds.get(hold.id);
      if (!row || row.user_id !== record.userId || row.offer !== hold.fromWaitlist || !expectedStatus[hold.end].includes(row.status)) wrongHolds.push({ hold, found: row ?? null });
    }
    for (const order of record.orders) {
      seenOrders.add(order.id);
      const row = orders.get(order.id);
      const status = order.cancelled === null ? row?.status : order.cancelled ? 'cancelled' : 'confirmed';
      if (!row || row.hold_id !== order.holdId || row.status !== status || row.tickets !== order.tickets) wrongOrders.push({ order, found: row ?? null });
    }
  }
  // Offers nobody claimed are made by the server, not answered to a buyer: only general-sale holds must all be seen.
  const unseen = [...holds.values()].filter((h) => !h.offer && !seen.has(h.id)).filter((h) => {
    const left = unanswered.get(h.user_id) ?? 0;
    if (left > 0) unanswered.set(h.user_id, left - 1);
    return left === 0;
  });
  const unseenOrders = [...orders.values()].filter((o) => !seenOrders.has(o.id) && !unknownEnds.has(o.hold_id));
  return [
    check('every 201 hold the buyers saw is in the database, theirs, and ended as they left it', wrongHolds, `${seen.size} holds seen, all accounted for`),
    check('no hold in the database that no buyer was answered 201 for', unseen, `${holds.size - unseen.length} general-sale holds, all seen`),
    check('every order a buyer saw exists with its tickets', wrongOrders, `${seenOrders.size} orders seen, all accounted for`),
    check('no order the buyers were not told about', unseenOrders, `${orders.size} orders, all seen`),
  ];
}

/** Responses >= 500 the buyers got, by status and code (503s counted apart from 500s). */
export function serverErrors(answers: Record<string, number>): { fiveHundreds: number; unavailable: number; byKey: Record<string, number> } {
  const byKey = Object.fromEntries(Object.entries(answers).filter(([key]) => /^\S+ 5\d\d/.test(key)));
  const count = (filter: (key: string) => boolean) => Object.entries(byKey).filter(([key]) => filter(key)).reduce((n, [, c]) => n + c, 0);
  return { fiveHundreds: count((key) => !/ 503/.test(key)), unavailable: count((key) => / 503/.test(key)), byKey };
}

/**
 * Waits until the server is at rest for the event — no payment mid-authorization, no hold lapsed longer
 * than the sweeper's grace — or `timeoutMs` passes; resolves with the seconds it waited. A crowd stopped
 * by the run's bound leaves requests the server is still serving (abandoned by their clients, not by the
 * server), and checking in the middle of them would report work in flight as broken.
 */
export async function untilAtRest(db: Queryable, eventId: string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const { rows: [busy] } = await db.query<{ n: number }>(`
      select (select count(*) from payments p join holds h on h.id = p.hold_id
               where h.event_id = $1 and p.status in ('authorizing', 'authorized'))
           + (select count(*) from holds where event_id = $1 and status = 'active'
               and expires_at < now() - make_interval(secs => $2)) as n`, [eventId, sweepGraceSeconds]);
    if (Number(busy!.n) === 0 || Date.now() - start >= timeoutMs) return (Date.now() - start) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export async function checkInvariants(db: Queryable, eventId: string, seen: { records: BuyerRecord[]; answers: Record<string, number> }): Promise<Check[]> {
  const errors = serverErrors(seen.answers);
  const fiveXx = errors.fiveHundreds + errors.unavailable;
  return [
    await accounting(db, eventId),
    await seatsSoldOnce(db, eventId),
    await perBuyerCap(db, eventId),
    ...(await payments(db, eventId)),
    await noStaleHolds(db, eventId),
    { name: 'zero responses >= 500', ok: fiveXx === 0, detail: fiveXx === 0 ? 'none' : `${errors.fiveHundreds} × 5xx other than 503, ${errors.unavailable} × 503: ${JSON.stringify(errors.byKey)}` },
    ...(await seenHoldsAccounted(db, eventId, seen.records)),
  ];
}
