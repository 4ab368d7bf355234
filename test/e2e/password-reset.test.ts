import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logIn } from './browser.js';
import { startE2e, type E2e } from './harness.js';

/** Issue 12, item 8: password reset by email, from "Forgot password?" to logging in with the new password. */
describe('password reset in the browser', () => {
  let e2e: E2e;
  beforeAll(async () => {
    e2e = await startE2e();
  });
  afterAll(() => e2e?.close());

  /** The link of the latest reset email to `email`, read from the dev inbox (the dev transport's sink) once the outbox has sent it. */
  async function emailedLink(email: string): Promise<string> {
    let link = '';
    await expect.poll(async () => {
      const { rows } = await e2e.app.db.query<{ body: string }>(
        `select body from dev_inbox where to_address = $1 and subject = 'Reset your Onsale password' order by created_at desc limit 1`,
        [email],
      );
      link = /https?:\/\/\S+\/reset-password\?token=\S+/.exec(rows[0]?.body ?? '')?.[0] ?? '';
      return link;
    }, { timeout: 10_000 }).not.toBe('');
    return link;
  }

  it('asks for a link from the login form, follows it, sets a new password and logs in with it; the old one no longer works', async () => {
    const buyer = await e2e.app.registerBuyer();
    const page = await e2e.browser.newPage({ width: 390, height: 844 });
    await page.goto('/login');
    await page.getByLabel('Email').fill(buyer.email);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL(/\/forgot-password/);
    // The email typed on the login form comes along.
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe(buyer.email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('status').filter({ hasText: 'If an account exists for that email, we sent a link' }).waitFor();

    // An address without an account reads exactly the same.
    const stranger = await e2e.browser.newPage();
    await stranger.goto('/forgot-password');
    await stranger.getByLabel('Email').fill(`nobody-${Date.now()}@example.test`);
    await stranger.getByRole('button', { name: 'Send the link' }).click();
    await expect(stranger.getByRole('status').textContent()).resolves.toBe(await page.getByRole('status').textContent());

    const link = new URL(await emailedLink(buyer.email));
    await page.goto(link.pathname + link.search);
    await page.getByLabel('New password').fill('a fresh start');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your new password is set and you are logged in.' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in' }).first().waitFor();

    await logIn(page, buyer.email, 'a fresh start');
    const old = await e2e.browser.newPage();
    await old.goto('/login');
    await old.getByLabel('Email').fill(buyer.email);
    await old.getByLabel('Password').fill('correct horse');
    await old.getByRole('button', { name: 'Log in' }).click();
    await old.getByRole('alert').filter({ hasText: 'That email and password do not match.' }).waitFor();
    expect((await e2e.app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: buyer.refreshToken } })).status).toBe(401);

    // The link worked once: opened again, it says so in words, with a way to a new one.
    await old.goto(link.pathname + link.search);
    await old.getByLabel('New password').fill('another start');
    await old.getByRole('button', { name: 'Set the new password' }).click();
    await old.getByRole('alert').filter({ hasText: 'This password reset link was already used.' }).waitFor();
    await old.getByRole('link', { name: 'Ask for a new link' }).waitFor();
  });
});
