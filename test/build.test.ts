/**
 * The production build as `npm start` runs it: src/ compiled alone by tsc, with the SQL migrations and
 * Lua scripts beside the compiled code, served by plain Node (no tsx) on the embedded database.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer, root } from '../scripts/build.mjs';
import { call, killServers, serve } from './support/serve.js';

let outDir: string | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  killServers();
  for (const dir of [outDir, dataDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

// tsc over all of src/ takes 15 s alone; beside the suite's other heavy files (the simulator's nodes, Chromium) it has
// taken over 120 s, the suite's default bound, so this one test gets a longer one.
const buildTimeoutMs = 600_000;

describe('the production build', () => {
  it('compiles src/ alone into a server that plain Node runs, answering /healthz and the web app', async () => {
    // Inside the project, so the built code finds its dependencies in node_modules; apart from dist/, so a user's build is left alone.
    mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
    outDir = await mkdtemp(join(root, 'node_modules/.cache/onsale-build-test-'));
    dataDir = await mkdtemp(join(tmpdir(), 'onsale-build-data-'));
    await buildServer(outDir);

    expect(existsSync(join(outDir, 'cli.js'))).toBe(true);
    expect(readdirSync(join(outDir, 'db/migrations'))).toEqual(readdirSync(join(root, 'src/db/migrations')));
    expect(existsSync(join(outDir, 'redis/scripts/includes/codes.lua'))).toBe(true);
    expect(readdirSync(outDir, { recursive: true }).filter((file) => /\.test\.|\.ts$/.test(String(file)))).toEqual([]);

    // The global setup builds web/dist; the server finds it through WEB_DIST_DIR as in any deployment.
    const server = await serve({ DATA_DIR: dataDir, WEB_DIST_DIR: join(root, 'web/dist') }, { cli: join(outDir, 'cli.js') });
    expect(await call(server.url, 'GET', '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<div id="root">');
    // Migrations ran from the build (the demo event needs the whole schema).
    expect((await call(server.url, 'GET', '/api/v1/events?q=Onsale%20Demo%20Night')).body.items[0]).toMatchObject({ title: 'Onsale Demo Night' });
  }, buildTimeoutMs);
});
