/**
 * Retention (OUTBOX_RETENTION_DAYS): what is older than the retention goes, in bounded batches, and
 * nothing else: dispatched outbox rows with finished deliveries, expired refresh tokens, ended holds
 * never paid for. Rows are aged by moving their times back, as the days would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sectionAccounting } from '../src/features/inventory/availability.js';
import { pruneExpired } from '../src/server.js';
import { accountedUnits } from './support/accounting.js';
import { backends, startTestApp, type Buyer, type TestApp } from './support/app.js';

const days = 30;
const longAgo = `now() - interval '${days + 1} days'`;

describe.each(backends)('retention (%s)', (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend, { OUTBOX_INTERVAL_MS: '50' });
  });
  afterAll(() => app?.close());

  const count = async (sql: string, params: unknown[] = []) => (await app.db.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params)).rows[0]!.n;

  async function hold(buyer: Buyer, eventId: string, sectionId: string): Promise<string> {
    const reply = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId, sectionId, quantity: 1 } });
    expect(reply.status).toBe(201);
    return reply.body.id;
  }

  it('prunes what is past the retention, a batch at a time, and keeps the rest and the stock accounting', async () => {
    const event = await app.createEvent();
    const sectionId = event.sections[0].id;
    const [payer, otherPayer, releaser, recent] = await app.registerBuyers(4);
    for (const buyer of [payer!, otherPayer!]) {
      const id = await hold(buyer, event.id, sectionId);
      expect((await app.request('POST', `/api/v1/holds/${id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } })).status).toBe(201);
    }
    const released = await hold(releaser!, event.id, sectionId);
    const recentlyReleased = await hold(recent!, event.id, sectionId);
    for (const id of [released, recentlyReleased]) {
      const owner = id === released ? releaser! : recent!;
      expect((await app.request('DELETE', `/api/v1/holds/${id}`, { token: owner.token })).status).toBeLessThan(300);
    }
    // A refresh rotates the releaser's token: two rows of one family.
    expect((await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: releaser!.refreshToken } })).status).toBe(200);
    await expect.poll(() => count("outbox where dispatched_at is null")).toBe(0);
    await expect.poll(() => count("deliveries where status = 'pending'")).toBe(0);
    const outboxRows = await count('outbox');
    expect(outboxRows).toBeGreaterThanOrEqual(2);

    // Age everything but the recent buyer's hold and tokens; one old outbox row still has a delivery to make.
    await app.db.query(`update outbox set dispatched_at = ${longAgo}`);
    await app.db.query(`update deliveries set updated_at = ${longAgo}`);
    const { rows: [kept] } = await app.db.query<{ id: string }>(`update deliveries set status = 'pending' where id = (select id from deliveries order by created_at limit 1) returning outbox_id as id`);
    await app.db.query(`update refresh_tokens set expires_at = ${longAgo} where user_id <> $1`, [recent!.userId]);
    await app.db.query(`update holds set ended_at = ${longAgo} where ended_at is not null and user_id <> $1`, [recent!.userId]);
    const agedTokens = await count('refresh_tokens where user_id <> $1', [recent!.userId]);
    const before = await sectionAccounting(app.db, event.id);

    // A batch of one row: every table takes several batches.
    expect(await pruneExpired(app.db, days, 1)).toEqual({ outbox: outboxRows - 1, refreshTokens: agedTokens, endedHolds: 1 });
    expect(await pruneExpired(app.db, days, 1)).toEqual({ outbox: 0, refreshTokens: 0, endedHolds: 0 });

    expect((await app.db.query('select id from outbox')).rows).toEqual([{ id: kept!.id }]);
    expect(await count('deliveries where outbox_id <> $1', [kept!.id])).toBe(0);
    expect(await count('refresh_tokens')).toBe(1);
    expect(await count('holds where id = $1', [released])).toBe(0);
    expect(await count('hold_items where hold_id = $1', [released])).toBe(0);
    // Paid-for holds stay with their orders; the recent release stays.
    expect(await count("holds where status = 'converted'")).toBe(2);
    expect(await count('holds where id = $1', [recentlyReleased])).toBe(1);
    expect((await app.request('GET', '/api/v1/orders', { token: payer!.token })).body.items).toHaveLength(1);
    const after = await sectionAccounting(app.db, event.id);
    expect(after).toEqual(before);
    expect(accountedUnits(after[0]!)).toBe(after[0]!.capacity);
  });
});
