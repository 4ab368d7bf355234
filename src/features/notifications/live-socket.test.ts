import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

/** Opens the live notification socket; resolves once it is open, collecting what it receives. */
function openLive(app: TestApp, accessToken: string) {
  const messages: any[] = [];
  const socket = new WebSocket(`${app.url.replace('http', 'ws')}/api/v1/me/live?accessToken=${encodeURIComponent(accessToken)}`);
  socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) => reject(new Error(`refused with ${response.statusCode}`)));
    socket.once('error', reject);
  });
  return { socket, messages, opened };
}

describe('the live notification socket', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('postgres', { OUTBOX_INTERVAL_MS: '50' });
  });
  afterAll(() => app?.close());

  it('pushes a buyer\'s own notifications, with the outbox id, to their open socket only', async () => {
    const [buyer, other] = await app.registerBuyers(2);
    const mine = openLive(app, buyer!.token);
    const theirs = openLive(app, other!.token);
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

  it('refuses a socket without a valid access token before upgrading', async () => {
    await expect(openLive(app, 'forged.token.here').opened).rejects.toThrow(/401/);
    const anonymous = new WebSocket(`${app.url.replace('http', 'ws')}/api/v1/me/live`);
    const status = await new Promise<number>((resolve) => anonymous.once('unexpected-response', (_request, response) => resolve(response.statusCode!)));
    expect(status).toBe(401);
  });
});
