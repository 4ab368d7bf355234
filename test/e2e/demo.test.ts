import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoEvents, seedDemo } from '../../src/seed/demo.js';
import { startE2e, type E2e } from './harness.js';

/** Issue 12, item 14: what a newcomer sees of the demo seed, in the browser. */
describe('the demo seed in the browser', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
    await seedDemo(e2e.app.server.context);
  }, 120_000);
  afterAll(() => e2e?.close());

  it('shows a catalogue across cities, a sale opening in minutes, and a sold-out event with its waitlist', async () => {
    const page = await e2e.buyerPage({ width: 390, height: 844 });
    await page.goto('/');
    const cards = page.locator('.event-card');
    await cards.first().waitFor();
    const cities = new Set(((await e2e.app.request('GET', '/api/v1/events?limit=100')).body.items as { venue: { city: string } }[]).map((e) => e.venue.city));
    const shown = (await cards.allTextContents()).join('\n');
    expect([...cities].filter((city) => shown.includes(`· ${city}`)).length).toBeGreaterThanOrEqual(4);

    // The demo's own events lead the list: a newcomer needs no paging to find them.
    const titles = await cards.locator('h3').allTextContents();
    expect(titles.slice(0, 3).sort()).toEqual(Object.values(demoEvents).sort());
    const queued = cards.filter({ hasText: demoEvents.queued });
    await expect(queued.getByTestId('sale-opens').textContent()).resolves.toMatch(/^Sale opens in [1-3] min/);

    await page.goto('/');
    await cards.filter({ hasText: demoEvents.soldOut }).getByRole('link', { name: demoEvents.soldOut }).click();
    await page.getByRole('heading', { name: 'Sold out — join the waitlist' }).waitFor();
  });
});
