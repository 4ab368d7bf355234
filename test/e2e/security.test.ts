/**
 * Security headers: the Content-Security-Policy holds with the real web app in Chromium (no violation
 * from browsing, the seat map, paying and the QR tickets, the organizer's dashboard or the API docs),
 * `Strict-Transport-Security` only in production, and CORS only for the listed origins.
 */
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from '../support/app.js';
import { startE2e, type E2e } from './harness.js';

// Runs in the browser, where these exist.
declare const document: {
  addEventListener(type: string, listener: (event: { violatedDirective: string; blockedURI: string }) => void): void;
  createElement(tag: 'script'): { textContent: string };
  body: { appendChild(node: unknown): void };
};
declare const window: { cspViolations: string[] };

/** Records every CSP violation the page reports, from before its first script runs. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  const consoleReports: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) consoleReports.push(message.text());
  });
  return async () => [...(await page.evaluate(() => window.cspViolations)), ...consoleReports];
}

describe('the Content-Security-Policy in Chromium', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('lets the web app browse, show a seat map, pay, show QR tickets and the dashboard, and the API docs, with no violation', async () => {
    const event = await e2e.app.createEvent({ title: 'Policy Night', sections: [{ name: 'Stalls', price: 4000, rows: [{ label: 'A', seats: 6 }] }] });
    const page = await e2e.buyerPage();
    const violations = await watchViolations(page);
    const response = await page.goto(`/events/${event.id}`);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('heading', { name: 'Policy Night' }).waitFor();
    await page.locator('[data-seat="A3"]').click();
    await page.getByRole('button', { name: /Hold 1 seat/ }).click();
    await page.waitForURL(/\/checkout\//);
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForURL(/\/tickets\?order=/);
    await page.locator('img.qr').first().waitFor();
    expect(await violations()).toEqual([]);
    // The watch sees a violation when there is one: an inline script, which the policy refuses. On a
    // page of its own, outside the harness's console check (which fails the file on any console error).
    const probe = await e2e.browser.browser.newPage({ baseURL: e2e.app.url });
    const probeViolations = await watchViolations(probe);
    await probe.goto(`/events/${event.id}`);
    await probe.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'void 0';
      document.body.appendChild(script);
    });
    await expect.poll(probeViolations).toContainEqual(expect.stringMatching(/^script-src/));
    await probe.close();

    const admin = await e2e.adminPage();
    const adminViolations = await watchViolations(admin);
    await admin.goto('/');
    await admin.goto('/docs');
    await admin.locator('.swagger-ui').first().waitFor();
    await admin.getByText('/api/v1/holds').first().waitFor();
    expect(await adminViolations()).toEqual([]);
  });
});

describe('security headers and CORS', () => {
  it('sends the hardening headers, no HSTS outside production, and no CORS grant by default', async () => {
    const app = await startTestApp('pglite');
    try {
      const reply = await app.request('GET', '/api/v1/events', { headers: { origin: 'https://elsewhere.example' } });
      expect(reply.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN', 'referrer-policy': 'no-referrer' });
      expect(reply.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(reply.headers['strict-transport-security']).toBeUndefined();
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('in production sends Strict-Transport-Security, and answers CORS for the listed origins only', async () => {
    const app = await startTestApp('pglite', {
      NODE_ENV: 'production', JWT_SECRET: randomBytes(32).toString('hex'), QUEUE_TOKEN_SECRET: randomBytes(32).toString('hex'),
      CORS_ORIGINS: 'https://shop.example.com,https://partner.example.org',
    });
    try {
      const get = await app.request('GET', '/api/v1/events', { headers: { origin: 'https://partner.example.org' } });
      expect(get.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(get.headers['access-control-allow-origin']).toBe('https://partner.example.org');
      const preflight = await app.request('OPTIONS', '/api/v1/holds', { headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example.com');
      const stranger = await app.request('GET', '/api/v1/events', { headers: { origin: 'https://evil.example' } });
      expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
