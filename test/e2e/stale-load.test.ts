import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startE2e, type E2e } from './harness.js';

const slowMs = 1500;

/** What a link click does (web/src/app/router.tsx), without a full page load that would reset the app. */
const navigateInApp = (page: Page, path: string) =>
  page.evaluate(`history.pushState(null, '', ${JSON.stringify(path)}); window.dispatchEvent(new Event('onsale:navigate'))`);

describe('a screen that changes while it loads', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('abandons the previous event\'s slow answer: the newer event stays on screen', async () => {
    const [slow, fast] = [await e2e.app.createEvent({ title: 'The Slow Answer' }), await e2e.app.createEvent({ title: 'The Fast Answer' })];
    const page = await e2e.buyerPage();
    const isSlow = (url: string) => url.endsWith(`/api/v1/events/${slow.id}`);
    const answered: string[] = [];
    const aborted: string[] = [];
    page.on('requestfinished', (request) => void (isSlow(request.url()) && answered.push(request.url())));
    page.on('requestfailed', (request) => void (isSlow(request.url()) && aborted.push(request.failure()?.errorText ?? '')));
    await page.route(`**/api/v1/events/${slow.id}`, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, slowMs));
      // The page may have abandoned the request meanwhile.
      await route.continue().catch(() => undefined);
    });

    await navigateInApp(page, `/events/${slow.id}`);
    await navigateInApp(page, `/events/${fast.id}`);

    await page.getByRole('heading', { level: 1, name: 'The Fast Answer' }).waitFor();
    await page.waitForTimeout(slowMs + 500);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('The Fast Answer');
    // The page let go of every request for the slow event instead of waiting for it.
    expect(answered).toEqual([]);
    expect(aborted.length).toBeGreaterThan(0);
    expect(aborted.every((reason) => reason === 'net::ERR_ABORTED')).toBe(true);
  });
});
