/** Issue 12, item 13: development logs a person can read, and the start banner where it is seen. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prettyLine } from '../src/http/pretty-log.js';
import { call, exitOf, killServers, serve } from './support/serve.js';
import { waitFor } from './support/wait.js';

let dataDir: string;
afterAll(async () => {
  killServers();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the readable log format', () => {
  const at = Date.parse('2026-12-03T18:04:31Z');
  const clock = new Date(at).toTimeString().slice(0, 8);

  it('writes a request as one line (method, URL, status, time) and leaves out the incoming line', () => {
    const request = { level: 30, time: at, pid: 1, hostname: 'h', reqId: 'req-1', req: { method: 'GET', url: '/api/v1/events?q=jazz' }, res: { statusCode: 200 }, responseTime: 4.2, msg: 'request completed' };
    expect(prettyLine(JSON.stringify(request))).toBe(`${clock} INFO  GET /api/v1/events?q=jazz 200 4 ms`);
    expect(prettyLine(JSON.stringify({ ...request, msg: 'incoming request' }))).toBeUndefined();
  });

  it('writes other messages with their level and fields, an error with its stack', () => {
    expect(prettyLine(JSON.stringify({ level: 40, time: at, pid: 1, msg: 'schema older', schemaVersion: 11, pending: [12] }))).toBe(`${clock} WARN  schema older  schemaVersion=11 pending=[12]`);
    const error = prettyLine(JSON.stringify({ level: 50, time: at, msg: 'tick failed', eventId: 'e1', err: { message: 'boom', stack: 'Error: boom\n    at tick' } }));
    expect(error).toBe(`${clock} ERROR tick failed  eventId=e1\nError: boom\n    at tick`);
    expect(prettyLine('not json')).toBe('not json');
  });
});

describe('onsale serve logging', () => {
  it('prints the banner after every start-up line, logs JSON when stdout is not a terminal, and leaves probes and static files out at info', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'onsale-logs-'));
    const server = await serve({ DATA_DIR: dataDir, LOG_LEVEL: 'info', ADMIN_EMAIL: 'boss@example.test', ADMIN_PASSWORD: 'boss-password' });
    const banner = (await waitFor(async () => server.output(), (text) => /admin:.*\n/.test(text))).trimEnd() + '\n';
    // Everything printed before the banner's last line, and the banner ends the output so far.
    expect(banner.trimEnd().split('\n').at(-1)).toMatch(/admin:\s+boss@example\.test \/ boss-password/);
    expect(banner).toContain('seeded the demo on-sale');

    for (const path of ['/healthz', '/readyz', '/metrics', '/', '/index.html']) await fetch(server.url + path).then((r) => r.arrayBuffer());
    expect((await call(server.url, 'GET', '/api/v1/events?limit=1')).status).toBe(200);
    const after = () => server.output().slice(banner.length);
    await waitFor(async () => after(), (text) => text.includes('/api/v1/events?limit=1'));

    const lines = after().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string; req?: { url: string } });
    const urls = lines.flatMap((line) => (line.req ? [line.req.url] : []));
    expect(urls).toContain('/api/v1/events?limit=1');
    expect(urls.filter((url) => !url.startsWith('/api/'))).toEqual([]);

    const exited = exitOf(server.child);
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 300_000);
});
