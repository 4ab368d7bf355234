/**
 * Fees and taxes (issue 15): an event's fees and tax price its holds per ticket (breakdown.ts), the
 * order keeps that breakdown and checkout charges its total, refunds give back each ticket's share
 * but its non-refundable fees, and the receipt (PDF, email) shows the lines. The provider's books
 * (the sandbox's tables) judge what was charged and given back.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { providerRecords } from '../../../test/support/payments.js';
import { createTeam, createTeamEvent, type Team } from '../../../test/support/orgs.js';
import { renderEmail } from '../notifications/email.js';

const card = { payment: { cardNumber: '4242424242424242' } };

/** The text of a PDF, as pdftotext (poppler) reads it, spaces collapsed. */
async function pdfText(bytes: Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'receipt-'));
  try {
    await writeFile(join(dir, 'r.pdf'), bytes);
    const { stdout } = await promisify(execFile)('pdftotext', ['-layout', join(dir, 'r.pdf'), '-']);
    return stdout.replace(/[ \t\u00a0]+/g, ' ');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Service 10 % (kept on cancellation), facility 1.50 a ticket (refundable), sales tax 8.875 % added. */
const usFees = {
  fees: [{ name: 'Service fee', percent: 10, refundable: false }, { name: 'Facility fee', perTicket: 150, refundable: true }],
  tax: { name: 'Sales tax', ratePercent: 8.875, inclusive: false },
};

describe.each(backends)('fees and taxes on %s', (backend) => {
  let app: TestApp;
  let team: Team;
  let buyer: Buyer;
  beforeAll(async () => {
    app = await startTestApp(backend);
    team = await createTeam(app, `Fees Co ${backend}`);
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  const hold = (body: Record<string, unknown>, who = buyer) => app.request('POST', '/api/v1/holds', { token: who.token, body });
  const pay = (holdId: string, who = buyer) => app.request('POST', `/api/v1/holds/${holdId}/checkout`, { token: who.token, body: card });
  const cancel = (orderId: string, ticketIds?: string[]) =>
    app.request('POST', `/api/v1/orders/${orderId}/cancel`, { token: buyer.token, ...(ticketIds ? { body: { ticketIds } } : {}) });
  const receiptOf = (orderId: string) => app.server.app.inject({ method: 'GET', url: `/api/v1/orders/${orderId}/receipt.pdf`, headers: { authorization: `Bearer ${buyer.token}` } });
  const captured = async (orderId: string) => {
    const { rows: [p] } = await app.db.query<{ reference: string }>('select reference from payments where order_id = $1', [orderId]);
    return (await providerRecords(app.db)).get(p!.reference)!;
  };

  it('lets organizers set fees and tax on create and update, within bounds', async () => {
    const event = await createTeamEvent(app, team, usFees);
    expect(event).toMatchObject(usFees);
    const changed = await app.request('PATCH', `/api/v1/events/${event.id}`, { token: team.members.manager.token, body: { tax: { name: 'VAT', ratePercent: 20, inclusive: true }, fees: [] } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect((await app.request('GET', `/api/v1/events/${event.id}`)).body).toMatchObject({ fees: [], tax: { name: 'VAT', ratePercent: 20, inclusive: true } });
    expect((await app.request('PATCH', `/api/v1/events/${event.id}`, { token: team.members.manager.token, body: { tax: null } })).status).toBe(200);
    expect((await app.request('GET', `/api/v1/events/${event.id}`)).body.tax).toBeNull();

    for (const body of [
      { tax: { name: 'VAT', ratePercent: 101, inclusive: true } },
      { tax: { name: 'VAT', ratePercent: 20 } },
      { fees: [{ name: 'Both', perTicket: 100, percent: 5, refundable: true }] },
      { fees: [{ name: 'Negative', perTicket: -1, refundable: true }] },
      { fees: [{ name: 'None', refundable: true }] },
      { fees: Array.from({ length: 11 }, (_, i) => ({ name: `Fee ${i}`, perTicket: 1, refundable: true })) },
    ]) {
      const refused = await app.request('PATCH', `/api/v1/events/${event.id}`, { token: team.members.manager.token, body });
      expect([refused.status, refused.body.error.code], JSON.stringify(body)).toEqual([400, 'validation_failed']);
    }
    // A buyer cannot set them (the event's team only; to others the event's settings do not exist).
    expect((await app.request('PATCH', `/api/v1/events/${event.id}`, { token: buyer.token, body: { fees: [] } })).status).toBe(404);
  });

  it('prices a hold with the fees and an added tax, charges its total at checkout and keeps it on the order whatever the event does later', async () => {
    const event = await createTeamEvent(app, team, { ...usFees, sections: [{ name: 'Floor', price: 2500, capacity: 20 }] });
    const made = await app.request('POST', `/api/v1/events/${event.id}/codes`, { token: team.members.manager.token, body: { code: 'FAN5', kind: 'discount', discount: { amountOff: 500 } } });
    expect(made.status).toBe(201);
    const held = await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 3, code: 'fan5' });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    // Per ticket: 2,500 - 500 = 2,000; service 200, facility 150; tax 8.875 % of 2,000 = 177.5 -> 178; 2,528.
    const breakdown = { subtotal: 7500, discount: 1500, fees: 1050, tax: 534, total: 7584, taxIncluded: false };
    expect(held.body).toMatchObject({ breakdown, total: 7584 });
    // Fees changed after the hold: the hold keeps what it was priced at.
    await app.request('PATCH', `/api/v1/events/${event.id}`, { token: team.members.manager.token, body: { fees: [{ name: 'Service fee', percent: 50, refundable: false }] } });
    const order = await pay(held.body.id);
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    expect(order.body).toMatchObject({ breakdown, total: 7584 });
    expect(order.body.pricing).toEqual({
      fees: [{ name: 'Service fee', percent: 10, refundable: false, amount: 600 }, { name: 'Facility fee', perTicket: 150, refundable: true, amount: 450 }],
      tax: usFees.tax,
    });
    expect(await captured(order.body.id)).toMatchObject({ amount: 7584, state: 'captured' });
    expect((await app.request('GET', `/api/v1/orders/${order.body.id}`, { token: buyer.token })).body.breakdown).toEqual(breakdown);

    // The confirmation email carries the lines.
    const { rows: [note] } = await app.db.query<{ payload: any }>("select payload from outbox where type = 'order.confirmed' and payload->>'orderId' = $1", [order.body.id]);
    expect(note!.payload.breakdown).toEqual(breakdown);
    const email = renderEmail({ type: 'order.confirmed', eventTitle: event.title, payload: note!.payload }).text;
    for (const line of [/Subtotal +75\.00 EUR/, /Discount +-15\.00 EUR/, /Service fee +6\.00 EUR/, /Facility fee +4\.50 EUR/, /Sales tax 8\.875% +5\.34 EUR/, /Total +75\.84 EUR/]) expect(email).toMatch(line);
  });

  it('takes an inclusive tax out of the prices: the total is the prices plus fees', async () => {
    const event = await createTeamEvent(app, team, { fees: [{ name: 'Booking fee', perTicket: 100, refundable: true }], tax: { name: 'VAT', ratePercent: 20, inclusive: true }, sections: [{ name: 'Floor', price: 1200, capacity: 10 }] });
    const held = await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 2 });
    expect(held.body).toMatchObject({ breakdown: { subtotal: 2400, discount: 0, fees: 200, tax: 400, total: 2600, taxIncluded: true }, total: 2600 });
    const order = await pay(held.body.id);
    expect(await captured(order.body.id)).toMatchObject({ amount: 2600 });
  });

  it('refunds a partial cancellation\'s tickets their price, tax and refundable fees, and a full cancellation the rest but the kept fees', async () => {
    const event = await createTeamEvent(app, team, { ...usFees, maxTicketsPerOrder: 10, sections: [{ name: 'Floor', price: 2000, capacity: 20 }] });
    const held = await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 3 });
    const order = (await pay(held.body.id)).body;
    // Per ticket 2,000 + 200 service (kept) + 150 facility + 178 tax = 2,528; refundable 2,328.
    expect(order.total).toBe(7584);
    const ids = order.tickets.map((t: { id: string }) => t.id);
    const partial = await cancel(order.id, [ids[0]]);
    expect([partial.status, partial.body.status, partial.body.refund]).toEqual([200, 'partially_cancelled', { amount: 2328, currency: 'EUR' }]);
    // The order's breakdown is what was charged: a refund does not change it.
    expect(partial.body.breakdown.total).toBe(7584);
    const full = await cancel(order.id);
    expect([full.status, full.body.status, full.body.refund]).toEqual([200, 'cancelled', { amount: 3 * 2328, currency: 'EUR' }]);
    expect(await captured(order.id)).toMatchObject({ amount: 7584, refunded: 3 * 2328 });
  });

  it('refunds everything, kept fees too, when the organizer cancels the event', async () => {
    const event = await createTeamEvent(app, team, { ...usFees, sections: [{ name: 'Floor', price: 2000, capacity: 20 }] });
    const order = (await pay((await hold({ eventId: event.id, sectionId: event.sections[0].id, quantity: 2 })).body.id)).body;
    expect((await app.request('PATCH', `/api/v1/events/${event.id}`, { token: team.members.owner.token, body: { status: 'cancelled' } })).status).toBe(200);
    expect((await app.request('GET', `/api/v1/orders/${order.id}`, { token: buyer.token })).body.refund).toEqual({ amount: order.total, currency: 'EUR' });
    expect(await captured(order.id)).toMatchObject({ refunded: order.total });
  });

  it('serves a receipt PDF with the breakdown to the buyer and the organization\'s roles that read orders, to no one else', async () => {
    const event = await createTeamEvent(app, team, { ...usFees, title: 'Receipt Night', sections: [{ name: 'Floor', price: 2500, capacity: 20, ticketTypes: [{ name: 'Adult', price: 2500 }] }] });
    const typeId = event.sections[0].ticketTypes[0].id;
    const order = (await pay((await hold({ eventId: event.id, sectionId: event.sections[0].id, items: [{ ticketTypeId: typeId, quantity: 2 }] })).body.id)).body;
    const receipt = await receiptOf(order.id);
    expect([receipt.statusCode, receipt.headers['content-type']]).toEqual([200, 'application/pdf']);
    const text = await pdfText(receipt.rawPayload);
    for (const line of ['Receipt', order.id, 'Receipt Night', '2 x Floor, Adult at 25.00 EUR 50.00 EUR', 'Subtotal 50.00 EUR', 'Service fee (non-refundable) 5.00 EUR',
      'Facility fee 3.00 EUR', 'Sales tax 8.875% 4.44 EUR', 'Total paid 62.44 EUR']) expect(text).toContain(line);
    expect(order.total).toBe(6244);

    expect((await app.request('GET', `/api/v1/orders/${order.id}/receipt.pdf`, { token: team.members.finance.token })).status).toBe(200);
    const stranger = await app.registerBuyer();
    expect((await app.request('GET', `/api/v1/orders/${order.id}/receipt.pdf`, { token: stranger.token })).status).toBe(404);
    expect((await app.request('GET', `/api/v1/orders/${order.id}/receipt.pdf`)).status).toBe(401);

    await cancel(order.id, [order.tickets[0].id]);
    const after = await pdfText((await receiptOf(order.id)).rawPayload);
    expect(after).toContain('Refunded -28.72 EUR');
  });
});

describe('refunds of an order with kept fees, raced (postgres)', () => {
  let app: TestApp;
  let team: Team;
  beforeAll(async () => {
    app = await startTestApp('postgres', { PAYMENT_RECONCILE_INTERVAL_MS: '600000' });
    team = await createTeam(app, 'Race Fees Co');
  });
  afterAll(() => app?.close());

  it('every ticket cancelled on its own, all at once: the refunds add up to what was paid less the kept fees, never more', async () => {
    const event = await createTeamEvent(app, team, { ...usFees, maxTicketsPerOrder: 10, sections: [{ name: 'Floor', price: 3333, capacity: 20 }] });
    const [buyer] = await app.registerBuyers(1) as [Buyer];
    const held = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 10 } });
    const order = (await app.request('POST', `/api/v1/holds/${held.body.id}/checkout`, { token: buyer.token, body: card })).body;
    // Per ticket: 3,333 + 333 service (kept) + 150 + 296 tax (295.80) = 4,112; refundable 3,779.
    expect(order.total).toBe(41_120);
    const answers = await Promise.all(order.tickets.map((t: { id: string }) =>
      app.fetch('POST', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token, body: { ticketIds: [t.id] } })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const { rows: [books] } = await app.db.query<{ refund: number; shares: number; status: string }>(
      'select o.refund_amount as refund, o.status, (select coalesce(sum(amount), 0)::int from refunds where order_id = o.id) as shares from orders o where o.id = $1',
      [order.id],
    );
    expect(books).toMatchObject({ refund: 37_790, status: 'cancelled' });
    const { rows: [p] } = await app.db.query<{ reference: string }>('select reference from payments where order_id = $1', [order.id]);
    await expect.poll(async () => (await providerRecords(app.db)).get(p!.reference)!.refunded).toBe(37_790);
    expect(books!.shares).toBeLessThanOrEqual(37_790);
  });
});
