import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, logIn, type TestBrowser } from './browser.js';

export interface E2e {
  app: TestApp;
  browser: TestBrowser;
  /** A buyer with a fresh account, logged in through the UI in a browser profile of their own. */
  buyerPage(options?: { width?: number; height?: number }): Promise<Page>;
  adminPage(): Promise<Page>;
  close(): Promise<void>;
}

/** A real server (PostgreSQL, serving the built web app) and a headless Chromium. */
export async function startE2e(env: Record<string, string> = {}): Promise<E2e> {
  const app = await startTestApp('postgres', env);
  const browser = await launchBrowser(app.url);
  return {
    app,
    browser,
    async buyerPage(options) {
      const buyer = await app.registerBuyer();
      const page = await browser.newPage(options);
      await logIn(page, buyer.email, 'correct horse');
      return page;
    },
    async adminPage() {
      const page = await browser.newPage();
      await logIn(page, 'admin@example.test', 'admin-password');
      return page;
    },
    /** Fails the file if any page logged an error or a warning to its console (the suite runs clean). */
    async close() {
      const problems = browser.consoleProblems();
      await browser.close();
      await app.close();
      if (problems.length > 0) throw new Error(`The browser console reported:\n${problems.join('\n')}`);
    },
  };
}

/** Picks a seat on the map by its label (e.g. "A1"). */
export const seat = (page: Page, label: string) => page.locator(`[data-seat="${label}"]`);
