import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

describe("the organizer's event list in the browser", () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('keeps a draft reachable after navigating away, and filters drafts, on sale, past and cancelled events', async () => {
    const draft = await e2e.app.createEvent({ title: 'Unfinished Draft', status: 'draft' });
    await e2e.app.createEvent({ title: 'Selling Now' });
    const cancelled = await e2e.app.createEvent({ title: 'Called Off' });
    expect((await e2e.app.request('PATCH', `/api/v1/events/${cancelled.id}`, { token: e2e.app.adminToken, body: { status: 'cancelled' } })).status).toBe(200);
    const past = await e2e.app.createEvent({ title: 'Last Week' });
    await e2e.app.db.query(`update events set starts_at = now() - interval '7 days' where id = $1`, [past.id]);

    const page = await e2e.adminPage();
    await page.getByRole('link', { name: 'Organizer' }).click();
    const list = page.getByTestId('organizer-events');
    const titles = () => list.locator('strong').allTextContents();
    await expect.poll(titles).toEqual(['Unfinished Draft', 'Selling Now', 'Called Off', 'Last Week']);
    await expect(list.locator('li', { hasText: 'Unfinished Draft' }).locator('.badge').textContent()).resolves.toBe('Draft');

    for (const [filter, expected] of [['Drafts', ['Unfinished Draft']], ['On sale', ['Selling Now']], ['Past', ['Last Week']], ['Cancelled', ['Called Off']], ['All', ['Unfinished Draft', 'Selling Now', 'Called Off', 'Last Week']]] as const) {
      await page.getByRole('button', { name: filter, exact: true }).click();
      await expect.poll(titles).toEqual(expected);
    }

    await page.getByRole('button', { name: 'Drafts', exact: true }).click();
    await expect.poll(titles).toEqual(['Unfinished Draft']);
    await list.getByRole('link', { name: 'Dashboard' }).click();
    await page.waitForURL(`**/organizer/events/${draft.id}`);
    await expect(page.getByTestId('event-status').textContent()).resolves.toBe('draft');
    // Back keeps the filter.
    await page.goBack();
    await expect.poll(titles).toEqual(['Unfinished Draft']);
  });
});
