/**
 * The container image's contents, built into one folder: the compiled server (dist/), the built web
 * app (web/dist), package.json and the lock file, and the production dependencies only (`npm ci
 * --omit=dev`). The Dockerfile's build stage runs `node scripts/package.mjs /app` and its final stage
 * copies that folder alone; test/package.test.ts runs the same script into a temp folder and starts
 * what it wrote, so the image's contents are tested on a machine that cannot pull base images.
 * Run `node dist/cli.js serve|migrate|…` inside the folder (the web app is found at ./web/dist).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildServer, buildStale, root, webApp } from './build.mjs';

/** npm's own CLI, run by this Node (the image's build stage has no other). */
const npmCli = join(process.execPath, '../../lib/node_modules/npm/bin/npm-cli.js');

async function installProductionDependencies(dir) {
  // No install scripts: no production dependency needs one, and none gets to run code at build time.
  const child = spawn(process.execPath, [npmCli, 'ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, stdio: ['ignore', 2, 2] });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`npm ci --omit=dev in ${dir} failed (exit code ${code})`);
}

/** Writes the image's contents into `outDir` (emptied first). */
export async function packageInto(outDir) {
  const out = resolve(outDir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await buildServer(join(out, 'dist'));
  await buildStale([webApp]);
  cpSync(join(root, 'web/dist'), join(out, 'web/dist'), { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(root, file), join(out, file));
  await installProductionDependencies(out);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [outDir] = process.argv.slice(2);
  if (!outDir) {
    console.error('usage: node scripts/package.mjs <folder>');
    process.exit(2);
  }
  await packageInto(outDir);
}
