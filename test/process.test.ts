/**
 * The product as a user runs it: `onsale serve` on the embedded default, seeded, stopped gracefully,
 * killed hard, and started again with nothing a buyer was told lost.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoCatalogueSize } from '../src/seed/catalogue.js';
import { demoEvents } from '../src/seed/demo.js';
import { call, exitOf, killServers, serve } from './support/serve.js';

let dataDir: string;

afterAll(async () => {
  killServers();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('onsale serve on the embedded database', () => {
  it('seeds the demo on-sale, keeps confirmed orders through a hard kill, and stops gracefully', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'onsale-process-'));
    const env = { DATA_DIR: dataDir, ADMIN_EMAIL: 'owner@example.test', ADMIN_PASSWORD: 'owner-password' };
    const first = await serve(env);
    expect(first.output()).toContain('owner@example.test / owner-password');
    expect(first.output()).toMatch(/API docs: http:\/\/\S+\/docs/);

    const seeded = (await call(first.url, 'GET', '/api/v1/events?limit=100')).body.items;
    expect(seeded).toHaveLength(Object.keys(demoEvents).length + demoCatalogueSize);
    const demo = seeded.find((e: { title: string }) => e.title === demoEvents.main);
    const event = (await call(first.url, 'GET', `/api/v1/events/${demo.id}`)).body;
    expect(event.sections.map((s: { kind: string; capacity: number }) => [s.kind, s.capacity])).toEqual([['seated', 200], ['ga', 1000]]);

    const session = (await call(first.url, 'POST', '/api/v1/auth/register', { email: 'fan@example.test', password: 'long enough', name: 'Fan' })).body;
    const hold = (await call(first.url, 'POST', '/api/v1/holds', { eventId: event.id, sectionId: event.sections[1].id, quantity: 2 }, session.accessToken)).body;
    const order = (await call(first.url, 'POST', `/api/v1/holds/${hold.id}/checkout`, { payment: { cardNumber: '4242424242424242' } }, session.accessToken)).body;
    expect(order.status).toBe('confirmed');

    first.child.kill('SIGKILL');
    await exitOf(first.child);

    const second = await serve(env);
    const again = await call(second.url, 'GET', `/api/v1/orders/${order.id}`, undefined, session.accessToken);
    expect(again.body).toMatchObject({ id: order.id, status: 'confirmed' });
    expect(again.body.tickets.map((t: { code: string }) => t.code)).toEqual(order.tickets.map((t: { code: string }) => t.code));
    expect((await call(second.url, 'GET', '/api/v1/events?limit=100')).body.items).toHaveLength(Object.keys(demoEvents).length + demoCatalogueSize);

    const exited = exitOf(second.child);
    second.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 300_000);
});
