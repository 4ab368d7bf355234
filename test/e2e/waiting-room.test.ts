import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

// page.evaluate callbacks run in the browser, where this exists.
declare const localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };

const fromNow = (ms: number) => new Date(Date.now() + ms).toISOString();

/** The full purchase through the waiting room. */
describe('buying through the waiting room', () => {
  let e2e: E2e;
  let event: { id: string; sections: { id: string }[] };
  const queue = { enabled: true, preQueueOpensAt: fromNow(-60_000), admitPerMinute: 600, stockAware: true, shoppingWindowSeconds: 300 };

  beforeAll(async () => {
    e2e = await startE2e();
    const venue = await e2e.app.request('POST', '/api/v1/venues', { token: e2e.app.adminToken, body: { name: 'Queue Hall', city: 'Ghent' } });
    // The sale opens in an hour, so the pre-queue lasts however long the browser takes to get there;
    // the test opens it when it has seen what it came to see.
    const created = await e2e.app.request('POST', '/api/v1/events', {
      token: e2e.app.adminToken,
      body: {
        title: 'Demo Night with a Queue',
        venueId: venue.body.id,
        startsAt: fromNow(7 * 86_400_000),
        currency: 'EUR',
        status: 'published',
        sections: [{ name: 'Floor', price: 5000, capacity: 100 }],
        onsale: { startsAt: fromNow(3_600_000), queue },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    event = created.body;
  });
  afterAll(() => e2e?.close());

  it('waits in the pre-queue, keeps the place across a reload, is admitted, and buys', async () => {
    const page = await e2e.buyerPage({ width: 375, height: 812 });
    await page.goto(`/events/${event.id}`);
    await page.locator('[data-queue-state="pre_queue"]').waitFor();
    await page.getByText('random place in line').waitFor();
    const token = await page.evaluate((id) => localStorage.getItem(`onsale.queue.${id}`), event.id);
    expect(token).toBeTruthy();
    await expect(page.getByRole('button', { name: /Get 2 tickets/ }).isDisabled()).resolves.toBe(true);

    await page.reload();
    await page.locator('[data-queue-state="pre_queue"]').waitFor();
    expect(await page.evaluate((id) => localStorage.getItem(`onsale.queue.${id}`), event.id)).toBe(token);

    // The organizer brings the sale forward to now: the pre-queue is drawn and the line moves.
    const opened = await e2e.app.request('PATCH', `/api/v1/events/${event.id}`, { token: e2e.app.adminToken, body: { onsale: { startsAt: fromNow(0), queue } } });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    await page.locator('[data-queue-state="admitted"]').waitFor({ timeout: 60_000 });
    await page.getByText("It's your turn!").waitFor();
    await page.getByRole('button', { name: /Get 2 tickets/ }).click();
    await page.waitForURL(/\/checkout\//);
    await page.getByLabel('Card number').fill('4242424242424242');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.getByTestId('order-confirmed').waitFor();
    await expect.poll(() => page.locator('img.qr').count()).toBe(2);
  }, 120_000);
});
