import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

/** Issue 12, item 5: checkout and the tickets say what the buyer is buying. */
describe('checkout says what the buyer is buying', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  for (const [viewport, size] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1440, height: 900 }]] as const) {
    it(`shows the event, its date, venue and address, the section, the seats grouped by row, and the total, and the tickets page the event's time and place (${viewport})`, async () => {
      const venue = await e2e.app.request('POST', '/api/v1/venues', { token: e2e.app.adminToken, body: { name: 'Coliseu', city: 'Lisbon', address: 'Rua das Portas de Santo Antão 96', timeZone: 'Europe/Lisbon' } });
      const event = await e2e.app.createEvent({
        title: 'Fado at the Coliseu',
        venueId: venue.body.id,
        sections: [{ name: 'Plateia', price: 4500, rows: [{ label: 'G', seats: 12 }, { label: 'H', seats: 12 }] }],
      });
      const buyer = await e2e.app.registerBuyer();
      const seats = (await e2e.app.request('GET', `/api/v1/events/${event.id}/seats`)).body as { id: string; label: string }[];
      const rowH = seats.filter((s) => /^H([3-9]|10)$/.test(s.label)).map((s) => s.id);
      const hold = await e2e.app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, seatIds: rowH } });
      expect(hold.status).toBe(201);

      const page = await e2e.browser.newPage(size);
      await page.goto('/login');
      await page.getByLabel('Email').fill(buyer.email);
      await page.getByLabel('Password').fill('correct horse');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      await page.goto(`/checkout/${hold.body.id}`);

      const summary = page.getByTestId('order-summary');
      await summary.getByRole('heading', { name: 'Fado at the Coliseu' }).waitFor();
      const text = (await summary.innerText()).replace(/\s+/g, ' ');
      expect(text).toContain('Coliseu, Rua das Portas de Santo Antão 96, Lisbon');
      const inLisbon = await page.evaluate((iso) => new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Lisbon' }).format(new Date(iso)), event.startsAt as string);
      expect(text).toContain(`${inLisbon} Lisbon time`);
      expect(text).toMatch(/Plateia Row H, seats 3–10 · 8 × €45\.00 €360\.00/);
      expect(text).toMatch(/Subtotal €360\.00 Total €360\.00/);
      // One line for the eight seats, not eight.
      await expect(summary.locator('.line-items li').count()).resolves.toBe(1);

      // The tickets say it too, once bought.
      await page.getByLabel('Card number').fill('4242 4242 4242 4242');
      await page.getByRole('button', { name: /^Pay/ }).click();
      const order = page.getByTestId('order').filter({ hasText: 'Fado at the Coliseu' });
      await expect(order.getByTestId('order-when').innerText()).resolves.toContain(`${inLisbon} Lisbon time`);
      await expect(order.getByTestId('order-where').innerText()).resolves.toBe('Coliseu, Rua das Portas de Santo Antão 96, Lisbon');
    });
  }
});
