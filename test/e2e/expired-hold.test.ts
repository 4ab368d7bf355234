import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

describe('a hold that runs out at checkout', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('counts down, says the hold expired, refuses payment, and sends the buyer back to pick again', async () => {
    const event = await e2e.app.createEvent({ title: 'Two-Second Show', holdTtlSeconds: 2, sections: [{ name: 'Floor', price: 2000, capacity: 10 }] });
    const page = await e2e.buyerPage();
    await page.goto(`/events/${event.id}`);
    await page.getByRole('button', { name: /Get 2 tickets/ }).click();
    await page.waitForURL(/\/checkout\//);

    await page.getByTestId('hold-expired').waitFor();
    await expect(page.getByRole('button', { name: /^Pay/ }).count()).resolves.toBe(0);

    // The tickets went back on sale.
    await page.getByRole('link', { name: 'Pick tickets again' }).click();
    await page.waitForURL(new RegExp(`/events/${event.id}$`));
    await expect.poll(() => page.getByTestId('available-Floor').textContent()).toBe('10 left');
  });

  it('tells a buyer who submits payment just after expiry that the hold expired', async () => {
    const event = await e2e.app.createEvent({ title: 'Late Payer', sections: [{ name: 'Floor', price: 2000, capacity: 10 }] });
    const page = await e2e.buyerPage();
    // Stop the page's clock so its own countdown cannot show the expiry first: the server decides.
    await page.clock.setFixedTime(new Date());
    await page.goto(`/events/${event.id}`);
    await page.getByRole('button', { name: /Get 2 tickets/ }).click();
    await page.waitForURL(/\/checkout\//);
    await page.getByLabel('Card number').fill('4242424242424242');
    // The hold runs out while the buyer types (made to, however long the page took to get here).
    await e2e.app.db.query(`update holds set expires_at = now() - interval '1 second' where event_id = $1`, [event.id]);
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByTestId('hold-expired').waitFor();
    const stats = await e2e.app.request('GET', `/api/v1/events/${event.id}/stats`, { token: e2e.app.adminToken });
    expect(stats.body.sections[0]).toMatchObject({ sold: 0 });
  });
});
