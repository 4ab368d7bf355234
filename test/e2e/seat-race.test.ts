import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seat, startE2e, type E2e } from './harness.js';

describe('two buyers racing for one seat', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('gives the seat to the first to hold it and tells the other it was taken, letting them pick again', async () => {
    const event = await e2e.app.createEvent({
      title: 'Quartet in the Round',
      sections: [{ name: 'Stalls', price: 6000, rows: [{ label: 'A', seats: 6 }, { label: 'B', seats: 6 }] }],
    });
    const [first, second] = await Promise.all([e2e.buyerPage(), e2e.buyerPage({ width: 375, height: 812 })]);
    await Promise.all([first.goto(`/events/${event.id}`), second.goto(`/events/${event.id}`)]);

    for (const page of [first, second]) {
      await seat(page, 'A3').click();
      await expect(seat(page, 'A3').getAttribute('aria-checked')).resolves.toBe('true');
    }

    await first.getByRole('button', { name: /Hold 1 seat/ }).click();
    await first.waitForURL(/\/checkout\//);

    await second.getByRole('button', { name: /Hold 1 seat/ }).click();
    await expect(second.getByTestId('hold-problem').textContent()).resolves.toContain('seat A3 was just taken by someone else');
    await expect(second.getByText('No seats selected').isVisible()).resolves.toBe(true);
    await expect.poll(() => seat(second, 'A3').getAttribute('data-state')).toBe('held');
    expect(second.url()).toContain(`/events/${event.id}`);

    // Picking again works, with the keyboard this time: focus A3's neighbour and press Enter.
    await seat(second, 'A4').focus();
    await second.keyboard.press('ArrowRight');
    await second.keyboard.press('Enter');
    await expect(seat(second, 'A5').getAttribute('aria-checked')).resolves.toBe('true');
    await second.getByRole('button', { name: /Hold 1 seat/ }).click();
    await second.waitForURL(/\/checkout\//);
    await second.getByTestId('order-summary').getByText('Row A, seat 5').waitFor();
  });
});
