import axe from 'axe-core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

// page.evaluate callbacks run in the browser, where axe is loaded.
declare const window: { axe: typeof axe };
declare const document: Parameters<typeof axe.run>[0] & { documentElement: { scrollWidth: number; clientWidth: number } };

interface Finding {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/** Runs axe (WCAG 2.2 A and AA rules) on what the page shows now; returns the serious and critical findings. */
async function audit(page: Page): Promise<Finding[]> {
  // evaluate runs through the DevTools protocol, so the app's Content-Security-Policy does not block it.
  await page.evaluate(axe.source);
  const results = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, resultTypes: ['violations'] }));
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}

describe('every page passes an axe audit (no serious or critical findings)', () => {
  let e2e: E2e;
  const pages: { name: string; path: string; as: 'visitor' | 'buyer' | 'admin'; ready: string }[] = [];
  let buyerCredentials: { email: string };

  beforeAll(async () => {
    e2e = await startE2e();
    const seated = await e2e.app.createEvent({ title: 'Axe Recital', sections: [{ name: 'Stalls', price: 6000, rows: [{ label: 'A', seats: 10 }, { label: 'B', seats: 10 }] }, { name: 'Floor', price: 3000, capacity: 50 }] });
    const soldOut = await e2e.app.createEvent({ title: 'Axe Sold Out', sections: [{ name: 'Floor', price: 2000, capacity: 1 }] });
    const buyer = await e2e.app.registerBuyer();
    buyerCredentials = buyer;
    const other = await e2e.app.registerBuyer();
    await e2e.app.request('POST', '/api/v1/holds', { token: other.token, body: { eventId: soldOut.id, sectionId: soldOut.sections[0].id, quantity: 1 } });
    // An order, a cancelled order (VOID tickets) and an open hold for checkout.
    const buy = async (quantity: number) => {
      const hold = await e2e.app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: seated.id, sectionId: seated.sections[1].id, quantity } });
      return (await e2e.app.request('POST', `/api/v1/holds/${hold.body.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } })).body;
    };
    await buy(2);
    const cancelled = await buy(1);
    expect((await e2e.app.request('POST', `/api/v1/orders/${cancelled.id}/cancel`, { token: buyer.token })).status).toBe(200);
    const open = await e2e.app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: seated.id, sectionId: seated.sections[0].id, quantity: 2 } });
    const door = await e2e.app.request('POST', `/api/v1/events/${seated.id}/checkin/devices`, { token: e2e.app.adminToken, body: { name: 'Axe door' } });

    pages.push(
      { name: 'home', path: '/', as: 'visitor', ready: '.event-card' },
      { name: 'log in', path: '/login', as: 'visitor', ready: 'form' },
      { name: 'sign up', path: '/register', as: 'visitor', ready: 'form' },
      { name: 'forgot password', path: '/forgot-password', as: 'visitor', ready: 'form' },
      { name: 'reset password', path: '/reset-password?token=from-an-email', as: 'visitor', ready: 'input[type="password"]' },
      { name: 'event with a seat map', path: `/events/${seated.id}`, as: 'buyer', ready: '[data-seat="A1"]' },
      { name: 'sold-out event with its waitlist', path: `/events/${soldOut.id}`, as: 'buyer', ready: '.waitlist' },
      { name: 'checkout', path: `/checkout/${open.body.id}`, as: 'buyer', ready: '[data-testid="order-summary"] h2' },
      { name: 'my tickets', path: '/tickets', as: 'buyer', ready: 'img.qr' },
      { name: 'account', path: '/account', as: 'buyer', ready: '[data-testid="account-email"]' },
      { name: 'join an organization', path: '/join#from-an-invitation', as: 'visitor', ready: 'form' },
      { name: 'door scanner', path: `/scan/${seated.id}#token=${door.body.deviceToken}`, as: 'visitor', ready: '[data-testid="scan-status"]' },
      { name: 'organizer', path: '/organizer', as: 'admin', ready: '[data-testid="organizer-events"] li' },
      { name: 'new event', path: '/organizer/new', as: 'admin', ready: 'form' },
      { name: 'dashboard', path: `/organizer/events/${seated.id}`, as: 'admin', ready: '[data-testid="event-status"]' },
      { name: 'team', path: '/organizer/team', as: 'admin', ready: '[data-testid="members"] li' },
      { name: 'orders', path: `/organizer/events/${seated.id}/orders`, as: 'admin', ready: '[data-testid="desk-orders"] li' },
    );
  });
  afterAll(() => e2e?.close());

  for (const [viewport, size] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1440, height: 900 }]] as const) {
    it(`finds nothing serious on any page (${viewport})`, async () => {
      const visitor = await e2e.browser.newPage(size);
      const buyer = await e2e.browser.newPage(size);
      await buyer.goto('/login');
      await buyer.getByLabel('Email').fill(buyerCredentials.email);
      await buyer.getByLabel('Password').fill('correct horse');
      await buyer.getByRole('button', { name: 'Log in' }).click();
      await buyer.getByRole('button', { name: 'Log out' }).waitFor();
      const admin = await e2e.adminPage();
      await admin.setViewportSize(size);
      const findings: Record<string, Finding[]> = {};
      for (const target of pages) {
        const page = { visitor, buyer, admin }[target.as];
        await page.goto(target.path);
        await page.locator(target.ready).first().waitFor();
        const found = await audit(page);
        // Reflow (WCAG 1.4.10): nothing makes the page scroll sideways; a wide table scrolls in its own box.
        const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        if (sideways > 0) found.push({ id: 'page-scrolls-sideways', impact: 'serious', help: `${sideways} px wider than the viewport`, targets: [] });
        if (found.length) findings[target.name] = found;
      }
      expect(findings).toEqual({});
    });
  }
});
