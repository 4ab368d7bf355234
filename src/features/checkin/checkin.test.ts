import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { fillPath, liveRoutes } from '../../../test/support/routes.js';
import { publicKeyFromRaw, verifyPayload } from './signing.js';

const goodCard = { payment: { cardNumber: '4242424242424242' } };

/** Buys `quantity` GA tickets of a fresh event; returns the event and the order. */
export async function buyTickets(app: TestApp, buyer: Buyer, quantity: number, overrides: Record<string, unknown> = {}) {
  const event = await app.createEvent({ maxTicketsPerOrder: 10, ...overrides });
  const hold = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity } });
  expect(hold.status).toBe(201);
  const order = await app.request('POST', `/api/v1/holds/${hold.body.id}/checkout`, { token: buyer.token, body: goodCard });
  expect(order.status).toBe(201);
  return { event, order: order.body };
}

export async function newDevice(app: TestApp, eventId: string, name = 'Gate A scanner'): Promise<{ id: string; deviceToken: string }> {
  const reply = await app.request('POST', `/api/v1/events/${eventId}/checkin/devices`, { token: app.adminToken, body: { name } });
  expect(reply.status).toBe(201);
  return reply.body;
}

describe.each(backends)('check-in on %s', (backend) => {
  let app: TestApp;
  let buyer: Buyer;
  beforeAll(async () => {
    app = await startTestApp(backend);
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  const scan = (eventId: string, token: string, body: Record<string, unknown>) => app.request('POST', `/api/v1/events/${eventId}/checkins`, { token, body });

  it('signs each ticket\'s QR; it verifies with only the public key and fails when any one byte changes', async () => {
    const { event, order } = await buyTickets(app, buyer, 2);
    const fetched = (await app.request('GET', `/api/v1/orders/${order.id}`, { token: buyer.token })).body;
    const keys = (await app.request('GET', `/api/v1/events/${event.id}/checkin/key`)).body.keys;
    expect(keys[0]).toMatchObject({ algorithm: 'Ed25519', active: true });
    // Offline: nothing but the public key's raw bytes, as a scanner stores them.
    const publicKeys = new Map(keys.map((k: { id: string; publicKey: string }) => [k.id, publicKeyFromRaw(k.publicKey)]));
    for (const ticket of fetched.tickets) {
      expect(ticket.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
      const verified = verifyPayload(ticket.qr, (id) => publicKeys.get(id) as never);
      expect(verified).toMatchObject({ id: ticket.id, eventId: event.id, code: ticket.code });
      for (let i = 0; i < ticket.qr.length; i++) {
        const flipped = ticket.qr.slice(0, i) + (ticket.qr[i] === 'A' ? 'B' : 'A') + ticket.qr.slice(i + 1);
        expect(verifyPayload(flipped, (id) => publicKeys.get(id) as never), `byte ${i}`).toBeUndefined();
      }
    }
  });

  it('admits a ticket once by code or QR, refuses the second scan with the first one, and admits again after a revert', async () => {
    const { event, order } = await buyTickets(app, buyer, 2);
    const device = await newDevice(app, event.id);
    const [byCode, byQr] = order.tickets;
    const first = await scan(event.id, device.deviceToken, { code: byCode.code.toLowerCase(), gate: 'North' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ result: 'ok', checkin: { gate: 'North', device: { id: device.id, name: 'Gate A scanner' } }, ticket: { id: byCode.id, code: byCode.code, section: 'Floor' } });
    const again = await scan(event.id, app.adminToken, { code: byCode.code });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'already_checked_in', details: { firstAt: first.body.checkin.at, gate: 'North', device: { id: device.id } } });

    expect((await scan(event.id, app.adminToken, { qr: byQr.qr })).status).toBe(201);
    expect((await scan(event.id, device.deviceToken, { qr: byQr.qr })).body.error.code).toBe('already_checked_in');

    expect((await app.request('DELETE', `/api/v1/checkins/${first.body.checkin.id}`, { token: device.deviceToken })).status).toBe(401);
    expect((await app.request('DELETE', `/api/v1/checkins/${first.body.checkin.id}`, { token: app.adminToken })).status).toBe(204);
    expect((await app.request('DELETE', `/api/v1/checkins/${first.body.checkin.id}`, { token: app.adminToken })).status).toBe(404);
    expect((await scan(event.id, device.deviceToken, { code: byCode.code })).status).toBe(201);
  });

  it('refuses unknown codes, garbage or altered QR payloads, another event\'s tickets, cancelled tickets and bad bodies with 4xx', async () => {
    const { event, order } = await buyTickets(app, buyer, 1);
    const other = await buyTickets(app, buyer, 1);
    const cancelled = await buyTickets(app, buyer, 1);
    expect((await app.request('POST', `/api/v1/orders/${cancelled.order.id}/cancel`, { token: buyer.token })).status).toBe(200);
    const token = (await newDevice(app, event.id)).deviceToken;
    const qr: string = order.tickets[0].qr;
    const refusals: [Record<string, unknown>, number, string][] = [
      [{ code: 'ZZZZZZZZZZZZZZZZ' }, 404, 'not_found'],
      [{ qr: 'garbage' }, 400, 'invalid_ticket_signature'],
      [{ qr: `${qr.slice(0, -3)}${qr.endsWith('AAA') ? 'BBB' : 'AAA'}` }, 400, 'invalid_ticket_signature'],
      [{ qr: qr.replace(order.tickets[0].code, other.order.tickets[0].code) }, 400, 'invalid_ticket_signature'],
      [{ code: other.order.tickets[0].code }, 409, 'wrong_event'],
      [{ qr: other.order.tickets[0].qr }, 409, 'wrong_event'],
      [{}, 400, 'validation_failed'],
      [{ code: order.tickets[0].code, qr }, 400, 'validation_failed'],
      [{ code: 'not a code!' }, 400, 'validation_failed'],
      [{ qr: 'x'.repeat(5000) }, 400, 'validation_failed'],
    ];
    for (const [body, status, code] of refusals) {
      const reply = await scan(event.id, token, body);
      expect([reply.status, reply.body.error.code], JSON.stringify(body).slice(0, 80)).toEqual([status, code]);
    }
    const admin = app.adminToken;
    const voided = await scan(cancelled.event.id, admin, { code: cancelled.order.tickets[0].code });
    expect(voided.status).toBe(409);
    expect(voided.body.error).toMatchObject({ code: 'ticket_void', details: { reason: 'cancelled' } });
    const count = await app.db.query<{ n: number }>('select count(*)::int as n from checkins where ticket_id = $1', [order.tickets[0].id]);
    expect(count.rows[0]!.n).toBe(0);
  });

  it('lets a device token reach only its own event\'s scan, upload and list routes; revoked, it reaches none', async () => {
    const { event, order } = await buyTickets(app, buyer, 1);
    const other = await buyTickets(app, buyer, 1);
    const device = await newDevice(app, event.id);
    const own = new Set(['POST /api/v1/events/{id}/checkins', 'POST /api/v1/events/{id}/checkins/batch', 'GET /api/v1/events/{id}/checkin/list']);
    const anyone = (await app.request('GET', '/api/v1/events')).status;
    expect(anyone).toBe(200);
    for (const route of liveRoutes(app)) {
      if (!route.secured) continue;
      const path = fillPath(route.path, Object.fromEntries(route.params.map((p) => [p, p === 'id' ? other.event.id : order.id])));
      const reply = await app.request(route.method, path, { token: device.deviceToken, ...(route.hasBody ? { body: {} } : {}) });
      expect([401, 403], `${route.key} answered ${reply.status}`).toContain(reply.status);
      if (own.has(route.key)) expect(reply.status, route.key).toBe(403);
    }
    expect((await app.request('GET', `/api/v1/events/${event.id}/checkin/list`, { token: device.deviceToken })).status).toBe(200);
    // A buyer has no role in the event's organization: its organizer routes do not exist for them.
    expect((await app.request('GET', `/api/v1/events/${event.id}/checkin/list`, { token: buyer.token })).status).toBe(404);
    expect((await app.request('GET', `/api/v1/events/${event.id}/checkin/list`)).status).toBe(401);
    expect((await app.request('DELETE', `/api/v1/events/${event.id}/checkin/devices/${device.id}`, { token: app.adminToken })).status).toBe(204);
    const revoked = await scan(event.id, device.deviceToken, { code: order.tickets[0].code });
    expect([revoked.status, revoked.body.error.code]).toEqual([401, 'invalid_token']);
  });

  it('downloads every valid ticket and the check-ins, then only the changes after its cursor', async () => {
    const { event, order } = await buyTickets(app, buyer, 3);
    const { deviceToken } = await newDevice(app, event.id);
    const list = (path = '') => app.request('GET', `/api/v1/events/${event.id}/checkin/list${path}`, { token: deviceToken });
    const first = await scan(event.id, deviceToken, { code: order.tickets[0].code });
    const full = (await list()).body;
    expect(full.tickets.map((t: { code: string }) => t.code).sort()).toEqual(order.tickets.map((t: { code: string }) => t.code).sort());
    expect(full.checkins).toEqual([expect.objectContaining({ id: first.body.checkin.id, ticketId: order.tickets[0].id, reverted: false })]);
    expect(full.keyId).toBe(order.tickets[0].qr.split('.')[1]);
    expect((await list(`?cursor=${full.cursor}`)).body.checkins).toEqual([]);
    await scan(event.id, deviceToken, { code: order.tickets[1].code });
    await app.request('DELETE', `/api/v1/checkins/${first.body.checkin.id}`, { token: app.adminToken });
    const changes = (await list(`?cursor=${full.cursor}`)).body;
    expect(changes.checkins.map((c: { ticketId: string; reverted: boolean }) => [c.ticketId, c.reverted])).toEqual([[order.tickets[1].id, false], [order.tickets[0].id, true]]);
    expect((await list('?cursor=abc')).status).toBe(400);
  });

  it('takes offline uploads idempotently by clientScanId, and the earliest scan of a ticket wins whatever the upload order', async () => {
    const { event, order } = await buyTickets(app, buyer, 2);
    const a = await newDevice(app, event.id, 'A');
    const b = await newDevice(app, event.id, 'B');
    const upload = (token: string, scans: unknown) => app.request('POST', `/api/v1/events/${event.id}/checkins/batch`, { token, body: scans });
    const t = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const [one, two] = order.tickets;

    const late = await upload(a.deviceToken, [{ clientScanId: 'a-1', code: one.code, scannedAt: t(5), gate: 'East' }, { clientScanId: 'a-2', qr: two.qr, scannedAt: t(9) }]);
    expect(late.status).toBe(200);
    expect(late.body.results.map((r: { result: string }) => r.result)).toEqual(['ok', 'ok']);
    // B scanned ticket one earlier (it wins and displaces A's) and ticket two later (refused with A's).
    const early = await upload(b.deviceToken, [{ clientScanId: 'b-1', code: one.code, scannedAt: t(8) }, { clientScanId: 'b-2', code: two.code, scannedAt: t(2) }, { clientScanId: 'b-3', code: 'NOPE', scannedAt: t(1) }]);
    const [winner, loser, unknown] = early.body.results;
    expect(winner).toMatchObject({ clientScanId: 'b-1', result: 'ok', checkin: { device: { name: 'B' } }, displaced: { id: late.body.results[0].checkin.id } });
    expect(loser).toMatchObject({ clientScanId: 'b-2', result: 'already_checked_in', details: { checkinId: late.body.results[1].checkin.id, device: { name: 'A' } } });
    expect(unknown).toMatchObject({ result: 'not_found' });

    const before = await app.db.query('select id, device_id, scanned_at, reverted_at from checkins where event_id = $1 order by id', [event.id]);
    const replay = await upload(b.deviceToken, [{ clientScanId: 'b-2', code: two.code, scannedAt: t(2) }, { clientScanId: 'b-1', code: one.code, scannedAt: t(8) }]);
    expect(replay.body.results).toEqual([loser, winner]);
    expect((await app.db.query('select id, device_id, scanned_at, reverted_at from checkins where event_id = $1 order by id', [event.id])).rows).toEqual(before.rows);
    const active = await app.db.query<{ code: string; device: string }>(
      `select t.code, d.name as device from checkins c join tickets t on t.id = c.ticket_id join checkin_devices d on d.id = c.device_id
        where c.event_id = $1 and c.reverted_at is null order by t.code`, [event.id]);
    expect(Object.fromEntries(active.rows.map((r) => [r.code, r.device]))).toEqual({ [one.code]: 'B', [two.code]: 'A' });

    const tooMany = Array.from({ length: 501 }, (_, i) => ({ clientScanId: `x-${i}`, code: one.code, scannedAt: t(1) }));
    expect((await upload(a.deviceToken, tooMany)).status).toBe(400);
    expect((await upload(a.deviceToken, [{ clientScanId: 'y', scannedAt: t(1) }])).status).toBe(400);
    expect((await upload(a.deviceToken, [{ clientScanId: 'z', code: one.code, scannedAt: 'yesterday' }])).status).toBe(400);
  });

  it('names attendees until the event starts, shown at the door', async () => {
    const { event, order } = await buyTickets(app, buyer, 1);
    const ticket = order.tickets[0];
    const named = await app.request('PATCH', `/api/v1/tickets/${ticket.id}`, { token: buyer.token, body: { attendeeName: 'Ada Lovelace' } });
    expect(named.body).toMatchObject({ id: ticket.id, attendeeName: 'Ada Lovelace', status: 'valid' });
    const stranger = await app.registerBuyer();
    expect((await app.request('PATCH', `/api/v1/tickets/${ticket.id}`, { token: stranger.token, body: { attendeeName: 'Mallory' } })).status).toBe(404);
    expect((await app.request('PATCH', `/api/v1/tickets/${ticket.id}`, { token: buyer.token, body: { attendeeName: 'x'.repeat(201) } })).status).toBe(400);
    expect((await scan(event.id, app.adminToken, { code: ticket.code })).body.ticket.attendeeName).toBe('Ada Lovelace');
    await app.db.query(`update events set starts_at = now() - interval '1 minute' where id = $1`, [event.id]);
    const late = await app.request('PATCH', `/api/v1/tickets/${ticket.id}`, { token: buyer.token, body: { attendeeName: null } });
    expect([late.status, late.body.error.code]).toEqual([409, 'event_started']);
  });

  it('transfers a ticket: the old code is void at the door, the recipient\'s new one admits once and is emailed', async () => {
    const { event, order } = await buyTickets(app, buyer, 2);
    await app.db.query('update events set max_tickets_per_user = 1 where id = $1', [event.id]);
    const friend = await app.registerBuyer();
    const ticket = order.tickets[0];
    const moved = await app.request('POST', `/api/v1/tickets/${ticket.id}/transfer`, { token: buyer.token, body: { email: friend.email.toUpperCase() } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: ticket.id, status: 'void' });
    for (const body of [{ code: ticket.code }, { qr: ticket.qr }]) {
      const refused = await scan(event.id, app.adminToken, body);
      expect([refused.status, refused.body.error.code, refused.body.error.details.reason]).toEqual([409, 'ticket_void', 'transferred']);
    }
    const received = (await app.db.query<{ code: string }>('select code from tickets where holder_id = $1 and status = $2', [friend.userId, 'valid'])).rows;
    expect(received).toHaveLength(1);
    expect((await scan(event.id, app.adminToken, { code: received[0]!.code })).status).toBe(201);
    const mail = await app.db.query<{ payload: { tickets: { code: string }[] } }>(`select payload from outbox where user_id = $1 and type = 'ticket.received'`, [friend.userId]);
    expect(mail.rows[0]!.payload.tickets[0]!.code).toBe(received[0]!.code);
    // The buyer's order shows the ticket void; the recipient's code is theirs alone.
    const view = (await app.request('GET', `/api/v1/orders/${order.id}`, { token: buyer.token })).body;
    expect(view.tickets.map((t: { id: string; status: string; qr?: string }) => [t.id, t.status, t.qr !== undefined])).toEqual(
      expect.arrayContaining([[ticket.id, 'void', false], [order.tickets[1].id, 'valid', true]]));
    expect(JSON.stringify(view)).not.toContain(received[0]!.code);

    const second = order.tickets[1];
    const over = await app.request('POST', `/api/v1/tickets/${second.id}/transfer`, { token: buyer.token, body: { email: friend.email } });
    expect([over.status, over.body.error.code]).toEqual([409, 'limit_reached']);
    const again = await app.request('POST', `/api/v1/tickets/${ticket.id}/transfer`, { token: buyer.token, body: { email: friend.email } });
    expect([again.status, again.body.error.code]).toEqual([409, 'ticket_void']);
    const nobody = await app.request('POST', `/api/v1/tickets/${second.id}/transfer`, { token: buyer.token, body: { email: 'nobody@example.test' } });
    expect(nobody.status).toBe(404);
  });

  it('refuses transfers after check-in, after the start and where the event disallows them', async () => {
    const friend = await app.registerBuyer();
    const transfer = (ticketId: string) => app.request('POST', `/api/v1/tickets/${ticketId}/transfer`, { token: buyer.token, body: { email: friend.email } });
    const { event, order } = await buyTickets(app, buyer, 2);
    await scan(event.id, app.adminToken, { code: order.tickets[0].code });
    expect((await transfer(order.tickets[0].id)).body.error.code).toBe('ticket_checked_in');
    const patched = await app.request('PATCH', `/api/v1/events/${event.id}`, { token: app.adminToken, body: { transfersAllowed: false } });
    expect(patched.body.transfersAllowed).toBe(false);
    expect((await transfer(order.tickets[1].id)).body.error.code).toBe('transfers_not_allowed');
    await app.db.query(`update events set transfers_allowed = true, starts_at = now() - interval '1 minute' where id = $1`, [event.id]);
    expect((await transfer(order.tickets[1].id)).body.error.code).toBe('event_started');
  });

  it('counts tickets admitted per section and in total in the stats, and entries per minute for the dashboard', async () => {
    const { event, order } = await buyTickets(app, buyer, 3);
    expect(event.transfersAllowed).toBe(true);
    for (const ticket of order.tickets.slice(0, 2)) await scan(event.id, app.adminToken, { code: ticket.code });
    const stats = (await app.request('GET', `/api/v1/events/${event.id}/stats`, { token: app.adminToken })).body;
    expect(stats.checkedIn).toBe(2);
    expect(stats.sections).toEqual([expect.objectContaining({ sold: 3, checkedIn: 2 })]);
    const entries = (await app.request('GET', `/api/v1/events/${event.id}/checkin/entries?minutes=5`, { token: app.adminToken })).body.items;
    expect(entries).toHaveLength(5);
    expect(entries.reduce((sum: number, m: { entries: number }) => sum + m.entries, 0)).toBe(2);
    expect((await app.request('GET', `/api/v1/events/${event.id}/checkin/entries?minutes=0`, { token: app.adminToken })).status).toBe(400);
  });
});
