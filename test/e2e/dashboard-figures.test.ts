import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Buyer } from '../support/app.js';
import { startE2e, type E2e } from './harness.js';

const card = { payment: { cardNumber: '4242424242424242' } };

/** Issue 12, item 12: the dashboard's figures add up and read well with a minute of sales or ten hours. */
describe('dashboard figures', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('finds orders by email or ticket code, shows revenue, bins a long sale, and estimates the sell-out only with enough data, saying on what', async () => {
    const event = await e2e.app.createEvent({ title: 'Figures Night', maxTicketsPerOrder: 4, sections: [{ name: 'Floor', price: 1000, capacity: 100 }] });
    const sectionId = event.sections[0].id as string;
    const buy = async (buyer: Buyer, quantity: number) => {
      const hold = await e2e.app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId, quantity } });
      return (await e2e.app.request('POST', `/api/v1/holds/${hold.body.id}/checkout`, { token: buyer.token, body: card })).body;
    };
    const [ana, bo] = await e2e.app.registerBuyers(2);
    const anaOrder = await buy(ana!, 2);
    const boOrder = await buy(bo!, 3);

    const page = await e2e.adminPage();
    await page.goto(`/organizer/events/${event.id}`);
    const orders = page.getByTestId('orders').locator('li');
    await expect.poll(() => orders.count()).toBe(2);
    await page.getByLabel('Find by email or ticket code').fill(`${ana!.email.split('@')[0]!.toUpperCase()}@`);
    await expect.poll(() => orders.allTextContents()).toEqual([expect.stringContaining(ana!.email)]);
    await page.getByLabel('Find by email or ticket code').fill(boOrder.tickets[1].code.toLowerCase());
    await expect.poll(() => orders.allTextContents()).toEqual([expect.stringContaining(bo!.email)]);
    await page.getByLabel('Find by email or ticket code').fill('nobody-at-all@');
    await page.getByText('No order matches').waitFor();

    const euros = (n: number) => page.evaluate((amount) => new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' }).format(amount), n);
    await expect(page.getByTestId('kpi-gross').textContent()).resolves.toBe(await euros(50));
    await expect(page.getByTestId('kpi-sells-out-in').textContent()).resolves.toBe('Not enough sales yet');

    // One minute of sales: a 30-minute axis, the bars narrow rather than one bar across the chart.
    const chart = page.locator('.chart');
    await expect(chart.getAttribute('data-bars')).resolves.toBe('30');
    const chartWidth = (await chart.locator('svg').boundingBox())!.width;
    for (const bar of await chart.locator('rect.bar').all()) expect((await bar.boundingBox())!.width).toBeLessThanOrEqual(chartWidth / 30);

    // Ten hours of sales: binned into at most 120 bars, each still visible.
    await e2e.app.db.query(`update orders set created_at = now() - interval '10 hours' where id = $1`, [anaOrder.id]);
    const fans = await e2e.app.registerBuyers(3);
    for (const fan of fans) await buy(fan, 4);
    await page.reload();
    await expect.poll(() => chart.getAttribute('data-bin-minutes')).toBe('10');
    expect(Number(await chart.getAttribute('data-bars'))).toBeLessThanOrEqual(120);
    for (const bar of await chart.locator('rect.bar').all()) expect((await bar.boundingBox())!.width).toBeGreaterThanOrEqual(1);

    // Sales for ten hours and 15 tickets in the last five minutes: an estimate, with its basis.
    await expect(page.getByTestId('kpi-sells-out-in').textContent()).resolves.toMatch(/minute/);
    await expect(page.locator('.kpi', { hasText: 'Sells out in' }).textContent()).resolves.toContain("at the last 5 minutes' pace, 3 tickets a minute");
    const figures = (await e2e.app.request('GET', `/api/v1/events/${event.id}/stats`, { token: e2e.app.adminToken })).body.sections[0];
    expect(figures.sold + figures.held + figures.offered + figures.reserved + figures.available).toBe(figures.capacity);
  });
});
