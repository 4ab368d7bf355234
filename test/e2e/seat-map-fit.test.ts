import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logIn } from './browser.js';
import { seat, startE2e, type E2e } from './harness.js';

const box = async (locator: Locator) => (await locator.boundingBox())!;
const seatWidth = async (page: Page, label: string) => (await box(seat(page, label))).width;

/** Issue 12, item 7: the seat map fits every screen (boxes measured at phone and desktop widths). */
describe('the seat map on a phone and on a desktop', () => {
  let e2e: E2e;
  let eventId: string;
  beforeAll(async () => {
    e2e = await startE2e();
    const rows = (labels: string, seats: number) => labels.split('').map((label) => ({ label, seats }));
    const event = await e2e.app.createEvent({
      title: 'Map Fit Gala',
      sections: [
        { name: 'Stalls', price: 6500, rows: rows('ABCDEFGHIJ', 20) },
        { name: 'Box', price: 12000, rows: rows('AB', 4) },
        { name: 'Standing', price: 3000, capacity: 100 },
      ],
    });
    eventId = event.id;
  });
  afterAll(() => e2e?.close());

  it('on a phone opens fitted to the section; a tap, the zoom button, a pinch or a double tap bring seats to at least 24 px; the summary stays on screen', async () => {
    const context = await e2e.browser.browser.newContext({ baseURL: e2e.app.url, viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const buyer = await e2e.app.registerBuyer();
    await logIn(page, buyer.email, 'correct horse');
    await page.goto(`/events/${eventId}`);
    await seat(page, 'J20').waitFor();
    const map = page.locator('.seatmap-canvas');
    // The buyer scrolls down to the map (taps land where the finger is; nothing scrolls for it).
    await page.locator('.seatmap-tools').evaluate((tools) => tools.scrollIntoView({ block: 'start' }));

    // Fitted: the whole section is inside the map, and the map inside the screen's width.
    const mapBox = await box(map);
    expect(mapBox.x).toBeGreaterThanOrEqual(0);
    expect(mapBox.x + mapBox.width).toBeLessThanOrEqual(390);
    for (const label of ['A1', 'A20', 'J1', 'J20']) {
      const b = await box(seat(page, label));
      expect(b.x).toBeGreaterThanOrEqual(mapBox.x);
      expect(b.x + b.width).toBeLessThanOrEqual(mapBox.x + mapBox.width + 0.5);
    }
    const fitted = await seatWidth(page, 'E10');
    expect(fitted).toBeLessThan(24); // 20 seats across a phone: too small to tap one

    // One tap zooms in where it lands, without picking.
    const e10 = await box(seat(page, 'E10'));
    await page.touchscreen.tap(e10.x + e10.width / 2, e10.y + e10.height / 2);
    await expect.poll(() => seatWidth(page, 'E10')).toBeGreaterThanOrEqual(24);
    await expect(seat(page, 'E10').getAttribute('data-state')).resolves.toBe('available');
    const e10zoomed = await box(seat(page, 'E10'));
    expect(e10zoomed.x).toBeGreaterThanOrEqual(mapBox.x);
    expect(e10zoomed.x + e10zoomed.width).toBeLessThanOrEqual(mapBox.x + mapBox.width); // still in view
    await page.waitForTimeout(400); // past the double-tap window: the next tap is a tap of its own
    await page.touchscreen.tap(e10zoomed.x + e10zoomed.width / 2, e10zoomed.y + e10zoomed.height / 2);
    await expect.poll(() => seat(page, 'E10').getAttribute('data-state')).toBe('selected');

    const summary = page.locator('.selection-bar');
    await expect(summary.textContent()).resolves.toContain('E10');
    const bar = await box(summary);
    expect(bar.y).toBeGreaterThanOrEqual(0);
    expect(bar.y + bar.height).toBeLessThanOrEqual(844);
    const hold = await box(page.getByRole('button', { name: /^Hold 1 seat/ }));
    expect(hold.y + hold.height).toBeLessThanOrEqual(844);
    // Scrolled further up, the summary stays stuck to the bottom of the screen while the map shows.
    await map.evaluate((svg) => svg.ownerDocument.defaultView?.scrollBy(0, -200));
    await expect.poll(async () => (await box(summary)).y + (await box(summary)).height).toBeLessThanOrEqual(844);
    await page.locator('.seatmap-tools').evaluate((tools) => tools.scrollIntoView({ block: 'start' }));

    // The zoom button: one press is enough.
    await page.getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => seatWidth(page, 'E10')).toBeCloseTo(fitted, 0);
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await expect.poll(() => seatWidth(page, 'E10')).toBeGreaterThanOrEqual(24);

    // A pinch spreading two fingers zooms in.
    await page.getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => seatWidth(page, 'E10')).toBeCloseTo(fitted, 0);
    const cdp = await context.newCDPSession(page);
    const centre = { x: mapBox.x + mapBox.width / 2, y: mapBox.y + mapBox.height / 2 };
    const fingers = (gap: number) => [{ x: centre.x - gap, y: centre.y, id: 1 }, { x: centre.x + gap, y: centre.y, id: 2 }];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers(20) });
    for (const gap of [40, 60, 80, 100]) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: fingers(gap) });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await expect.poll(() => seatWidth(page, 'E10')).toBeGreaterThanOrEqual(fitted * 3);
    await expect(seat(page, 'E10').getAttribute('data-state')).resolves.toBe('selected'); // a pinch picks nothing

    // A double tap on the map (here beside the stage, where no seat is) zooms in twice over.
    await page.getByRole('button', { name: 'Reset' }).click();
    await expect.poll(() => seatWidth(page, 'E10')).toBeCloseTo(fitted, 0);
    const before = await seatWidth(page, 'E10');
    const stage = await box(page.locator('.seatmap-canvas .stage'));
    const spot = { x: stage.x + stage.width / 2, y: stage.y + stage.height + 2 };
    await page.touchscreen.tap(spot.x, spot.y);
    await page.touchscreen.tap(spot.x, spot.y);
    await expect.poll(() => seatWidth(page, 'E10')).toBeGreaterThan(before * 1.5);
    await context.close();
  });

  it('on a desktop bounds the map in height, keeps "Hold seats" above the fold, caps a small section\'s seats, and shows an overview with price levels', async () => {
    const page = await e2e.buyerPage({ width: 1440, height: 900 });
    await page.goto(`/events/${eventId}`);
    await seat(page, 'J20').waitFor();

    const map = await box(page.locator('.seatmap-canvas'));
    expect(map.height).toBeLessThanOrEqual(900 - 200);
    const hold = await box(page.getByRole('button', { name: 'Hold seats' }));
    expect(hold.y + hold.height).toBeLessThanOrEqual(900);
    const stalls = await seatWidth(page, 'E10');
    expect(stalls).toBeGreaterThanOrEqual(24);

    // Overview: every section at its price level; a block picks the section.
    const legend = await page.getByRole('list', { name: 'Price levels' }).locator('li').allTextContents();
    expect(legend).toEqual(['€120.00', '€65.00', '€30.00']);
    await expect(page.getByTestId('overview-Stalls').getAttribute('class')).resolves.toContain('level-2');
    await expect(page.getByTestId('overview-Standing').textContent()).resolves.toContain('100 left');
    await page.getByTestId('overview-Box').click();
    await expect.poll(() => page.getByRole('radio', { name: /Box/ }).isChecked()).toBe(true);

    // Eight seats on a wide screen: each at most seatPxMax (34 px) wide, not blown up to fill it.
    await seat(page, 'B4').waitFor();
    const small = await seatWidth(page, 'B4');
    expect(small).toBeGreaterThanOrEqual(24);
    expect(small).toBeLessThanOrEqual(35);
    await seat(page, 'A2').click();
    const holdOne = await box(page.getByRole('button', { name: /^Hold 1 seat/ }));
    expect(holdOne.y + holdOne.height).toBeLessThanOrEqual(900);
  });
});
