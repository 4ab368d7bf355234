import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2e, type E2e } from './harness.js';

/** Issue 12, item 8: the accounts people expect (sign up link, account page, new password, log out everywhere). */
describe('accounts in the browser', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  it('signs up from the header, renames, changes the password, and logs out everywhere', async () => {
    const email = `acct-${Date.now()}@example.test`;
    const page = await e2e.browser.newPage({ width: 390, height: 844 });
    await page.goto('/');
    await page.getByRole('link', { name: 'Sign up' }).click();
    await page.getByLabel('Name').fill('Rita Buyer');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('first password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('link', { name: 'Account' }).click();
    await expect(page.getByTestId('account-email').textContent()).resolves.toBe(email);

    await page.getByLabel('Name').fill('Rita B.');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('status').filter({ hasText: 'Your name is saved.' }).waitFor();

    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill('second password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'That is not your current password.' }).waitFor();
    await page.getByLabel('Current password').fill('first password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
    const login = (password: string) => e2e.app.request('POST', '/api/v1/auth/login', { body: { email, password } });
    expect((await login('second password')).status).toBe(200);
    expect((await login('first password')).status).toBe(401);

    const elsewhere = (await login('second password')).body;
    await page.getByRole('button', { name: 'Log out everywhere' }).click();
    await page.waitForURL(/\/login/);
    await page.getByRole('link', { name: 'Sign up' }).waitFor();
    expect((await e2e.app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: elsewhere.refreshToken } })).status).toBe(401);
    expect((await e2e.app.request('GET', '/api/v1/me', { token: elsewhere.accessToken })).body.name).toBe('Rita B.');
  });
});
