import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

/** Opens the live notification socket at `query`; resolves once it is open, collecting what it receives. */
function openLive(app: TestApp, query: string, headers: Record<string, string> = {}) {
  const messages: any[] = [];
  const socket = new WebSocket(`${app.url.replace('http', 'ws')}/api/v1/me/live${query}`, { headers });
  socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) => reject(new Error(`refused with ${response.statusCode}`)));
    socket.once('error', reject);
  });
  return { socket, messages, opened };
}

/** How the server answered an upgrade: 101 when the socket opened, else the refusal's status. */
async function upgradeStatus(app: TestApp, query: string, headers: Record<string, string> = {}): Promise<number> {
  const { socket, opened } = openLive(app, query, headers);
  try {
    await opened;
    return 101;
  } catch (error) {
    return Number(/refused with (\d+)/.exec(String(error))?.[1] ?? 0);
  } finally {
    socket.close();
  }
}

describe('the live notification socket', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('postgres', { OUTBOX_INTERVAL_MS: '50' });
  });
  afterAll(() => app?.close());

  const ticketFor = async (accessToken: string): Promise<string> => {
    const reply = await app.request('POST', '/api/v1/me/live/ticket', { token: accessToken });
    expect(reply.status).toBe(201);
    return reply.body.ticket;
  };

  it('pushes a buyer\'s own notifications, with the outbox id, to their open socket only', async () => {
    const [buyer, other] = await app.registerBuyers(2);
    const mine = openLive(app, `?ticket=${await ticketFor(buyer!.token)}`);
    const theirs = openLive(app, `?ticket=${await ticketFor(other!.token)}`);
    await Promise.all([mine.opened, theirs.opened]);
    const event = await app.createEvent();
    const hold = (await app.request('POST', '/api/v1/holds', { token: buyer!.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 } })).body;
    const order = (await app.request('POST', `/api/v1/holds/${hold.id}/checkout`, { token: buyer!.token, body: { payment: { cardNumber: '4242424242424242' } } })).body;
    await expect.poll(() => mine.messages.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const confirmed = mine.messages.find((m) => m.type === 'order.confirmed');
    expect(confirmed).toMatchObject({ kind: 'notification', eventId: event.id, id: expect.any(String) });
    expect(JSON.stringify(confirmed.payload)).toContain(order.id);
    const outbox = await app.db.query('select 1 from outbox where id = $1', [confirmed.id]);
    expect(outbox.rowCount).toBe(1);
    expect(theirs.messages).toEqual([]);
    mine.socket.close();
    theirs.socket.close();
  });

  it('gives a ticket that expires within a minute, for a logged-in user only', async () => {
    const buyer = await app.registerBuyer();
    const reply = await app.request('POST', '/api/v1/me/live/ticket', { token: buyer.token });
    expect(reply.status).toBe(201);
    expect(reply.body.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const lifetimeMs = Date.parse(reply.body.expiresAt) - Date.now();
    expect(lifetimeMs).toBeGreaterThan(5_000);
    expect(lifetimeMs).toBeLessThanOrEqual(60_000);
    expect((await app.request('POST', '/api/v1/me/live/ticket')).status).toBe(401);
  });

  it('opens one socket per ticket: a reused ticket is refused, even when the uses race', async () => {
    const buyer = await app.registerBuyer();
    const ticket = await ticketFor(buyer.token);
    expect(await upgradeStatus(app, `?ticket=${ticket}`)).toBe(101);
    expect(await upgradeStatus(app, `?ticket=${ticket}`)).toBe(401);

    const raced = await ticketFor(buyer.token);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => upgradeStatus(app, `?ticket=${raced}`)));
    expect(statuses.sort()).toEqual([101, ...Array(9).fill(401)]);
  });

  it('refuses an expired ticket', async () => {
    const buyer = await app.registerBuyer();
    const ticket = await ticketFor(buyer.token);
    // As if the ticket's lifetime had passed.
    await app.db.query(`update live_tickets set expires_at = now() - interval '1 second' where user_id = $1`, [buyer.userId]);
    expect(await upgradeStatus(app, `?ticket=${ticket}`)).toBe(401);
  });

  it('refuses a socket without a valid ticket or Bearer header before upgrading, and no longer takes an access token in the URL', async () => {
    const buyer = await app.registerBuyer();
    expect({
      forgedTicket: await upgradeStatus(app, '?ticket=forged-ticket-forged-ticket-forged-ticket-x'),
      anonymous: await upgradeStatus(app, ''),
      accessTokenInUrl: await upgradeStatus(app, `?accessToken=${encodeURIComponent(buyer.token)}`),
      forgedBearer: await upgradeStatus(app, '', { authorization: 'Bearer forged.token.here' }),
      bearer: await upgradeStatus(app, '', { authorization: `Bearer ${buyer.token}` }),
    }).toEqual({ forgedTicket: 401, anonymous: 401, accessTokenInUrl: 401, forgedBearer: 401, bearer: 101 });
  });
});
