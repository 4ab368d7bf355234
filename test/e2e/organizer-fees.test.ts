/**
 * Issue 15, fees and taxes: the organizer's dashboard sets an event's fees and tax, and the next
 * hold is priced with them (docs/fees.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

describe("an event's fees and tax in the organizer pages", () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('adds a percent fee and an inclusive VAT on the dashboard; the next hold is priced with them', async () => {
    const event = await e2e.app.createEvent({ title: 'Harbour Lights', sections: [{ name: 'Floor', price: 1230, capacity: 20 }] });
    const page = await e2e.adminPage();
    await page.goto(`/organizer/events/${event.id}`);
    const panel = page.getByRole('region', { name: 'Fees and tax' });
    await panel.getByRole('button', { name: 'Add a fee' }).click();
    await panel.getByLabel('Name', { exact: true }).fill('Service fee');
    await panel.getByLabel('Charged').selectOption('percent');
    await panel.getByLabel('Percent', { exact: true }).fill('10');
    await panel.getByLabel('Refunded when a ticket is cancelled').check();
    await panel.getByLabel('Tax', { exact: true }).check();
    await panel.getByLabel('Tax name').fill('IVA');
    await panel.getByLabel('Rate (%)').fill('23');
    await panel.getByLabel('Prices').selectOption('inclusive');
    await panel.getByRole('button', { name: 'Save fees and tax' }).click();
    await panel.getByRole('status').waitFor();

    const saved = (await e2e.app.request('GET', `/api/v1/events/${event.id}`)).body;
    expect(saved).toMatchObject({ fees: [{ name: 'Service fee', percent: 10, refundable: true }], tax: { name: 'IVA', ratePercent: 23, inclusive: true } });
    const buyer = await e2e.app.registerBuyer();
    const hold = await e2e.app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } });
    // 12.30 with 23 % included (2.30), a 10 % fee (1.23): 13.53.
    expect(hold.body.breakdown).toEqual({ subtotal: 1230, discount: 0, fees: 123, tax: 230, total: 1353, taxIncluded: true });
  });
});
