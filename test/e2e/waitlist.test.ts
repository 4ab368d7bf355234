import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

describe('the waitlist in the browser', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('lets a fan join a sold-out event, shows the offer when tickets come back, and sells it to them', async () => {
    const event = await e2e.app.createEvent({ title: 'Tiny Club Night', sections: [{ name: 'Floor', price: 2500, capacity: 2 }] });
    const holder = await e2e.app.registerBuyer();
    const held = await e2e.app.request('POST', '/api/v1/holds', { token: holder.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 } });
    expect(held.status).toBe(201);

    const page = await e2e.buyerPage({ width: 375, height: 800 });
    await page.goto(`/events/${event.id}`);
    await page.getByRole('heading', { name: 'Sold out — join the waitlist' }).waitFor();
    await page.locator('.waitlist').getByLabel('Tickets').selectOption('2');
    await page.getByRole('button', { name: 'Join the waitlist' }).click();
    await page.getByText("You're number 1 in line for 2 tickets").waitFor();

    // The holder lets go: the tickets go to the waitlist first, as an exclusive offer.
    expect((await e2e.app.request('DELETE', `/api/v1/holds/${held.body.id}`, { token: holder.token })).status).toBe(204);
    const someoneElse = await e2e.app.registerBuyer();
    const general = await e2e.app.request('POST', '/api/v1/holds', { token: someoneElse.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } });
    expect(general.body.error.code).toBe('sold_out');

    await page.getByText('Tickets are yours if you want them!').waitFor();
    await expect(page.getByTestId('offer').getByRole('timer').textContent()).resolves.toMatch(/^\d+:\d{2}$/);
    await page.getByRole('button', { name: 'Buy now' }).click();
    await page.waitForURL(/\/checkout\//);
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForURL(/\/tickets\?order=/);
    await expect.poll(() => page.locator('img.qr').count()).toBe(2);
    const stats = await e2e.app.request('GET', `/api/v1/events/${event.id}/stats`, { token: e2e.app.adminToken });
    expect(stats.body.sections[0]).toMatchObject({ sold: 2, held: 0, offered: 0, available: 0 });
  });
});
