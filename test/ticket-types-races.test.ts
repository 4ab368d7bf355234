/**
 * Ticket-type quotas and code uses raced across three server processes on one real PostgreSQL: each process
 * batches a section's holds in one transaction at a time, so only across processes do transactions
 * compete for the section and its types, and only the database's locks and the quota CHECK stand
 * between them and a type sold past its quota.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sectionAccounting } from '../src/features/inventory/availability.js';
import { accountedUnits, ticketTypeCounts, watchAccounting } from './support/accounting.js';
import { createRaceEvent, raceAccounts, startRaceNodes, type RaceNodes } from './support/race-nodes.js';
import { call } from './support/serve.js';

const admin = { email: 'types-race-admin@example.test', password: 'types-race-admin-password' };
let nodes: RaceNodes | undefined;
const node = (i: number) => nodes!.node(i);

beforeAll(async () => {
  nodes = await startRaceNodes(admin, 'types-race-jwt-secret-0123456789abcdef-012');
}, 600_000);
afterAll(() => nodes?.close());

const typeCounts = (eventId: string) => ticketTypeCounts(nodes!.db, eventId);

let adminToken: string;
let tokens: string[];
beforeAll(async () => {
  ({ adminToken, tokens } = await raceAccounts(nodes!, admin, 'types-racer', 60));
}, 600_000);

const createEvent = (sections: unknown[]) => createRaceEvent(nodes!, adminToken, 'Typed race', sections);

const statusCounts = (replies: { status: number; body: any }[]) => replies.reduce<Record<string, number>>((counts, r) => {
  const key = r.status === 201 || r.status === 200 ? 'ok' : r.body?.error?.code ?? String(r.status);
  counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}, {});

describe('ticket-type quotas across three server processes', () => {
  it('leaves the section and every quota exact after 2,000 concurrent holds over three types', async () => {
    const event = await createEvent([{ name: 'Floor', price: 5000, capacity: 600, ticketTypes: [
      { name: 'Adult', price: 5000, quota: 400 }, { name: 'Child', price: 2500, quota: 150 }, { name: 'VIP', price: 12000, quota: 100 },
    ] }]);
    const sectionId = event.sections[0].id as string;
    const typeIds = event.sections[0].ticketTypes.map((t: { id: string }) => t.id) as string[];

    // Quotas add up to 650 over a section of 600: the section runs out before Adult's quota does,
    // while Child and VIP run out of quota first. Quantities 1 and 2, types in turn.
    const wanted = Array.from({ length: 2000 }, (_, i) => ({ ticketTypeId: typeIds[i % 3]!, quantity: 1 + (i % 2) }));
    const stop = watchAccounting(nodes!.db, event.id);
    const replies = await Promise.all(wanted.map((item, i) =>
      call(node(i).url, 'POST', '/api/v1/holds', { eventId: event.id, sectionId, items: [item] }, tokens[i % tokens.length])));
    const samples = await stop();
    expect(samples.length).toBeGreaterThan(1);
    for (const sample of samples) for (const s of sample) expect(accountedUnits(s)).toBe(s.capacity);

    expect(replies.filter((r) => r.status !== 201 && r.body?.error?.code !== 'sold_out').map((r) => r.body)).toEqual([]);
    const heldByType = typeIds.map((id) => wanted.filter((w, i) => w.ticketTypeId === id && replies[i]!.status === 201).reduce((n, w) => n + w.quantity, 0));
    const counts = await typeCounts(event.id);
    expect(counts.map((c) => c.taken)).toEqual(heldByType);
    for (const c of counts) {
      expect(c.taken, c.name).toBe(c.held + c.sold);
      expect(c.taken, c.name).toBeLessThanOrEqual(c.quota!);
    }
    const [section] = await sectionAccounting(nodes!.db, event.id);
    expect(section).toMatchObject({ capacity: 600, held: heldByType.reduce((a, b) => a + b, 0), sold: 0 });
    // No false sold-out: a refused request could not have been served by what is left now.
    for (const [i, reply] of replies.entries()) {
      if (reply.status === 201) continue;
      const type = counts[typeIds.indexOf(wanted[i]!.ticketTypeId)]!;
      const left = Math.min(section!.available, type.quota! - type.taken);
      expect(left).toBeLessThan(wanted[i]!.quantity);
    }
    // The quotas add up past the section, so its stock is what ran out in the end (whichever quotas filled first).
    expect(section!.available).toBeLessThan(2);
    expect(counts.reduce((n, c) => n + c.taken, 0)).toBeGreaterThan(598);
  }, 300_000);
});

describe('code uses across three server processes', () => {
  /** The code's uses, and its units counted from active holds and valid tickets. */
  async function codeCounts(codeId: string) {
    const { rows: [row] } = await nodes!.db.query<{ uses: number; held: number; sold: number }>(
      `select c.uses,
              (select coalesce(sum(i.quantity), 0) from holds h join hold_items i on i.hold_id = h.id where h.event_code_id = c.id and h.status = 'active')::int as held,
              (select count(*) from tickets t where t.event_code_id = c.id and t.status = 'valid')::int as sold
         from event_codes c where c.id = $1`,
      [codeId],
    );
    return row!;
  }

  it('gives 100 concurrent redemptions of a 10-use code over two sections exactly 10 tickets, and uses back exactly as orders are cancelled under more redemptions', async () => {
    const event = await createEvent([{ name: 'Floor', price: 5000, capacity: 200 }, { name: 'Balcony', price: 3000, capacity: 200 }]);
    const made = await call(node(0).url, 'POST', `/api/v1/events/${event.id}/codes`, { code: 'TEN-USES', kind: 'discount', discount: { percent: 20 }, maxUses: 10 }, adminToken);
    expect(made.status).toBe(201);
    const codeId = made.body.items[0].id as string;
    const redeem = (i: number) => call(node(i).url, 'POST', '/api/v1/holds', { eventId: event.id, sectionId: event.sections[i % 2].id, quantity: 1, code: i % 3 ? 'ten-uses' : 'TEN-USES' }, tokens[i % tokens.length]);

    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => redeem(i)));
    expect(statusCounts(replies)).toEqual({ ok: 10, code_exhausted: 90 });
    const winners = replies.flatMap((r, i) => (r.status === 201 ? [{ hold: r.body, token: tokens[i % tokens.length]! }] : []));
    const orders = await Promise.all(winners.map(({ hold, token }, i) => call(node(i).url, 'POST', `/api/v1/holds/${hold.id}/checkout`, { payment: { cardNumber: '4242424242424242' } }, token)));
    expect(orders.map((o) => o.status)).toEqual(Array.from({ length: 10 }, () => 201));
    expect(await codeCounts(codeId)).toEqual({ uses: 10, held: 0, sold: 10 });

    // Three orders cancelled while 100 more try the code: at most the 3 uses given back are taken again.
    const [cancels, again] = await Promise.all([
      Promise.all(orders.slice(0, 3).map((o, i) => call(node(i).url, 'POST', `/api/v1/orders/${o.body.id}/cancel`, undefined, winners[i]!.token))),
      Promise.all(Array.from({ length: 100 }, (_, i) => redeem(i + 1))),
    ]);
    expect(cancels.map((c) => c.status)).toEqual([200, 200, 200]);
    const regained = again.filter((r) => r.status === 201).length;
    expect(regained).toBeLessThanOrEqual(3);
    const final = await codeCounts(codeId);
    expect(final).toEqual({ uses: 7 + regained, held: regained, sold: 7 });
  }, 300_000);
});
