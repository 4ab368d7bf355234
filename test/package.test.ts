/**
 * The container image's contents without Docker: scripts/package.mjs (the Dockerfile's only build step)
 * writes them into a folder outside the project, which then runs from its own directory with only its
 * production dependencies, answers the Dockerfile's HEALTHCHECK, serves the web app and the API, and
 * exits cleanly on SIGTERM as `docker stop` sends it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from '../scripts/build.mjs';
import { packageInto } from '../scripts/package.mjs';
import { call, exitOf, killServers, serve } from './support/serve.js';

const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
/** Packages npm installs for development only (a dev dependency a production one also needs, such as yaml, is not one). */
const lockfile = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
const devOnly = Object.entries(lockfile.packages).filter(([path, entry]) => entry.dev && path.split('node_modules/').length === 2).map(([path]) => path.slice('node_modules/'.length));

/** The exec-form arguments of a Dockerfile instruction (`HEALTHCHECK … CMD [...]`, `CMD [...]`). */
function execForm(instruction: RegExp): string[] {
  const match = instruction.exec(dockerfile.replace(/\\\n\s*/g, ''));
  if (!match) throw new Error(`the Dockerfile has no ${instruction}`);
  return JSON.parse(match[1]!) as string[];
}

let folder: string | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  killServers();
  for (const dir of [folder, dataDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the packaged image contents', () => {
  it('runs as the non-root node user from the compiled build', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(execForm(/^CMD (\[.*\])$/m)).toEqual(['node', 'dist/cli.js', 'serve']);
    expect(dockerfile).toMatch(/^RUN node scripts\/package\.mjs \/app$/m);
  });

  it('starts from its own folder with production dependencies only and serves the web app and the API', async () => {
    folder = await mkdtemp(join(tmpdir(), 'onsale-package-'));
    dataDir = await mkdtemp(join(tmpdir(), 'onsale-package-data-'));
    await packageInto(folder);

    for (const name of Object.keys(manifest.dependencies)) expect(existsSync(join(folder, 'node_modules', name)), name).toBe(true);
    expect(devOnly).toEqual(expect.arrayContaining(['vitest', 'playwright-core', 'kubernetes-models']));
    for (const name of devOnly) expect(existsSync(join(folder, 'node_modules', name)), name).toBe(false);
    expect(existsSync(join(folder, 'src'))).toBe(false);

    const server = await serve({ DATA_DIR: dataDir, WEB_DIST_DIR: join(folder, 'web/dist') }, { cli: join(folder, 'dist/cli.js'), cwd: folder });
    const port = new URL(server.url).port;
    const [command, ...args] = execForm(/^HEALTHCHECK .*?CMD (\[.*\])$/m);
    const healthcheck = await promisify(execFile)(command === 'node' ? process.execPath : command!, args, { env: { ...process.env, PORT: port } });
    expect(healthcheck.stderr).toBe('');

    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    // Ranked search runs on PGlite's contrib extensions (pg_trgm, unaccent, cube, earthdistance), which the production install must carry.
    expect((await call(server.url, 'GET', '/api/v1/events?q=Onsale%20Demo%20Night')).body.items[0]).toMatchObject({ title: 'Onsale Demo Night' });
    expect((await call(server.url, 'GET', '/api/v1/search/suggest?q=onsale%20dem')).body.suggestions).toContainEqual(expect.objectContaining({ text: 'Onsale Demo Night' }));

    server.child.kill('SIGTERM');
    expect(await exitOf(server.child)).toBe(0);
    // Compiling, building the web app and installing take minutes on a machine shared with other runs.
  }, 600_000);
});
