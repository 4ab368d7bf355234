import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; never a downloaded browser. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A viewport, and where the person sits: their time zone (IANA) and locale. */
export interface PageOptions {
  width?: number;
  height?: number;
  timezoneId?: string;
  locale?: string;
  /** Browser permissions granted to the page's origin (the door scanner's `camera`). */
  permissions?: string[];
}

export interface TestBrowser {
  browser: Browser;
  /** A fresh, isolated browser profile (own cookies and storage), like a second person. */
  newPage(options?: PageOptions): Promise<Page>;
  /** Console errors and warnings and uncaught exceptions of every page so far (see `isExpectedConsoleMessage`). */
  consoleProblems(): string[];
  close(): Promise<void>;
}

/**
 * Chromium logs every answer of 400 or more as a console error; an API refusal (409 sold_out, 404 for
 * a waitlist entry not made yet) is the app working, and the app shows it in its own words.
 */
const isExpectedConsoleMessage = (text: string, url: string) =>
  /^Failed to load resource: the server responded with a status of 4\d\d/.test(text) && new URL(url, 'http://x').pathname.startsWith('/api/v1/');

/**
 * Headless Chromium. Playwright gives every launch a fresh temporary profile (its own
 * --user-data-dir, removed on close); passing one ourselves is refused by launch().
 */
export async function launchBrowser(baseURL: string, extraArgs: string[] = []): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', ...extraArgs,
    ],
  });
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (message) => {
      const type = message.type();
      if ((type === 'error' || type === 'warning') && !isExpectedConsoleMessage(message.text(), message.location().url)) {
        problems.push(`${type} on ${page.url()}: ${message.text()} (${message.location().url})`);
      }
    });
    page.on('pageerror', (error) => problems.push(`uncaught on ${page.url()}: ${error.message}`));
    return page;
  };
  return {
    browser,
    async newPage({ width = 1280, height = 900, ...where } = {}) {
      const context = await browser.newContext({ baseURL, viewport: { width, height }, deviceScaleFactor: 1, reducedMotion: 'reduce', ...where });
      context.setDefaultTimeout(30_000);
      contexts.push(context);
      return watch(await context.newPage());
    },
    consoleProblems: () => [...problems],
    async close() {
      await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
      await browser.close();
    },
  };
}

/** Logs a page in through the UI's own form. */
export async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}
