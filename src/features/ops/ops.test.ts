import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

describe('operations endpoints', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('postgres');
  });
  afterAll(() => app?.close());

  it('answers liveness and readiness', async () => {
    expect((await app.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await app.request('GET', '/readyz')).body).toEqual({ status: 'ready' });
  });

  it('exposes Prometheus metrics that move with the sale', async () => {
    const event = await app.createEvent();
    const buyer = await app.registerBuyer();
    await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } });
    const metrics = await app.request('GET', '/metrics');
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/^onsale_holds_placed_total 1$/m);
    expect(metrics.body).toMatch(/onsale_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/holds",status="201"\} 1/);
  });

  it("reports the node's and the sale's state at each scrape: pool, live sockets, outbox, waiting rooms", async () => {
    const metrics = (await app.request('GET', '/metrics')).body as string;
    expect(metrics).toMatch(/^onsale_db_pool_connections\{state="max"\} 10$/m);
    expect(metrics).toMatch(/^onsale_live_sockets 0$/m);
    expect(metrics).toMatch(/^onsale_outbox_undispatched \d+$/m);
    expect(metrics).toMatch(/^onsale_deliveries_parked 0$/m);
    expect(metrics).toMatch(/^# TYPE onsale_queue_length gauge$/m);
  });

  it('serves the OpenAPI document with every API route', async () => {
    const spec = (await app.request('GET', '/docs/json')).body;
    expect(spec.openapi).toMatch(/^3\./);
    for (const path of ['/api/v1/holds', '/api/v1/holds/{id}/checkout', '/api/v1/events/{id}/seats', '/api/v1/orders/{id}/cancel', '/api/v1/auth/refresh']) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
    expect((await app.request('GET', '/docs')).status).toBeLessThan(400);
  });

  it('answers unknown routes with the error shape', async () => {
    const reply = await app.request('GET', '/api/v1/nothing-here');
    expect(reply.status).toBe(404);
    expect(reply.body.error).toMatchObject({ code: 'not_found', details: {} });
  });
});

describe('metrics behind METRICS_TOKEN', () => {
  const metricsToken = 'a-scraper-token-of-some-length';
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite', { METRICS_TOKEN: metricsToken });
  });
  afterAll(() => app?.close());

  it('answers /metrics only to a scraper presenting the token as a Bearer token', async () => {
    const outcomes = {
      anonymous: await app.request('GET', '/metrics'),
      wrongToken: await app.request('GET', '/metrics', { token: `${metricsToken}x` }),
      adminToken: await app.request('GET', '/metrics', { token: app.adminToken }),
      basic: await app.request('GET', '/metrics', { headers: { authorization: `Basic ${metricsToken}` } }),
    };
    expect(Object.fromEntries(Object.entries(outcomes).map(([name, reply]) => [name, `${reply.status} ${reply.body?.error?.code}`]))).toEqual({
      anonymous: '401 unauthorized',
      wrongToken: '401 invalid_token',
      adminToken: '401 invalid_token',
      basic: '401 invalid_token',
    });
    const scraped = await app.request('GET', '/metrics', { token: metricsToken });
    expect(scraped.status).toBe(200);
    expect(scraped.body).toMatch(/^# HELP onsale_holds_placed_total/m);
    expect((await app.request('GET', '/healthz')).status).toBe(200);
  });
});
