import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

// page.evaluate callbacks run in the browser, where this exists.
declare const localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };

describe('buying tickets in the browser', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('registers, finds the event, holds tickets, survives a declined card, pays, gets QR tickets, and cancels for a refund', async () => {
    const event = await e2e.app.createEvent({ title: 'Harbour Lights Festival', category: 'festival', sections: [{ name: 'Meadow', price: 3500, capacity: 50 }] });
    const page = await e2e.browser.newPage({ width: 375, height: 812 });

    await page.goto('/register');
    await page.getByLabel('Name').fill('Ana Buyer');
    await page.getByLabel('Email').fill(`ana-${Date.now()}@example.test`);
    await page.getByLabel('Password').fill('correct horse');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();

    await page.getByRole('combobox', { name: 'Search events' }).fill('Harbour');
    await page.getByRole('button', { name: 'Search' }).click();
    const card = page.locator('.event-card', { hasText: 'Harbour Lights Festival' });
    await expect(card.textContent()).resolves.toContain('From €35.00');
    await card.getByRole('link').click();

    await page.getByRole('heading', { name: 'Harbour Lights Festival' }).waitFor();
    await expect(page.getByTestId('available-Meadow').textContent()).resolves.toBe('50 left');
    await page.getByRole('button', { name: 'One more' }).click(); // 2 -> 3
    await page.getByRole('button', { name: /Get 3 tickets/ }).click();

    await page.waitForURL(/\/checkout\//);
    await expect(page.getByTestId('hold-countdown').textContent()).resolves.toMatch(/^\d+:\d\d$/);
    await page.getByLabel('Card number').fill('4000 0000 0000 0002');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await expect(page.getByTestId('payment-problem').textContent()).resolves.toContain('declined');

    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForURL(/\/tickets\?order=/);
    await page.getByTestId('order-confirmed').waitFor();
    const qrCodes = page.locator('img.qr');
    await qrCodes.nth(2).waitFor();
    expect(await qrCodes.count()).toBe(3);
    expect(await qrCodes.first().getAttribute('src')).toMatch(/^data:image\/png;base64,/);

    const stats = await e2e.app.request('GET', `/api/v1/events/${event.id}/stats`, { token: e2e.app.adminToken });
    expect(stats.body.sections[0]).toMatchObject({ sold: 3, held: 0, available: 47 });

    await page.getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the order' }).click();
    await expect(page.getByTestId('refund').textContent()).resolves.toContain('€105.00');
    await expect(page.locator('img.qr').count()).resolves.toBe(0);
  });

  it('tells a buyer who already holds tickets for the event, and lets them release those and hold the new ones', async () => {
    const event = await e2e.app.createEvent({ title: 'One Basket Night', sections: [{ name: 'Floor', price: 2000, capacity: 20 }] });
    const page = await e2e.buyerPage();
    await page.goto(`/events/${event.id}`);
    await page.getByRole('button', { name: /Get 2 tickets/ }).click();
    await page.waitForURL(/\/checkout\//);
    const firstHold = page.url().split('/checkout/')[1]!;

    await page.goto(`/events/${event.id}`);
    await page.getByRole('button', { name: 'One more' }).click(); // 2 -> 3
    await page.getByRole('button', { name: /Get 3 tickets/ }).click();
    await expect(page.getByTestId('open-hold').textContent()).resolves.toContain('already have tickets on hold');
    await expect(page.getByRole('link', { name: 'Continue to checkout' }).getAttribute('href')).resolves.toBe(`/checkout/${firstHold}`);

    await page.getByRole('button', { name: 'Release them and hold these instead' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/checkout/') && !url.pathname.endsWith(firstHold));
    await expect(page.getByTestId('breakdown-total').textContent()).resolves.toContain('€60.00');
    const stats = await e2e.app.request('GET', `/api/v1/events/${event.id}/stats`, { token: e2e.app.adminToken });
    expect(stats.body.sections[0]).toMatchObject({ held: 3, available: 17 });
  });

  it('keeps the session across reloads and refreshes an expired access token', async () => {
    const page = await e2e.buyerPage();
    // Spoil the access token: the client must trade the refresh token for a new pair and carry on.
    await page.evaluate(() => {
      const session = JSON.parse(localStorage.getItem('onsale.session')!);
      localStorage.setItem('onsale.session', JSON.stringify({ ...session, accessToken: 'expired.token.value' }));
    });
    await page.goto('/tickets');
    await page.getByRole('heading', { name: 'My tickets' }).waitFor();
    await page.getByText('No tickets yet').waitFor();
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('onsale.session')!).accessToken as string);
    expect(token).not.toBe('expired.token.value');

    const refreshToken = await page.evaluate(() => JSON.parse(localStorage.getItem('onsale.session')!).refreshToken as string);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in' }).waitFor();
    await page.goto('/tickets');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    // Logging out revoked the session on the server too: its refresh token no longer works.
    await expect.poll(async () => (await e2e.app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } })).status).toBe(401);
  });
});
