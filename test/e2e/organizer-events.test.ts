import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

describe("the organizer's event list in the browser", () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('keeps a draft reachable after navigating away, and filters drafts, on sale, past and cancelled events', async () => {
    const draft = await e2e.app.createEvent({ title: 'Unfinished Draft', status: 'draft' });
    await e2e.app.createEvent({ title: 'Selling Now' });
    const cancelled = await e2e.app.createEvent({ title: 'Called Off' });
    expect((await e2e.app.request('PATCH', `/api/v1/events/${cancelled.id}`, { token: e2e.app.adminToken, body: { status: 'cancelled' } })).status).toBe(200);
    const past = await e2e.app.createEvent({ title: 'Last Week' });
    await e2e.app.db.query(`update events set starts_at = now() - interval '7 days' where id = $1`, [past.id]);

    const page = await e2e.adminPage();
    await page.getByRole('link', { name: 'Organizer' }).click();
    const list = page.getByTestId('organizer-events');
    const titles = () => list.locator('strong').allTextContents();
    await expect.poll(titles).toEqual(['Unfinished Draft', 'Selling Now', 'Called Off', 'Last Week']);
    await expect(list.locator('li', { hasText: 'Unfinished Draft' }).locator('.badge').textContent()).resolves.toBe('Draft');

    for (const [filter, expected] of [['Drafts', ['Unfinished Draft']], ['On sale', ['Selling Now']], ['Past', ['Last Week']], ['Cancelled', ['Called Off']], ['All', ['Unfinished Draft', 'Selling Now', 'Called Off', 'Last Week']]] as const) {
      await page.getByRole('button', { name: filter, exact: true }).click();
      await expect.poll(titles).toEqual(expected);
    }

    await page.getByRole('button', { name: 'Drafts', exact: true }).click();
    await expect.poll(titles).toEqual(['Unfinished Draft']);
    await list.getByRole('link', { name: 'Dashboard' }).click();
    await page.waitForURL(`**/organizer/events/${draft.id}`);
    await expect(page.getByTestId('event-status').textContent()).resolves.toBe('draft');
    // Back keeps the filter.
    await page.goBack();
    await expect.poll(titles).toEqual(['Unfinished Draft']);
  });

  it('shows figures that add up per section: sold + held + offered + kept for the waitlist + available = capacity', async () => {
    const event = await e2e.app.createEvent({ title: 'Counted Night', sections: [{ name: 'Floor', price: 2500, capacity: 5 }] });
    const sectionId = event.sections[0].id;
    const [holder, fan, buyer] = await Promise.all([e2e.app.registerBuyer(), e2e.app.registerBuyer(), e2e.app.registerBuyer()]);
    const bought = await e2e.app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId, quantity: 1 } });
    expect((await e2e.app.request('POST', `/api/v1/holds/${bought.body.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } })).status).toBe(201);
    const held = await e2e.app.request('POST', '/api/v1/holds', { token: holder.token, body: { eventId: event.id, sectionId, quantity: 4 } });
    expect((await e2e.app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: fan.token, body: { quantity: 2 } })).status).toBe(201);
    // 4 come back: 2 offered to the fan, 2 on sale.
    expect((await e2e.app.request('DELETE', `/api/v1/holds/${held.body.id}`, { token: holder.token })).status).toBe(204);

    const page = await e2e.adminPage();
    await page.goto(`/organizer/events/${event.id}`);
    const row = page.getByTestId('section-Floor');
    const cells = () => row.locator('td').allTextContents();
    await expect.poll(cells).toEqual(['1', '0', '2', '0', '2', '5', '']);
    const [sold, heldCount, offered, kept, available, capacity] = (await cells()).map(Number);
    expect(sold! + heldCount! + offered! + kept! + available!).toBe(capacity);
    await expect(page.getByTestId('kpi-offered').textContent()).resolves.toBe('2');
  });
});
