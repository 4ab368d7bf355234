import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { startE2e, type E2e } from './harness.js';

const fromNow = (ms: number) => new Date(Date.now() + ms).toISOString();
const card = { payment: { cardNumber: '4242424242424242' } };

/** Issue 12, item 11: the organizer runs the sale from the dashboard. */
describe('running a sale from the dashboard', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('pauses the waiting room (the buyer sees it paused and keeps the place), changes rate and cap live, and resumes', async () => {
    const event = await e2e.app.createEvent({
      title: 'Pausable Gig',
      onsale: { startsAt: fromNow(-60_000), queue: { enabled: true, admitPerMinute: 600, stockAware: false, paused: true } },
    });
    const buyer = await e2e.buyerPage({ width: 390, height: 844 });
    await buyer.goto(`/events/${event.id}`);
    await buyer.locator('[data-queue-state="paused"]').waitFor();
    await buyer.getByText('The line is paused').waitFor();

    const page = await e2e.adminPage();
    await page.goto(`/organizer/events/${event.id}`);
    await expect.poll(() => page.getByTestId('queue-state').textContent()).toBe('Paused');
    await page.getByLabel('Admit per minute').fill('30');
    await page.getByLabel('Max shoppers at once').fill('3');
    await page.getByRole('button', { name: 'Apply rate and cap' }).click();
    await expect.poll(async () => (await e2e.app.request('GET', `/api/v1/events/${event.id}`)).body.onsale.queue)
      .toMatchObject({ admitPerMinute: 30, maxActiveShoppers: 3, paused: true });
    await expect(page.getByTestId('kpi-admitted-min').textContent()).resolves.toBe('0');

    await page.getByRole('button', { name: 'Resume admission' }).click();
    await buyer.locator('[data-queue-state="admitted"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('queue-state').textContent()).toBe('Admitting');
    await page.getByRole('button', { name: 'Pause admission' }).waitFor();
    expect((await e2e.app.request('GET', `/api/v1/events/${event.id}`)).body.onsale.queue).toMatchObject({ admitPerMinute: 30, maxActiveShoppers: 3, paused: false });
  });

  it('edits the details, raises capacity (refusing a cut below what is sold), shows the waitlist, and cancels with the refund count after two confirmations', async () => {
    const event = await e2e.app.createEvent({ title: 'Small Club Night', description: 'Doors at 22:00.', category: 'club', sections: [{ name: 'Floor', price: 2500, capacity: 3 }] });
    const sectionId = event.sections[0].id as string;
    const buyers = await e2e.app.registerBuyers(3);
    for (const [i, quantity] of [[0, 2], [1, 1]] as const) {
      const hold = await e2e.app.request('POST', '/api/v1/holds', { token: buyers[i]!.token, body: { eventId: event.id, sectionId, quantity } });
      expect((await e2e.app.request('POST', `/api/v1/holds/${hold.body.id}/checkout`, { token: buyers[i]!.token, body: card })).status).toBe(201);
    }
    expect((await e2e.app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: buyers[2]!.token, body: { sectionId, quantity: 2 } })).status).toBe(201);

    const page = await e2e.adminPage();
    await page.goto(`/organizer/events/${event.id}`);
    const waitlistRow = page.getByTestId('waitlist-Floor');
    await expect.poll(() => waitlistRow.locator('td').allTextContents()).toEqual(['1', '2', '0', '0', '0', '0']);
    await expect(page.getByTestId('kpi-net').textContent()).resolves.toBe(await page.evaluate(() => new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' }).format(75)));

    await page.getByLabel('New capacity').fill('2');
    await page.getByRole('button', { name: 'Change capacity' }).click();
    await page.getByRole('alert').filter({ hasText: 'fewer tickets than are already sold or held' }).waitFor();
    await page.getByLabel('New capacity').fill('5');
    await page.getByRole('button', { name: 'Change capacity' }).click();
    // The two new tickets are offered to the waitlist first.
    await expect.poll(() => waitlistRow.locator('td').allTextContents()).toEqual(['0', '0', '1', '0', '0', '0']);
    await expect(page.getByTestId('section-Floor').locator('td').allTextContents()).resolves.toEqual(['3', '0', '2', '0', '0', '5', '']);

    await expect(page.getByLabel('Description').inputValue()).resolves.toBe('Doors at 22:00.');
    await page.getByLabel('Title', { exact: true }).fill('Small Club Night (late show)');
    await page.getByLabel('Description').fill('');
    await page.getByLabel('Category').fill('');
    await page.getByRole('button', { name: 'Save details' }).click();
    await page.getByRole('heading', { name: 'Small Club Night (late show)', level: 1 }).waitFor();
    expect((await e2e.app.request('GET', `/api/v1/events/${event.id}`)).body).toMatchObject({ title: 'Small Club Night (late show)', description: null, category: null });

    await page.getByRole('button', { name: 'Cancel event…' }).click();
    await expect(page.getByTestId('refund-orders').textContent()).resolves.toBe('2 orders');
    await page.getByRole('button', { name: 'Cancel and refund 2 orders' }).click();
    expect((await e2e.app.request('GET', `/api/v1/events/${event.id}`)).body.status).toBe('published'); // not yet: one more confirmation
    await page.getByRole('button', { name: /^Yes, cancel/ }).click();
    await expect.poll(() => page.getByTestId('event-status').textContent()).toBe('cancelled');
    const orders = await waitFor(
      () => e2e.app.db.query<{ status: string }>('select status from orders where event_id = $1', [event.id]),
      (r) => r.rows.every((o) => o.status === 'cancelled'),
    );
    expect(orders.rows.map((o) => o.status)).toEqual(['cancelled', 'cancelled']);
    await expect.poll(() => page.getByTestId('kpi-refunded').textContent()).toBe(await page.evaluate(() => new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' }).format(75)));
  });
});
