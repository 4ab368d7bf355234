import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

// The global test setup builds web/dist, so the server serves the app.
describe('serving the web app', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite');
  });
  afterAll(() => app?.close());

  it('serves index.html at / and for the app routes, never cached', async () => {
    for (const path of ['/', '/events/2b8c7f7e-3a52-4d7e-9c2a-1f0e6b1d4c11', '/tickets?order=1', '/organizer/new']) {
      const reply = await app.request('GET', path);
      expect(reply.status, path).toBe(200);
      expect(reply.headers['content-type'], path).toContain('text/html');
      expect(reply.headers['cache-control'], path).toBe('no-cache');
      expect(String(reply.body)).toContain('<div id="root">');
    }
  });

  it('keeps the JSON error shape for unknown API paths and missing files', async () => {
    for (const path of ['/api/v1/nope', '/api/v1/events/not-a-uuid/nope', '/assets/missing.js', '/metrics/x']) {
      const reply = await app.request('GET', path);
      expect(reply.status, path).toBe(404);
      expect(reply.body.error.code, path).toBe('not_found');
    }
  });

  it('leaves the API docs, health and metrics alone', async () => {
    expect((await app.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await app.request('GET', '/metrics')).headers['content-type']).toContain('text/plain');
    expect((await app.request('GET', '/docs/json')).body.openapi).toMatch(/^3\./);
  });
});
