import { buildStale, webApp } from '../../scripts/build.mjs';

/**
 * Builds the web app when its sources changed since the last build (vite build takes a few seconds),
 * so the servers the end-to-end tests start serve the current code at `/`. The same check as `npm start`.
 */
export async function buildWebApp(): Promise<void> {
  await buildStale([webApp]);
}
