/**
 * The inventory invariants of issue 2, each raced with real concurrent HTTP requests over loopback
 * sockets against a real PostgreSQL server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sectionAccounting, type SectionAccounting } from '../src/features/inventory/availability.js';
import { accountedUnits, watchAccounting } from './support/accounting.js';
import { seatIds, sleep, startTestApp, type Buyer, type Reply, type TestApp } from './support/app.js';
import { providerRecords } from './support/payments.js';
import { startRaceNodes, type RaceNodes } from './support/race-nodes.js';
import { call } from './support/serve.js';

let app: TestApp;
let buyers: Buyer[];
beforeAll(async () => {
  app = await startTestApp('postgres', { PG_POOL_SIZE: '10' });
  buyers = await app.registerBuyers(60);
});
afterAll(() => app?.close());

/**
 * Per-buyer caps for an event where the 60 buyers stand in for a crowd of thousands, so that the
 * caps (raced in src/features/inventory/hoarding.test.ts) do not decide races about stock.
 */
const crowd = { maxHoldsPerUser: null, maxTicketsPerUser: null };

const holdOverSocket = (buyer: Buyer, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  app.fetch('POST', '/api/v1/holds', { token: buyer.token, body, headers });
const codes = (replies: Pick<Reply, 'status' | 'body'>[]) => replies.reduce<Record<string, number>>((counts, r) => {
  const key = r.status === 201 ? 'held' : r.body.error.code;
  counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}, {});

function expectBalanced(samples: SectionAccounting[][]) {
  expect(samples.length).toBeGreaterThan(1);
  for (const sample of samples) for (const s of sample) expect(accountedUnits(s), s.name).toBe(s.capacity);
}

describe('no oversell and no false sold-out', () => {
  it('gives 2,000 concurrent requests for a 500-ticket pool exactly 500 holds and 1,500 sold_out', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Pool', price: 1000, capacity: 500 }] });
    const sectionId = event.sections[0].id;
    const stop = watchAccounting(app.db, event.id);
    const replies = await Promise.all(Array.from({ length: 2000 }, (_, i) => holdOverSocket(buyers[i % buyers.length]!, { eventId: event.id, sectionId, quantity: 1 })));
    expectBalanced(await stop());
    expect(codes(replies)).toEqual({ held: 500, sold_out: 1500 });
    const held = await app.db.query('select count(*)::int as n from holds where event_id = $1 and status = $2', [event.id, 'active']);
    expect(held.rows[0]).toEqual({ n: 500 });
    expect(await sectionAccounting(app.db, event.id)).toEqual([expect.objectContaining({ held: 500, available: 0 })]);
  });

  it('serves every request while stock remains, whatever the mix of quantities', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Pool', price: 1000, capacity: 700 }] });
    const sectionId = event.sections[0].id;
    const quantities = Array.from({ length: 600 }, (_, i) => 1 + (i % 4));
    const replies = await Promise.all(quantities.map((quantity, i) => holdOverSocket(buyers[i % buyers.length]!, { eventId: event.id, sectionId, quantity })));
    const [final] = await sectionAccounting(app.db, event.id);
    const refusedQuantities = quantities.filter((_, i) => replies[i]!.status !== 201);
    expect(Object.keys(codes(replies)).sort()).toEqual(['held', 'sold_out']);
    // Stock only shrinks during the race, so a refusal was false if what is left now could cover it.
    for (const quantity of refusedQuantities) expect(final!.available).toBeLessThan(quantity);
    const heldUnits = quantities.filter((_, i) => replies[i]!.status === 201).reduce((a, b) => a + b, 0);
    expect(heldUnits + final!.available).toBe(700);
  });

  it('lets 300 buyers race for overlapping seats: each seat held once, every refusal a real conflict', async () => {
    const event = await app.createEvent({ ...crowd, maxTicketsPerOrder: 4, sections: [{ name: 'Stalls', price: 4000, rows: 'ABCDEFGHIJ'.split('').map((label) => ({ label, seats: 20 })) }] });
    const seats = await seatIds(app, event.id);
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const wanted = Array.from({ length: 300 }, () => {
      const start = Math.floor(random() * 60);
      const count = 1 + Math.floor(random() * 4);
      return seats.slice(start, start + count);
    });
    const stop = watchAccounting(app.db, event.id);
    const replies = await Promise.all(wanted.map((ids, i) => holdOverSocket(buyers[i % buyers.length]!, { eventId: event.id, seatIds: ids })));
    expectBalanced(await stop());

    const owner = new Map<string, string>();
    replies.forEach((reply) => {
      if (reply.status !== 201) return;
      for (const item of reply.body.items) {
        expect(owner.has(item.seatId), `seat ${item.seatId} held twice`).toBe(false);
        owner.set(item.seatId, reply.body.id);
      }
    });
    replies.forEach((reply, i) => {
      if (reply.status === 201) return;
      expect(reply.body.error.code).toBe('seats_unavailable');
      expect(reply.body.error.details.seatIds.length).toBeGreaterThan(0);
      for (const taken of reply.body.error.details.seatIds) expect(owner.has(taken) && wanted[i]!.includes(taken)).toBe(true);
    });
    const rows = await app.db.query<{ id: string; hold_id: string }>(`select id, hold_id from seats where event_id = $1 and status = 'held'`, [event.id]);
    expect(new Map(rows.rows.map((r) => [r.id, r.hold_id]))).toEqual(owner);
  });

  it('fills a reserved section exactly with 100 concurrent best-available pairs', async () => {
    const event = await app.createEvent({ ...crowd, sections: [{ name: 'Stalls', price: 4000, rows: 'ABCDEFGHIJ'.split('').map((label) => ({ label, seats: 20 })) }] });
    const sectionId = event.sections[0].id;
    const replies = await Promise.all(Array.from({ length: 110 }, (_, i) => holdOverSocket(buyers[i % buyers.length]!, { eventId: event.id, sectionId, quantity: 2 })));
    expect(codes(replies)).toEqual({ held: 100, sold_out: 10 });
    const taken = replies.filter((r) => r.status === 201).flatMap((r) => r.body.items.map((i: { seatId: string }) => i.seatId));
    expect(new Set(taken).size).toBe(200);
  });
});

/**
 * One process groups a section's holds into one transaction at a time (the batcher), so PostgreSQL
 * never sees two of them compete. Several processes on one database do compete: their transactions
 * queue on the section's row lock, and only that lock stands between them and an oversell.
 */
describe('the same race across three server processes on one database', () => {
  const admin = { email: 'race-admin@example.test', password: 'race-admin-password' };
  let nodes: RaceNodes | undefined;
  beforeAll(async () => {
    nodes = await startRaceNodes(admin, 'race-test-jwt-secret-0123456789abcdef-0123');
  }, 600_000);
  afterAll(() => nodes?.close());

  it('gives 2,000 concurrent requests spread over the processes exactly 500 holds and 1,500 sold_out', async () => {
    const { processes, db, node } = nodes!;
    const adminToken = (await call(node(0).url, 'POST', '/api/v1/auth/login', admin)).body.accessToken as string;
    const venue = (await call(node(0).url, 'POST', '/api/v1/venues', { name: 'Race Hall', city: 'Porto' }, adminToken)).body;
    const created = await call(node(0).url, 'POST', '/api/v1/events', {
      title: 'Race', venueId: venue.id, startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), currency: 'EUR', status: 'published',
      ...crowd, sections: [{ name: 'Pool', price: 1000, capacity: 500 }],
    }, adminToken);
    expect(created.status).toBe(201);
    const event = created.body;
    const tokens = await Promise.all(Array.from({ length: 60 }, async (_, i) => {
      const registered = await call(node(i).url, 'POST', '/api/v1/auth/register', { email: `racer-${i}@example.test`, password: 'correct horse', name: `Racer ${i}` });
      expect(registered.status).toBe(201);
      return registered.body.accessToken as string;
    }));

    const stop = watchAccounting(db, event.id);
    const body = { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 };
    const replies = await Promise.all(Array.from({ length: 2000 }, (_, i) => call(node(i).url, 'POST', '/api/v1/holds', body, tokens[i % tokens.length])));
    expectBalanced(await stop());
    expect(codes(replies)).toEqual({ held: 500, sold_out: 1500 });
    const heldPerProcess = processes.map((_, p) => replies.filter((r, i) => i % processes.length === p && r.status === 201).length);
    console.log(`holds placed per process: ${heldPerProcess.join(', ')}`);

    const held = await db.query<{ holds: number; units: number }>(
      `select count(distinct h.id)::int as holds, coalesce(sum(i.quantity), 0)::int as units
         from holds h join hold_items i on i.hold_id = h.id where h.event_id = $1 and h.status = 'active'`,
      [event.id],
    );
    expect(held.rows[0]).toEqual({ holds: 500, units: 500 });
    expect(await sectionAccounting(db, event.id)).toEqual([expect.objectContaining({ capacity: 500, held: 500, sold: 0, available: 0 })]);
  }, 300_000);
});

describe('limits and idempotency', () => {
  it('caps one buyer firing 20 concurrent holds at maxTicketsPerUser 4', async () => {
    const event = await app.createEvent({ maxTicketsPerUser: 4, maxHoldsPerUser: 20, sections: [{ name: 'Pool', price: 1000, capacity: 100 }, { name: 'Stalls', price: 4000, rows: [{ label: 'A', seats: 20 }] }] });
    const [buyer] = await app.registerBuyers(1);
    const seats = await seatIds(app, event.id);
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      holdOverSocket(buyer!, i % 2 ? { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } : { eventId: event.id, seatIds: [seats[i]] }),
    ));
    expect(codes(replies)).toEqual({ held: 4, limit_reached: 16 });
  });

  it('returns one hold to 20 concurrent requests with the same Idempotency-Key and takes stock once', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Pool', price: 1000, capacity: 100 }] });
    const [buyer] = await app.registerBuyers(1);
    const body = { eventId: event.id, sectionId: event.sections[0].id, quantity: 3 };
    const replies = await Promise.all(Array.from({ length: 20 }, () => holdOverSocket(buyer!, body, { 'idempotency-key': 'same-click' })));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(await sectionAccounting(app.db, event.id)).toEqual([expect.objectContaining({ held: 3, available: 97 })]);
  });

  it('makes one order and one charge from 10 concurrent checkouts of one hold', async () => {
    const event = await app.createEvent();
    const [buyer] = await app.registerBuyers(1);
    const hold = (await holdOverSocket(buyer!, { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 })).body;
    const charged = (await providerRecords(app.db)).size;
    const replies = await Promise.all(Array.from({ length: 10 }, () =>
      app.fetch('POST', `/api/v1/holds/${hold.id}/checkout`, { token: buyer!.token, body: { payment: { cardNumber: '4242424242424242' } } }),
    ));
    const created = replies.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    for (const r of replies) expect(r.status === 201 || r.status === 200 || r.body.error.code === 'checkout_in_progress').toBe(true);
    expect((await providerRecords(app.db)).size - charged).toBe(1);
    expect((await app.db.query('select 1 from orders where hold_id = $1', [hold.id])).rowCount).toBe(1);
    expect((await app.db.query('select 1 from tickets t join orders o on o.id = t.order_id where o.hold_id = $1', [hold.id])).rowCount).toBe(2);
  });
});

describe('expiry and cancellation', () => {
  it('lets checkout racing expiry sell only the hold\'s own seats or answer 410', async () => {
    const event = await app.createEvent({ ...crowd, holdTtlSeconds: 1, sections: [{ name: 'Stalls', price: 4000, rows: [{ label: 'A', seats: 20 }, { label: 'B', seats: 20 }] }] });
    const seats = await seatIds(app, event.id);
    const first = buyers.slice(0, 40);
    const second = buyers.slice(20, 60);
    const holds = await Promise.all(seats.map((seat, i) => holdOverSocket(first[i]!, { eventId: event.id, seatIds: [seat] })));
    expect(holds.map((h) => h.status)).toEqual(Array(seats.length).fill(201));
    await sleep(950);
    // At expiry: the first holders pay while others try to take the same seats.
    const [checkouts, grabs] = await Promise.all([
      Promise.all(holds.map((h, i) => app.fetch('POST', `/api/v1/holds/${h.body.id}/checkout`, { token: first[i]!.token, body: { payment: { cardNumber: '4242424242424242' } } }))),
      (async () => {
        await sleep(60);
        return Promise.all(seats.map((seat, i) => holdOverSocket(second[i]!, { eventId: event.id, seatIds: [seat] })));
      })(),
    ]);
    const tickets = await app.db.query<{ seat_id: string; user_id: string }>(
      `select t.seat_id, o.user_id from tickets t join orders o on o.id = t.order_id where t.event_id = $1 and t.status = 'valid'`,
      [event.id],
    );
    const soldTo = new Map(tickets.rows.map((t) => [t.seat_id, t.user_id]));
    expect(soldTo.size).toBe(tickets.rowCount);
    checkouts.forEach((reply, i) => {
      if (reply.status === 201) expect(soldTo.get(seats[i]!)).toBe(first[i]!.userId);
      else expect(reply.body.error.code).toBe('hold_expired');
    });
    grabs.forEach((reply, i) => {
      if (reply.status === 201) expect(soldTo.has(seats[i]!)).toBe(false);
    });
    expect(checkouts.some((r) => r.status === 201) || grabs.some((r) => r.status === 201)).toBe(true);
    const payments = [...(await providerRecords(app.db)).values()];
    expect(payments.filter((p) => p.state === 'authorized')).toHaveLength(0);
  });

  it('returns exactly the cancelled tickets, once, under concurrent double cancels', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Pool', price: 1000, capacity: 200 }, { name: 'Stalls', price: 4000, rows: [{ label: 'A', seats: 20 }, { label: 'B', seats: 20 }] }] });
    const orders = await Promise.all(buyers.slice(0, 40).map(async (buyer, i) => {
      const target = i % 2 ? { sectionId: event.sections[0].id, quantity: 1 + (i % 3) } : { sectionId: event.sections[1].id, quantity: 1 };
      const hold = (await holdOverSocket(buyer, { eventId: event.id, ...target })).body;
      const order = await app.fetch('POST', `/api/v1/holds/${hold.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } });
      return { buyer, order: order.body };
    }));
    const before = await sectionAccounting(app.db, event.id);
    const cancelling = orders.slice(0, 25);
    const stop = watchAccounting(app.db, event.id);
    await Promise.all(cancelling.flatMap(({ buyer, order }) => [1, 2].map(() => app.fetch('POST', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token }))));
    expectBalanced(await stop());
    const after = await sectionAccounting(app.db, event.id);
    const cancelledPerSection = new Map<string, number>();
    for (const { order } of cancelling) for (const t of order.tickets) cancelledPerSection.set(t.sectionId, (cancelledPerSection.get(t.sectionId) ?? 0) + 1);
    after.forEach((section, i) => {
      const returned = cancelledPerSection.get(section.sectionId) ?? 0;
      expect(section.sold).toBe(before[i]!.sold - returned);
      expect(section.available).toBe(before[i]!.available + returned);
    });
    const refunds = await app.db.query(`select count(*)::int as n from payments where status = 'refunded' and order_id = any($1::uuid[])`, [cancelling.map((c) => c.order.id)]);
    expect(refunds.rows[0]).toEqual({ n: 25 });
  });
});
