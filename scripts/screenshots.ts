/**
 * Captures the main pages at phone (390 px) and desktop (1440 px) widths into docs/screenshots/, from
 * a real server with the demo seed (its events and catalogue) and some sales. Run: npm run screenshots (uses /usr/bin/chromium).
 */
import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { seedDemo } from '../src/seed/demo.js';
import { buildWebApp } from '../test/e2e/build.js';
import { launchBrowser, logIn } from '../test/e2e/browser.js';
import { startTestApp, type TestApp } from '../test/support/app.js';

const outDir = 'docs/screenshots';
// The widths issue 12 tried the web app at.
const sizes = { phone: { width: 390, height: 844 }, desktop: { width: 1440, height: 900 } } as const;

/** Sales spread over the last half hour, some seats sold and some held, so every state shows. */
async function stageActivity(app: TestApp, eventId: string) {
  const event = (await app.request('GET', `/api/v1/events/${eventId}`)).body;
  const [reserved, ga] = event.sections;
  const seats = (await app.request('GET', `/api/v1/events/${eventId}/seats`)).body as { id: string; label: string }[];
  const buyers = await app.registerBuyers(12);
  const soldLabels = ['A8', 'A9', 'A10', 'A11', 'B4', 'B5', 'C12', 'C13', 'C14', 'D1', 'D2', 'E9', 'E10', 'F15', 'F16', 'F17', 'G3', 'G4'];
  for (const [i, buyer] of buyers.entries()) {
    const body = i < 6
      ? { eventId, seatIds: seats.filter((s) => soldLabels.slice(i * 3, i * 3 + 3).includes(s.label)).map((s) => s.id) }
      : { eventId, sectionId: ga.id, quantity: 2 + (i % 4) };
    const hold = await app.request('POST', '/api/v1/holds', { token: buyer.token, body });
    await app.request('POST', `/api/v1/holds/${hold.body.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } });
  }
  await app.db.query(`update orders set created_at = now() - (random() * interval '30 minutes') where event_id = $1`, [eventId]);
  const holder = await app.registerBuyer();
  await app.request('POST', '/api/v1/holds', { token: holder.token, body: { eventId, seatIds: seats.filter((s) => ['A5', 'A6', 'H10', 'H11'].includes(s.label)).map((s) => s.id) } });
  return { reserved, ga };
}

/**
 * Opens a waiting room on the event once the buyers' shots are taken (they buy directly): 60 people
 * join, and the shopper cap lets 25 in, so the dashboard shows a line that moves.
 */
async function stageQueue(app: TestApp, eventId: string) {
  const onsale = { startsAt: new Date(Date.now() - 60_000).toISOString(), queue: { enabled: true, admitPerMinute: 600, maxActiveShoppers: 25 } };
  await app.request('PATCH', `/api/v1/events/${eventId}`, { token: app.adminToken, body: { onsale } });
  for (const buyer of await app.registerBuyers(60)) await app.request('POST', `/api/v1/events/${eventId}/queue`, { token: buyer.token });
  for (let i = 0; i < 100; i++) {
    const { queue } = (await app.request('GET', `/api/v1/events/${eventId}/stats`, { token: app.adminToken })).body;
    if (queue?.activeShoppers === 25) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the waiting room did not admit its first shoppers');
}

async function shoot(page: Page, name: string, size: keyof typeof sizes) {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.screenshot({ path: `${outDir}/${name}-${size}.png`, fullPage: true });
  console.log(`  ${outDir}/${name}-${size}.png`);
}

async function main() {
  await Promise.all([buildWebApp(), mkdir(outDir, { recursive: true })]);
  const app = await startTestApp('pglite');
  const { eventId } = (await seedDemo(app.server.context))!;
  await stageActivity(app, eventId);
  const browser = await launchBrowser(app.url);
  try {
    for (const size of Object.keys(sizes) as (keyof typeof sizes)[]) {
      const buyer = await app.registerBuyer();
      const page = await browser.newPage(sizes[size]);
      await logIn(page, buyer.email, 'correct horse');

      await page.goto('/');
      await page.locator('.event-card').first().waitFor();
      await shoot(page, 'home', size);

      await page.goto(`/events/${eventId}`);
      // On a phone the 20-seat rows open too small to pick from: one zoom makes them tappable (issue 12, item 7).
      if (size === 'phone') await page.getByRole('button', { name: 'Zoom in' }).click();
      for (const label of size === 'phone' ? ['E11', 'E12'] : ['D6', 'D7']) await page.locator(`[data-seat="${label}"]`).click();
      await shoot(page, 'event-seatmap', size);

      await page.getByRole('button', { name: /Hold 2 seats/ }).click();
      await page.waitForURL(/\/checkout\//);
      await page.getByLabel('Card number').fill('4000 0000 0000 0002');
      await page.getByRole('button', { name: /^Pay/ }).click();
      await page.getByTestId('payment-problem').waitFor();
      await shoot(page, 'checkout', size);

      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByRole('button', { name: /^Pay/ }).click();
      await page.getByTestId('order-confirmed').waitFor();
      await page.locator('img.qr').nth(1).waitFor();
      await shoot(page, 'tickets', size);
    }
    await stageQueue(app, eventId);
    for (const size of Object.keys(sizes) as (keyof typeof sizes)[]) {
      const admin = await browser.newPage(sizes[size]);
      await logIn(admin, 'admin@example.test', 'admin-password');
      await admin.goto(`/organizer/events/${eventId}`);
      await admin.locator('.chart svg').waitFor();
      await admin.getByTestId('queue-state').waitFor();
      await shoot(admin, 'dashboard', size);
      await admin.goto('/organizer/new');
      await admin.getByLabel('Title', { exact: true }).fill('Opening Night at the Canal');
      await shoot(admin, 'new-event', size);
    }
  } finally {
    await browser.close();
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
