import { buildWebApp } from './e2e/build.js';
import { ensureTemplate } from './support/postgres.js';

/**
 * Once, before the test files run in parallel: the migrated template database they clone, and the
 * built web app the end-to-end tests drive.
 */
export default async function setup(): Promise<void> {
  await Promise.all([ensureTemplate(), buildWebApp()]);
}
