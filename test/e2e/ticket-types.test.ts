import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

describe('ticket types and codes in the browser', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  const makeCode = async (eventId: string, body: Record<string, unknown>) => {
    const reply = await e2e.app.request('POST', `/api/v1/events/${eventId}/codes`, { token: e2e.app.adminToken, body });
    expect(reply.status).toBe(201);
  };

  it('buys adult and child tickets in a presale with its code at 10 % off, refused without it, and shows the breakdown', async () => {
    const event = await e2e.app.createEvent({
      title: 'Fan Club Presale Night',
      onsale: { startsAt: minutesFromNow(120) },
      sections: [{ name: 'Floor', price: 5000, capacity: 40, ticketTypes: [{ name: 'Adult', price: 5000 }, { name: 'Child', price: 2500, quota: 2, maxPerOrder: 2 }] }],
    });
    await makeCode(event.id, { code: 'FANS-FIRST', kind: 'presale', validFrom: minutesFromNow(-1), discount: { percent: 10 } });
    const page = await e2e.buyerPage({ width: 375, height: 812 });
    await page.goto(`/events/${event.id}`);
    await page.getByRole('heading', { name: 'Fan Club Presale Night' }).waitFor();
    await expect(page.getByTestId('type-Child').textContent()).resolves.toContain('2 left');

    await page.getByRole('button', { name: 'One more Adult' }).click();
    await page.getByRole('button', { name: 'One more Child' }).click();
    await page.getByRole('button', { name: 'One more Child' }).click();
    await expect(page.getByRole('button', { name: 'One more Child' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: /Get 3 tickets · €100.00/ }).click();
    await expect(page.getByTestId('hold-problem').textContent()).resolves.toContain('not opened yet');

    await page.getByLabel('Have a code?').fill('fans-first');
    await page.getByRole('button', { name: /Get 3 tickets/ }).click();
    await page.waitForURL(/\/checkout\//);
    // 50.00 + 2 x 25.00, 10 % off each ticket: 90.00.
    const lines = await page.getByTestId('breakdown').innerText();
    for (const line of [/Subtotal\s+€100\.00/, /Discount\s+−€10\.00/, /Total\s+€90\.00/]) expect(lines).toMatch(line);
    await page.getByRole('button', { name: 'Pay €90.00' }).waitFor();
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForURL(/\/tickets\?order=/);
    await page.getByTestId('order-confirmed').waitFor();
    const orders = await e2e.app.db.query<{ name: string; price: number }>(
      `select tt.name, t.price from tickets t join ticket_types tt on tt.id = t.ticket_type_id where t.event_id = $1 and t.status = 'valid' order by tt.position`,
      [event.id],
    );
    expect(orders.rows).toEqual([{ name: 'Adult', price: 4500 }, { name: 'Child', price: 2250 }, { name: 'Child', price: 2250 }]);
  });

  it('takes a discount code off each ticket and says so when a code is wrong; checkout and the order show the breakdown with fees and tax', async () => {
    const event = await e2e.app.createEvent({
      title: 'Discount Matinee',
      sections: [{ name: 'Stalls', price: 4000, capacity: 40 }],
      fees: [{ name: 'Service fee', perTicket: 150, refundable: false }],
      tax: { name: 'VAT', ratePercent: 20, inclusive: true },
    });
    await makeCode(event.id, { code: 'MATINEE25', kind: 'discount', discount: { percent: 25 } });
    const page = await e2e.buyerPage();
    await page.goto(`/events/${event.id}`);
    await page.getByLabel('Have a code?').fill('NOT-A-CODE');
    await page.getByRole('button', { name: /Get 2 tickets/ }).click();
    await expect(page.getByTestId('hold-problem').textContent()).resolves.toContain('not valid for this event');

    await page.getByLabel('Have a code?').fill('matinee25');
    await page.getByRole('button', { name: /Get 2 tickets/ }).click();
    await page.waitForURL(/\/checkout\//);
    // 2 x 40.00, 25 % off: 60.00; a 1.50 service fee each; VAT 20 % included in the 30.00 each (5.00).
    const breakdown = page.getByTestId('breakdown');
    await expect(breakdown.getByTestId('breakdown-total').textContent()).resolves.toContain('€63.00');
    const lines = await breakdown.innerText();
    for (const line of [/Subtotal\s+€80\.00/, /Discount\s+−€20\.00/, /Service fee \(non-refundable\)\s+€3\.00/, /VAT 20% \(included\)\s+€10\.00/, /Total\s+€63\.00/]) expect(lines).toMatch(line);
    await page.getByRole('button', { name: 'Pay €63.00' }).waitFor();
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForURL(/\/tickets\?order=/);
    await page.getByTestId('order-confirmed').waitFor();
    const order = page.getByTestId('order').first();
    await expect(order.getByTestId('breakdown').innerText()).resolves.toMatch(/Total paid\s+€63\.00/);
    await expect(order.getByTestId('breakdown').innerText()).resolves.toMatch(/Discount\s+−€20\.00/);
    const charged = await e2e.app.db.query<{ amount: number }>('select p.amount from payments p join orders o on o.id = p.order_id where o.event_id = $1', [event.id]);
    expect(charged.rows).toEqual([{ amount: 6300 }]);
  });
});
