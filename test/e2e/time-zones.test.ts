import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logIn } from './browser.js';
import { startE2e, type E2e } from './harness.js';

describe("event times in the venue's zone", () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it("shows an event's time in its venue's zone, labelled, with the viewer's own time beside it", async () => {
    const venue = await e2e.app.request('POST', '/api/v1/venues', { token: e2e.app.adminToken, body: { name: 'Coliseu', city: 'Lisbon', timeZone: 'Europe/Lisbon' } });
    // 20:00 in Lisbon in December (UTC+0) is 15:00 in New York.
    const event = await e2e.app.createEvent({ title: 'Fado Night', venueId: venue.body.id, startsAt: `${new Date().getUTCFullYear() + 1}-12-12T20:00:00.000Z` });
    for (const [viewport, size] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1440, height: 900 }]] as const) {
      const page = await e2e.browser.newPage({ ...size, timezoneId: 'America/New_York', locale: 'en-GB' });
      await page.goto(`/events/${event.id}`);
      await expect(page.locator('.event-when').textContent(), viewport).resolves.toMatch(/^\w{3},? 12 Dec \d{4},? 20:00 Lisbon time \(15:00 your time\)$/);
      await page.goto('/');
      await expect(page.locator('.event-card', { hasText: 'Fado Night' }).locator('.muted').textContent()).resolves.toContain('20:00 Lisbon time (15:00 your time)');
    }
    const local = await e2e.browser.newPage({ timezoneId: 'Europe/Lisbon', locale: 'en-GB' });
    await local.goto(`/events/${event.id}`);
    await expect(local.locator('.event-when').textContent()).resolves.toMatch(/20:00 Lisbon time$/);
  });

  it("takes an organizer's times in the venue's zone and durations in minutes", async () => {
    const page = await e2e.browser.newPage({ timezoneId: 'Europe/Berlin', locale: 'en-GB' });
    await logIn(page, 'admin@example.test', 'admin-password');
    await page.goto('/organizer/new');
    await page.getByLabel('Venue name').fill('Budokan');
    await page.getByLabel('City', { exact: true }).fill('Tokyo');
    await page.getByLabel('Time zone').selectOption('Asia/Tokyo');
    await page.getByLabel('Title', { exact: true }).fill('Tokyo Late Show');
    const year = new Date().getUTCFullYear() + 1;
    await page.getByLabel('Starts (Tokyo time)').fill(`${year}-01-15T19:30`);
    await page.getByLabel('Sale opens (Tokyo time)').fill(`${year - 1}-01-01T10:00`);
    await page.getByLabel('Hold time (minutes)').fill('7');
    await page.getByRole('button', { name: 'Create event (draft)' }).click();
    await page.waitForURL(/\/organizer\/events\//);
    const eventId = page.url().split('/').pop()!.split('?')[0]!;
    const created = await e2e.app.request('GET', `/api/v1/events/${eventId}`, { token: e2e.app.adminToken });
    expect(created.body).toMatchObject({ startsAt: `${year}-01-15T10:30:00.000Z`, holdTtlSeconds: 420, venue: { timeZone: 'Asia/Tokyo' } });
  });
});
