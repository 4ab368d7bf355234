import { ensureTemplate } from './support/postgres.js';

/** Builds the migrated template database once, before the test files clone it in parallel. */
export default async function setup(): Promise<void> {
  await ensureTemplate();
}
