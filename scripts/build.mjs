/**
 * The production build, in plain Node so that running it needs no TypeScript loader:
 * - the server: src/ compiled by tsc (tsconfig.build.json) into dist/, with every file tsc does not
 *   compile (the SQL migrations, the Lua scripts) copied beside the compiled code, which finds them
 *   relative to its own URL;
 * - the web app: `vite build web` into web/dist.
 * `npm run build` (this file run directly) builds both; `npm start` and bin/onsale.js call
 * `buildStale`, which builds only a part that is missing or older than its sources.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a package's command-line script with this Node; its output goes to stderr, so a command's own stdout stays clean. */
async function runTool(script, args) {
  const child = spawn(process.execPath, [join(root, script), ...args], { cwd: root, stdio: ['ignore', 2, 2] });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} failed (exit code ${code})`);
}

/** Compiles the server into `outDir` (absolute, or relative to the project root), emptied first so no file of a deleted source survives. */
export async function buildServer(outDir = 'dist') {
  const out = resolve(root, outDir);
  rmSync(out, { recursive: true, force: true });
  await runTool('node_modules/typescript/bin/tsc', ['-p', 'tsconfig.build.json', '--outDir', out]);
  cpSync(join(root, 'src'), out, { recursive: true, filter: (source) => !source.endsWith('.ts') });
}

async function buildWeb() {
  await runTool('node_modules/vite/bin/vite.js', ['build', 'web', '--logLevel', 'error']);
}

// Each part of the build: the file its build writes, what it is built from, and how.
export const server = { name: 'server', output: 'dist/cli.js', sources: ['src', 'tsconfig.json', 'tsconfig.build.json'], build: () => buildServer() };
export const webApp = {
  name: 'web app',
  output: 'web/dist/index.html',
  // The bundle includes React and the other web dependencies, so a change of the lock file rebuilds it.
  sources: ['web/src', 'web/public', 'web/index.html', 'web/vite.config.ts', 'package-lock.json'],
  build: buildWeb,
};
export const targets = [server, webApp];

/** Tests are not part of the build: editing one does not make it stale. */
const isTest = (name) => /\.test\.tsx?$/.test(name);

/** The last change under a path (a directory's own time counts: it changes when a file is deleted); 0 when it does not exist. */
function newestChangeMs(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  const children = readdirSync(path).filter((name) => !isTest(name));
  return Math.max(stat.mtimeMs, ...children.map((name) => newestChangeMs(join(path, name))));
}

export function isStale(target) {
  const builtMs = statSync(join(root, target.output), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return builtMs <= Math.max(...target.sources.map((source) => newestChangeMs(join(root, source))));
}

async function build(target) {
  const startedMs = Date.now();
  console.error(`building the ${target.name} (${target.output})…`);
  await target.build();
  console.error(`built the ${target.name} in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
}

/** Builds each part that is missing or older than one of its sources; with nothing changed it only reads file times. */
export async function buildStale(which = targets) {
  for (const target of which) if (isStale(target)) await build(target);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) for (const target of targets) await build(target);
