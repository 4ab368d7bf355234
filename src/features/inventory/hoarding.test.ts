/**
 * One account cannot hoard a section (issue 8, item 4): a buyer's open holds and tickets per event are
 * capped, and the cap holds when the buyer races requests over real sockets against two server
 * nodes on one PostgreSQL database, so the competing transactions meet in PostgreSQL, not in one
 * node's batcher.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server.js';
import { seatIds, startTestApp, type Buyer, type Reply, type TestApp } from '../../../test/support/app.js';
import { sectionAccounting } from './availability.js';

let app: TestApp;
let second: RunningServer;
beforeAll(async () => {
  app = await startTestApp('postgres', { PG_POOL_SIZE: '10' });
  second = await startServer(app.server.context.config, { db: app.db });
});
afterAll(async () => {
  await second?.close();
  await app?.close();
});

const codes = (replies: Reply[]) => replies.reduce<Record<string, number>>((counts, r) => {
  const key = r.status === 201 ? 'held' : r.body.error.code;
  counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}, {});

/** Hold requests fired at once by one buyer, alternating between the two nodes. */
function fire(buyer: Buyer, bodies: unknown[]): Promise<Reply[]> {
  return Promise.all(bodies.map(async (body, i) => {
    const response = await fetch(`${i % 2 === 0 ? app.url : second.url}/api/v1/holds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json(), headers: {} };
  }));
}

/** `count` holds of `quantity` in the event's first section. */
const hoard = (buyer: Buyer, event: { id: string; sections: { id: string }[] }, count: number, quantity: number) =>
  fire(buyer, Array.from({ length: count }, () => ({ eventId: event.id, sectionId: event.sections[0]!.id, quantity })));

async function heldBy(buyer: Buyer, eventId: string) {
  const { rows } = await app.db.query<{ holds: number; tickets: number }>(
    `select count(distinct h.id)::int as holds, coalesce(sum(i.quantity), 0)::int as tickets
       from holds h join hold_items i on i.hold_id = h.id
      where h.user_id = $1 and h.event_id = $2 and h.status = 'active'`,
    [buyer.userId, eventId],
  );
  return rows[0];
}

describe('one buyer racing to hoard an event', () => {
  it('with the defaults, 50 concurrent holds of 8 end with one hold of 8 tickets', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 1000, capacity: 400 }] });
    const buyer = await app.registerBuyer();
    const replies = await hoard(buyer, event, 50, 8);
    expect(codes(replies)).toEqual({ held: 1, hold_limit_reached: 49 });
    const held = replies.find((r) => r.status === 201)!.body.id;
    for (const refused of replies.filter((r) => r.status === 409)) expect(refused.body.error.details).toEqual({ holdIds: [held], maxHoldsPerUser: 1 });
    expect(await heldBy(buyer, event.id)).toEqual({ holds: 1, tickets: 8 });
    expect(await sectionAccounting(app.db, event.id)).toEqual([expect.objectContaining({ held: 8, available: 392 })]);
  });

  it('with maxHoldsPerUser 5 and maxTicketsPerUser 20, 50 concurrent holds of 8 end with two holds of 8', async () => {
    const event = await app.createEvent({ maxHoldsPerUser: 5, maxTicketsPerUser: 20, sections: [{ name: 'Floor', price: 1000, capacity: 400 }] });
    const buyer = await app.registerBuyer();
    expect(codes(await hoard(buyer, event, 50, 8))).toEqual({ held: 2, limit_reached: 48 });
    expect(await heldBy(buyer, event.id)).toEqual({ holds: 2, tickets: 16 });
    expect(await sectionAccounting(app.db, event.id)).toEqual([expect.objectContaining({ held: 16, available: 384 })]);
  });

  it('with the defaults, 50 concurrent holds spread over sections and named seats (no shared section lock) end with one hold', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({ label: `R${i + 1}`, seats: 20 }));
    const event = await app.createEvent({ sections: [{ name: 'Stalls', price: 1000, rows }, ...['A', 'B', 'C', 'D'].map((name) => ({ name, price: 1000, capacity: 100 }))] });
    const seats = await seatIds(app, event.id);
    const buyer = await app.registerBuyer();
    // A returning buyer (the first hold created their per-event lock row, whose insert would
    // otherwise make the first concurrent requests wait for each other).
    const first = await app.fetch('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[1].id, quantity: 1 } });
    expect((await app.fetch('DELETE', `/api/v1/holds/${first.body.id}`, { token: buyer.token })).status).toBe(204);
    // Named-seat holds share their section (FOR SHARE) and GA holds of different sections share
    // nothing: only the buyer's own lock stands between these requests.
    const bodies = Array.from({ length: 50 }, (_, i) => (i % 2 === 0
      ? { eventId: event.id, seatIds: seats.slice(i * 8, i * 8 + 8) }
      : { eventId: event.id, sectionId: event.sections[1 + ((i >> 1) % 4)].id, quantity: 8 }));
    expect(codes(await fire(buyer, bodies))).toEqual({ held: 1, hold_limit_reached: 49 });
    expect(await heldBy(buyer, event.id)).toEqual({ holds: 1, tickets: 8 });
  });

  it('with maxHoldsPerUser 3 and no ticket cap, 50 concurrent holds of 4 end with three holds', async () => {
    const event = await app.createEvent({ maxHoldsPerUser: 3, maxTicketsPerUser: null, sections: [{ name: 'Floor', price: 1000, capacity: 400 }] });
    const buyer = await app.registerBuyer();
    expect(codes(await hoard(buyer, event, 50, 4))).toEqual({ held: 3, hold_limit_reached: 47 });
    expect(await heldBy(buyer, event.id)).toEqual({ holds: 3, tickets: 12 });
  });
});
