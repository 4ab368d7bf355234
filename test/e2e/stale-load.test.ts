import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

const slowMs = 1500;

describe('a screen that changes while it loads', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('abandons the previous event\'s slow answer: the newer event stays on screen', async () => {
    const [slow, fast] = [await e2e.app.createEvent({ title: 'The Slow Answer' }), await e2e.app.createEvent({ title: 'The Fast Answer' })];
    const page = await e2e.buyerPage();
    const aborted: string[] = [];
    page.on('requestfailed', (request) => {
      if (request.url().endsWith(`/api/v1/events/${slow.id}`)) aborted.push(request.failure()?.errorText ?? '');
    });
    await page.route(`**/api/v1/events/${slow.id}`, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, slowMs));
      // The page may have abandoned the request meanwhile.
      await route.continue().catch(() => undefined);
    });

    await page.evaluate((id) => {
      history.pushState(null, '', `/events/${id}`);
      window.dispatchEvent(new Event('onsale:navigate'));
    }, slow.id);
    await page.evaluate((id) => {
      history.pushState(null, '', `/events/${id}`);
      window.dispatchEvent(new Event('onsale:navigate'));
    }, fast.id);

    await page.getByRole('heading', { level: 1, name: 'The Fast Answer' }).waitFor();
    await page.waitForTimeout(slowMs + 500);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('The Fast Answer');
    expect(aborted).toEqual(['net::ERR_ABORTED']);
  });
});
