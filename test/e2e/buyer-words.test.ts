import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

const fromNow = (ms: number) => new Date(Date.now() + ms).toISOString();
const minute = 60_000;

/** Text a developer wrote for another: headers, tokens, ISO timestamps, error codes. */
const developerText = /Bearer|Authorization|access token|\d{4}-\d{2}-\d{2}T\d{2}:|[a-z]+_[a-z]+_?[a-z]*\b/;

async function visibleText(page: Page): Promise<string> {
  return page.locator('main').innerText();
}

describe('what a buyer reads before the sale', () => {
  let e2e: E2e;
  let event: { id: string; title: string };
  // The sale opens in 2 h 14 min (and half a minute, so the countdown still reads 14 min when the page shows it).
  const saleStartsAt = fromNow((2 * 60 + 14) * minute + 30_000);
  const queue = { enabled: true, preQueueOpensAt: fromNow(60 * minute), admitPerMinute: 600, shoppingWindowSeconds: 300 };

  beforeAll(async () => {
    e2e = await startE2e();
    event = await e2e.app.createEvent({ title: 'Opening Soon', startsAt: fromNow(7 * 86_400_000), onsale: { startsAt: saleStartsAt, queue } });
  });
  afterAll(() => e2e?.close());

  it('shows a countdown to the sale on the home card and the event page, and asks a logged-out visitor to log in for the line', async () => {
    const page = await e2e.browser.newPage({ width: 390, height: 844 });
    await page.goto('/');
    const card = page.locator('.event-card', { hasText: event.title });
    await expect(card.getByTestId('sale-opens').textContent()).resolves.toBe('Sale opens in 2 h 14 min');
    await expect(card.textContent()).resolves.not.toContain('On sale');

    await card.getByRole('link', { name: event.title }).click();
    await page.locator('[data-queue-state="logged_out"]').waitFor();
    await expect(page.getByTestId('sale-opens').textContent()).resolves.toMatch(/^Sale opens in 2 h 14 min · /);
    await expect(page.locator('[data-queue-state="logged_out"]').getByRole('link', { name: 'Sign up' }).count()).resolves.toBe(1);
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    expect(await visibleText(page)).not.toMatch(developerText);
  });

  it('tells a logged-in buyer when the waiting room opens, counts down, and takes a place by itself once it does', async () => {
    const page = await e2e.buyerPage();
    await page.clock.install();
    await page.goto(`/events/${event.id}`);
    const closed = page.locator('[data-queue-state="not_open"]');
    await closed.waitFor();
    await expect(closed.getByRole('timer').textContent()).resolves.toMatch(/^(59|60) min \d+ s$/);
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    expect(await visibleText(page)).not.toMatch(developerText);

    // The organizer opens the line now; the page's own clock reaches the time it was told.
    const opened = await e2e.app.request('PATCH', `/api/v1/events/${event.id}`, { token: e2e.app.adminToken, body: { onsale: { startsAt: saleStartsAt, queue: { ...queue, preQueueOpensAt: fromNow(-minute) } } } });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    await page.clock.fastForward('01:00:30');
    await page.locator('[data-queue-state="pre_queue"]').waitFor();
  });
});
