import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

describe('an organizer in the browser', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('creates a venue and an event with a generated curved seating section, publishes it, and sees it on sale', async () => {
    const page = await e2e.adminPage();
    await page.getByRole('link', { name: 'Organizer' }).click();
    await page.getByRole('link', { name: 'New event' }).click();

    await page.getByLabel('Venue name').fill('Canal Theatre');
    await page.getByLabel('City', { exact: true }).fill('Utrecht');
    await page.getByLabel('Title', { exact: true }).fill('Opening Night at the Canal');
    await page.getByLabel('Category').fill('theatre');
    await page.getByLabel('Hold time (minutes)').fill('5');
    const reserved = page.getByRole('group', { name: 'Section 1' });
    await reserved.getByLabel('Section name').fill('Stalls');
    await reserved.getByLabel('Price').fill('42.50');
    await reserved.getByLabel('Rows', { exact: true }).fill('5');
    await reserved.getByLabel('Seats per row').fill('12');
    await expect.poll(() => reserved.locator('[data-seat]').count()).toBe(60);
    const standing = page.getByRole('group', { name: 'Section 2' });
    await standing.getByLabel('Capacity').fill('150');
    await page.getByRole('button', { name: 'Create event (draft)' }).click();

    await page.waitForURL(/\/organizer\/events\//);
    await expect(page.getByTestId('event-status').textContent()).resolves.toBe('draft');
    const eventId = page.url().split('/').pop()!.split('?')[0]!;
    expect((await e2e.app.request('GET', `/api/v1/events/${eventId}`)).status).toBe(404); // drafts are hidden

    await page.getByRole('button', { name: 'Publish' }).click();
    await expect.poll(() => page.getByTestId('event-status').textContent()).toBe('published');
    await expect(page.getByTestId('kpi-available').textContent()).resolves.toBe('210');

    const published = await e2e.app.request('GET', `/api/v1/events/${eventId}`);
    expect(published.body).toMatchObject({ title: 'Opening Night at the Canal', holdTtlSeconds: 300, venue: { name: 'Canal Theatre', city: 'Utrecht' } });
    expect(published.body.sections.map((s: { name: string; price: number; capacity: number }) => [s.name, s.price, s.capacity])).toEqual([['Stalls', 4250, 60], ['Standing', 4000, 150]]);
    const seats = (await e2e.app.request('GET', `/api/v1/events/${eventId}/seats`)).body as { row: string; x: number; y: number }[];
    const rowA = seats.filter((s) => s.row === 'A');
    expect(rowA).toHaveLength(12);
    expect(rowA[0]!.y).toBeLessThan(rowA[6]!.y); // curved: the ends of a row bend towards the stage

    const buyer = await e2e.browser.newPage();
    await buyer.goto('/?city=Utrecht');
    await buyer.getByRole('link', { name: 'Opening Night at the Canal' }).click();
    await buyer.getByRole('heading', { name: 'Opening Night at the Canal' }).waitFor();
    // The seats arrive after the heading: wait for them rather than count at once.
    await expect.poll(() => buyer.locator('[data-seat]').count()).toBe(60);
  });

  it('shows sales on the live dashboard as buyers check out', async () => {
    const event = await e2e.app.createEvent({ title: 'Dashboard Gig', sections: [{ name: 'Floor', price: 1000, capacity: 40 }] });
    const page = await e2e.adminPage();
    await page.goto(`/organizer/events/${event.id}`);
    await expect(page.getByTestId('kpi-sold').textContent()).resolves.toBe('0');

    const buyer = await e2e.app.registerBuyer();
    const hold = await e2e.app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 4 } });
    await e2e.app.request('POST', `/api/v1/holds/${hold.body.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } });

    await expect.poll(() => page.getByTestId('kpi-sold').textContent()).toBe('4');
    await expect.poll(() => page.locator('.chart figcaption').textContent()).toContain('4 tickets');
  });

  it('shows the waiting room live on the dashboard: people in line, admitted per minute, shoppers, and when the line clears', async () => {
    const event = await e2e.app.createEvent({
      title: 'Queued Gig',
      onsale: { startsAt: new Date(Date.now() - 60_000).toISOString(), queue: { enabled: true, admitPerMinute: 600, maxActiveShoppers: 2, stockAware: false } },
    });
    const buyers = await e2e.app.registerBuyers(5);
    for (const buyer of buyers) expect((await e2e.app.request('POST', `/api/v1/events/${event.id}/queue`, { token: buyer.token })).status).toBe(201);
    const page = await e2e.adminPage();
    await page.goto(`/organizer/events/${event.id}`);
    const kpi = (name: string) => () => page.getByTestId(`kpi-${name}`).textContent();

    // two shoppers at most: two are let in, three wait, and at two a minute the line takes about 2 minutes
    await expect.poll(kpi('shopping-now')).toBe('2');
    await expect.poll(kpi('in-line')).toBe('3');
    await expect(kpi('admitted-min')()).resolves.toBe('2');
    await expect(kpi('line-clears-in')()).resolves.toBe('about 2 minutes');
    await expect(page.getByTestId('queue-state').textContent()).resolves.toBe('Admitting');

    // a shopper leaves: the next in line is admitted, and the page follows without a reload
    await e2e.app.request('DELETE', `/api/v1/events/${event.id}/queue`, { token: buyers[0]!.token });
    await expect.poll(kpi('in-line')).toBe('2');
    await expect.poll(kpi('admitted-min')).toBe('3');
    await expect(kpi('shopping-now')()).resolves.toBe('2');
  });
});
