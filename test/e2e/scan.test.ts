import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startE2e, type E2e } from './harness.js';

const goodCard = { payment: { cardNumber: '4242424242424242' } };

describe('the door scanner page', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  async function scan(page: Page, value: string) {
    const previous = page.getByTestId('scan-result');
    if (await previous.count()) await previous.click();
    await page.getByLabel('Ticket code or QR').fill(value);
    await page.getByRole('button', { name: 'Check in' }).click();
    const result = page.getByTestId('scan-result');
    await result.waitFor();
    return { ok: (await result.getAttribute('data-ok')) === 'true', text: (await result.textContent()) ?? '', firstAt: await result.getAttribute('data-first-at') };
  }

  it('pairs a device by link, admits a ticket once online, keeps scanning offline, and syncs with conflicts shown when back', async () => {
    const { app } = e2e;
    const event = await app.createEvent({ title: 'Door Night', maxTicketsPerOrder: 10 });
    const buyer = await app.registerBuyer();
    const hold = (await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 4 } })).body;
    const order = (await app.request('POST', `/api/v1/holds/${hold.id}/checkout`, { token: buyer.token, body: goodCard })).body;
    const [first, second, third, fourth] = order.tickets as { id: string; code: string; qr: string }[];
    await app.request('PATCH', `/api/v1/tickets/${first!.id}`, { token: buyer.token, body: { attendeeName: 'Grace Hopper' } });
    const device = (await app.request('POST', `/api/v1/events/${event.id}/checkin/devices`, { token: app.adminToken, body: { name: 'North door' } })).body;
    const other = (await app.request('POST', `/api/v1/events/${event.id}/checkin/devices`, { token: app.adminToken, body: { name: 'South door' } })).body;

    const page = await e2e.browser.newPage({ width: 400, height: 800 });
    await page.goto(`/scan/${event.id}#token=${device.deviceToken}`);
    await page.getByTestId('scan-status').filter({ hasText: '4 tickets, 0 checked in' }).waitFor();
    expect(new URL(page.url()).hash).toBe(''); // the token left the address bar

    const admitted = await scan(page, first!.code);
    expect(admitted.ok).toBe(true);
    expect(admitted.text).toContain('Admitted');
    expect(admitted.text).toContain('Grace Hopper');
    const again = await scan(page, first!.code);
    expect(again.ok).toBe(false);
    expect(again.text).toContain('Already checked in');
    const server = await app.db.query<{ at: Date }>('select scanned_at as at from checkins where ticket_id = $1', [first!.id]);
    expect(again.firstAt).toBe(server.rows[0]!.at.toISOString());

    // Another door admits the fourth ticket while this page does not know yet.
    expect((await app.request('POST', `/api/v1/events/${event.id}/checkins`, { token: other.deviceToken, body: { code: fourth!.code } })).status).toBe(201);

    await page.context().setOffline(true);
    await page.getByTestId('scan-status').filter({ hasText: 'Offline' }).waitFor();
    const offline = await scan(page, second!.code);
    expect([offline.ok, offline.text.includes('Admitted (offline)')]).toEqual([true, true]);
    expect((await scan(page, second!.code)).text).toContain('Already checked in');
    const byQr = await scan(page, third!.qr); // verified in the browser with the public key
    expect([byQr.ok, byQr.text.includes('Admitted (offline)')]).toEqual([true, true]);
    const forged = await scan(page, third!.qr.slice(0, -2) + (third!.qr.endsWith('AA') ? 'BA' : 'AA'));
    expect([forged.ok, forged.text.includes('signature')]).toEqual([false, true]);
    expect((await scan(page, fourth!.code)).ok).toBe(true); // the device cannot know; the server decides on sync
    await page.getByTestId('scan-result').click();
    await page.getByTestId('scan-status').filter({ hasText: '3 scans waiting to sync' }).waitFor();
    expect((await app.db.query('select 1 from checkins where ticket_id = any($1::uuid[])', [[second!.id, third!.id]])).rowCount).toBe(0);

    await page.context().setOffline(false);
    // Back online, the page uploads on its own: nothing waits any more.
    await page.getByTestId('scan-status').filter({ hasText: /^Online · 4 tickets, 4 checked in$/ }).waitFor();
    const conflicts = page.getByTestId('scan-conflicts');
    await conflicts.waitFor();
    expect(await conflicts.textContent()).toContain(`${fourth!.code}: already checked in`);
    expect(await conflicts.textContent()).toContain('South door');
    const rows = await app.db.query<{ code: string; device: string }>(
      `select t.code, d.name as device from checkins c join tickets t on t.id = c.ticket_id join checkin_devices d on d.id = c.device_id
        where c.event_id = $1 and c.reverted_at is null`, [event.id]);
    expect(Object.fromEntries(rows.rows.map((r) => [r.code, r.device]))).toEqual({
      [first!.code]: 'North door', [second!.code]: 'North door', [third!.code]: 'North door', [fourth!.code]: 'South door',
    });
  });
});
