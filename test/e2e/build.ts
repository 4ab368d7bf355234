import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sources = ['web/src', 'web/public', 'web/index.html', 'web/vite.config.ts'];
const builtIndex = 'web/dist/index.html';

function newestChange(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

/**
 * Builds the web app when its sources changed since the last build (vite build takes a few seconds),
 * so the servers the end-to-end tests start serve the current code at `/`.
 */
export async function buildWebApp(): Promise<void> {
  const built = statSync(builtIndex, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built > Math.max(...sources.map(newestChange))) return;
  await run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', 'web', '--logLevel', 'error']);
  if (!statSync(builtIndex, { throwIfNoEntry: false })) throw new Error(`the web build did not produce ${builtIndex}`);
}
