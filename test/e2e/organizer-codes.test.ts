/**
 * The organizer's ticket-type and code panels in Chromium: a type added and edited on a section, a
 * batch of codes generated with a prefix and a reserve, exported as CSV, their uses shown after a
 * buyer redeems one, and a code disabled; and a buyer's code-only type appearing after an unlock code.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

describe('organizer ticket types and codes in the browser', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('adds and edits a ticket type on a section', async () => {
    const event = await e2e.app.createEvent({ title: 'Types Night', sections: [{ name: 'Floor', price: 5000, capacity: 100 }] });
    const page = await e2e.adminPage();
    await page.goto(`/organizer/events/${event.id}`);
    const form = page.getByRole('form', { name: 'New type in Floor' });
    await form.getByLabel('Name').fill('Student');
    await form.getByLabel('Price').fill('25');
    await form.getByLabel('Quota').fill('20');
    await form.getByLabel('Max per order').fill('2');
    await form.getByLabel('Visibility').selectOption('code');
    await form.getByRole('button', { name: 'Add type' }).click();
    const types = page.getByTestId('types-Floor');
    await types.getByText('Student', { exact: true }).waitFor();
    await expect(types.textContent()).resolves.toMatch(/€25\.00 · With a code only.*quota 20, 20 left · at most 2 per order/);

    await types.getByRole('button', { name: 'Edit Student' }).click();
    const edit = page.getByRole('form', { name: 'Edit Student' });
    await edit.getByLabel('Quota').fill('30');
    await edit.getByRole('button', { name: 'Save type' }).click();
    await types.getByText(/quota 30, 30 left/).waitFor();
    const { rows } = await e2e.app.db.query<{ name: string; price: number; quota: number; maxPerOrder: number; visibility: string }>(
      `select tt.name, tt.price, tt.quota, tt.max_per_order as "maxPerOrder", tt.visibility from ticket_types tt where tt.section_id = $1`, [event.sections[0].id]);
    expect(rows).toEqual([{ name: 'Student', price: 2500, quota: 30, maxPerOrder: 2, visibility: 'code' }]);
  });

  it('generates codes with a prefix and a reserve, exports them, shows their uses and disables one', async () => {
    const event = await e2e.app.createEvent({ title: 'Codes Night', sections: [{ name: 'Floor', price: 5000, capacity: 100 }] });
    const page = await e2e.adminPage();
    await page.goto(`/organizer/events/${event.id}`);
    const form = page.getByRole('form', { name: 'New codes' });
    await form.getByLabel('Generate codes').check();
    await form.getByLabel('How many').fill('3');
    await form.getByLabel('Prefix').fill('FAN');
    await form.getByLabel('Kind').selectOption('presale');
    await form.getByLabel('Max uses (tickets)').fill('4');
    await form.getByLabel('Valid until (your time)').fill('2099-01-01T20:00');
    await form.getByLabel('Reserve (tickets per code)').fill('2');
    await form.getByRole('button', { name: 'Generate codes' }).click();
    await page.getByText('3 codes made.').waitFor();
    const rows = page.getByTestId('codes').locator('tbody tr');
    await rows.nth(2).waitFor();
    await expect(rows.count()).resolves.toBe(3);
    await expect(rows.first().textContent()).resolves.toMatch(/FAN[0-9A-Z]{16}.*Presale.*0 of 4.*2 of 2 left · Floor/);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export this batch' }).click()]);
    const csv = (await readFile((await download.path())!, 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('code,kind,uses,maxUses,status');
    expect(csv.slice(1)).toHaveLength(3);
    const codes = csv.slice(1).map((line) => line.split(',')[0]!);
    for (const code of codes) expect(code).toMatch(/^FAN[0-9A-Z]{16}$/);

    // A buyer redeems one code for 3 tickets (2 from its reserve): the list shows the uses.
    const buyer = await e2e.app.registerBuyer();
    const held = await e2e.app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 3, code: codes[0]!.toLowerCase() } });
    expect(held.status).toBe(201);
    await page.reload();
    const used = page.getByTestId(`code-${codes[0]}`);
    await expect(used.textContent()).resolves.toMatch(/3 of 4.*0 of 2 left/);

    // The organizer raises the code's reserve to 5 (2 taken from it by the hold, 3 set aside now).
    await used.getByLabel(`Reserve of ${codes[0]}`, { exact: true }).fill('5');
    await used.getByRole('button', { name: 'Set reserve' }).click();
    await page.getByText('Reserve set to 5.').waitFor();
    await expect(used.textContent()).resolves.toMatch(/3 of 5 left/);

    await used.getByRole('button', { name: 'Disable' }).click();
    await used.getByText('Disabled').waitFor();
    const refused = await e2e.app.request('POST', '/api/v1/holds', { token: (await e2e.app.registerBuyer()).token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1, code: codes[0] } });
    expect(refused.body.error.code).toBe('code_invalid');
  });

  it('lists a code-only type on the event page once an unlock code is applied, and still after Back from checkout', async () => {
    const event = await e2e.app.createEvent({
      title: 'Fan Club Night',
      sections: [{ name: 'Floor', price: 5000, capacity: 40, ticketTypes: [{ name: 'Adult', price: 5000 }, { name: 'Fan Club', price: 3000, visibility: 'code' }] }],
    });
    const made = await e2e.app.request('POST', `/api/v1/events/${event.id}/codes`, { token: e2e.app.adminToken, body: { code: 'FANCLUB-ONLY', kind: 'unlock' } });
    expect(made.status).toBe(201);
    const page = await e2e.buyerPage();
    await page.goto(`/events/${event.id}`);
    await page.getByTestId('type-Adult').waitFor();
    await expect(page.getByTestId('type-Fan Club').count()).resolves.toBe(0);

    await page.getByLabel('Have a code?').fill('WRONG-CODE');
    await page.getByRole('button', { name: 'Apply code' }).click();
    await expect(page.getByTestId('code-problem').textContent()).resolves.toContain('not valid');
    await expect(page.getByTestId('type-Fan Club').count()).resolves.toBe(0);

    await page.getByLabel('Have a code?').fill('fanclub-only');
    await page.getByRole('button', { name: 'Apply code' }).click();
    await expect(page.getByTestId('code-applied').textContent()).resolves.toContain('Fan Club now available');
    await expect(page.getByTestId('type-Fan Club').textContent()).resolves.toContain('€30.00');
    await page.getByRole('button', { name: 'One more Fan Club' }).click();
    await page.getByRole('button', { name: /Get 1 ticket · €30.00/ }).click();
    await page.waitForURL(/\/checkout\//);

    await page.goBack();
    await page.waitForURL(new RegExp(`/events/${event.id}$`));
    await expect(page.getByTestId('type-Fan Club').textContent()).resolves.toContain('€30.00');
    await expect(page.getByLabel('Have a code?').inputValue()).resolves.toBe('fanclub-only');
  });
});
