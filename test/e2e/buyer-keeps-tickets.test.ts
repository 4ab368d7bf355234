import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seat, startE2e, type E2e } from './harness.js';

const stalls = { name: 'Stalls', price: 6000, rows: [{ label: 'A', seats: 8 }, { label: 'B', seats: 8 }] };

describe('a buyer never loses their seats or their offer', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  /** Sells out a GA event to a holder, puts a browser buyer on its waitlist for `wanted`, then returns `returned` tickets. */
  async function offerTo(page: Awaited<ReturnType<E2e['buyerPage']>>, capacity: number, wanted: number) {
    const event = await e2e.app.createEvent({ title: 'Back Room Session', sections: [{ name: 'Floor', price: 2500, capacity }] });
    const holder = await e2e.app.registerBuyer();
    const held = await e2e.app.request('POST', '/api/v1/holds', { token: holder.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: capacity } });
    expect(held.status).toBe(201);
    await page.goto(`/events/${event.id}`);
    await page.locator('.waitlist').getByLabel('Tickets').selectOption(String(wanted));
    await page.getByRole('button', { name: 'Join the waitlist' }).click();
    await page.getByText(`You're number 1 in line for ${wanted} ticket${wanted === 1 ? '' : 's'}`).waitFor();
    expect((await e2e.app.request('DELETE', `/api/v1/holds/${held.body.id}`, { token: holder.token })).status).toBe(204);
    return event;
  }

  it('shows an open waitlist offer first even while other tickets are on sale, and asks before passing it on', async () => {
    const page = await e2e.buyerPage({ width: 390, height: 844 });
    // 3 come back: 2 are offered to this buyer, 1 is on sale to anyone.
    await offerTo(page, 3, 2);
    const offer = page.getByTestId('offer');
    await offer.getByRole('heading', { name: 'Tickets are yours if you want them!' }).waitFor();
    await expect.poll(() => page.getByTestId('available-Floor').textContent()).toBe('1 left');
    await expect(offer.getByRole('timer').textContent()).resolves.toMatch(/^\d+:\d{2}$/);
    // The offer comes before the tickets panel.
    const [offerTop, ticketsTop] = await Promise.all([offer.boundingBox(), page.getByRole('heading', { name: 'Tickets', exact: true }).boundingBox()]);
    expect(offerTop!.y).toBeLessThan(ticketsTop!.y);

    await offer.getByRole('button', { name: 'No thanks' }).click();
    await offer.getByRole('button', { name: 'Keep them' }).click();
    await offer.getByRole('button', { name: 'Buy now' }).click();
    await page.waitForURL(/\/checkout\//);
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByRole('button', { name: /^Pay/ }).click();
    await page.waitForURL(/\/tickets\?order=/);
    await expect.poll(() => page.locator('img.qr').count()).toBe(2);
  });

  it('passes an offer on only after the buyer confirms', async () => {
    const page = await e2e.buyerPage();
    const event = await offerTo(page, 1, 1);
    const offer = page.getByTestId('offer');
    await offer.getByRole('button', { name: 'No thanks' }).click();
    await offer.getByRole('button', { name: 'Yes, pass them on' }).click();
    await offer.waitFor({ state: 'detached' });
    const admin = { token: e2e.app.adminToken };
    await expect.poll(async () => (await e2e.app.request('GET', `/api/v1/events/${event.id}/stats`, admin)).body.sections[0]).toMatchObject({ offered: 0, available: 1 });
  });

  for (const [viewport, size] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1440, height: 900 }]] as const) {
    it(`shows the buyer's own seats as theirs after Back from checkout, with Resume and Release (${viewport})`, async () => {
      const event = await e2e.app.createEvent({ title: 'Resume Me', sections: [stalls] });
      const page = await e2e.buyerPage(size);
      await page.goto(`/events/${event.id}`);
      await seat(page, 'A3').click();
      await seat(page, 'A4').click();
      await page.getByRole('button', { name: /Hold 2 seats/ }).click();
      await page.waitForURL(/\/checkout\//);
      const checkoutUrl = page.url();
      await page.goBack();
      await page.waitForURL(new RegExp(`/events/${event.id}$`));

      await expect.poll(() => seat(page, 'A3').getAttribute('data-state')).toBe('mine');
      await expect(seat(page, 'A4').getAttribute('aria-label')).resolves.toContain('on hold for you');
      const bar = page.getByTestId('resume-bar');
      await expect(bar.textContent()).resolves.toMatch(/seats A3, A4 .* \d+:\d{2} left/);
      await expect(page.getByTestId('header-hold').textContent()).resolves.toMatch(/^Resume checkout · \d+:\d{2} left$/);

      await bar.getByRole('link', { name: 'Resume checkout' }).click();
      await page.waitForURL(checkoutUrl);
      await page.getByTestId('order-summary').getByText('Row A, seats 3–4').waitFor();
      await expect(page.getByTestId('header-hold').count()).resolves.toBe(0);
      await page.goBack();

      await page.getByTestId('resume-bar').getByRole('button', { name: 'Release' }).click();
      await page.getByTestId('resume-bar').waitFor({ state: 'detached' });
      await expect.poll(() => seat(page, 'A3').getAttribute('data-state')).toBe('available');
      await expect(page.getByTestId('header-hold').count()).resolves.toBe(0);
    });
  }

  it('keeps seats picked before logging in and holds them right after the login', async () => {
    const event = await e2e.app.createEvent({ title: 'Pick First', sections: [stalls] });
    const buyer = await e2e.app.registerBuyer();
    const page = await e2e.browser.newPage({ width: 390, height: 844 });
    await page.goto(`/events/${event.id}`);
    await seat(page, 'B5').click();
    await seat(page, 'B6').click();
    await page.getByRole('button', { name: /Hold 2 seats/ }).click();
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel('Email').fill(buyer.email);
    await page.getByLabel('Password').fill('correct horse');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/checkout\//);
    await page.getByTestId('order-summary').getByText('Row B, seats 5–6').waitFor();
  });

  it('keeps tickets picked before signing up and holds them right after the new account is made', async () => {
    const event = await e2e.app.createEvent({ title: 'New Fan', sections: [{ name: 'Floor', price: 2000, capacity: 50 }] });
    const page = await e2e.browser.newPage();
    await page.goto(`/events/${event.id}`);
    await page.getByRole('button', { name: 'One more' }).click();
    await page.getByRole('button', { name: /Get 3 tickets/ }).click();
    await page.waitForURL(/\/login\?next=/);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill('New Fan');
    await page.getByLabel('Email').fill(`new-fan-${Date.now()}@example.test`);
    await page.getByLabel('Password').fill('correct horse');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/checkout\//);
    await expect.poll(async () => (await e2e.app.request('GET', `/api/v1/events/${event.id}`)).body.sections[0].available).toBe(47);
  });
});
