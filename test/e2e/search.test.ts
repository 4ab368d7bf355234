import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

describe('finding an event in the browser (issue 17)', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('suggests as you type, picks with the keyboard, filters by a facet chip, and says what to try when nothing matches', async () => {
    await e2e.app.createEvent({ title: 'The Eras Tour', performers: ['Taylor Swift'], category: 'pop' });
    await e2e.app.createEvent({ title: 'Fado Night', performers: ['Ana Moura'], category: 'fado' });
    const page = await e2e.browser.newPage({ width: 375, height: 812 });
    await page.goto('/');

    const box = page.getByRole('combobox', { name: 'Search events' });
    await box.pressSequentially('taylr swi');
    const option = page.getByRole('option', { name: /Taylor Swift/ });
    await option.waitFor();
    await expect(box.getAttribute('aria-expanded')).resolves.toBe('true');
    await box.press('ArrowDown');
    await expect(box.getAttribute('aria-activedescendant')).resolves.toBe(await page.getByRole('option').first().getAttribute('id'));
    await box.press('Enter');
    await page.waitForURL(/q=Taylor\+Swift/);
    await page.locator('.event-card', { hasText: 'The Eras Tour' }).waitFor();
    await expect(page.locator('.event-card').count()).resolves.toBe(1);

    await page.goto('/');
    await page.getByRole('group', { name: 'Category' }).getByRole('button', { name: /fado/ }).click();
    await page.waitForURL(/category=fado/);
    await expect(page.getByRole('group', { name: 'Category' }).getByRole('button', { name: /fado/ }).getAttribute('aria-pressed')).resolves.toBe('true');
    await expect(page.locator('.event-card').allTextContents()).resolves.toEqual([expect.stringContaining('Fado Night')]);

    await page.goto('/?q=zzqqxx');
    await page.getByText('No upcoming events match').waitFor();
    await expect(page.getByText('Check the spelling').count()).resolves.toBe(1);
  });
});
