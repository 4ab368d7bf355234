import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { backoffMs } from '../../backoff.js';
import type { LiveMessage } from './live.js';
import { publicBaseUrl } from '../../config.js';
import { renderEmail } from './email.js';
import { enqueue } from './outbox.js';
import { signWebhook, verifyWebhookSignature } from './webhooks.js';

const card = { payment: { cardNumber: '4242424242424242' } };

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A webhook receiver on a real socket that answers 500 to its first `failures` requests. */
async function startReceiver(failures = 0): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ headers: request.headers, body, at: Date.now() });
      response.statusCode = received.length <= failures ? 500 : 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An SMTP server in this process that keeps every message it is given. */
async function startMailbox(): Promise<{ url: string; messages: { to: string[]; raw: string }[]; close(): Promise<void> }> {
  const messages: { to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, messages, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('notifications through the outbox (postgres, SMTP)', () => {
  let app: TestApp;
  let mailbox: Awaited<ReturnType<typeof startMailbox>>;
  let buyer: Buyer;
  beforeAll(async () => {
    mailbox = await startMailbox();
    // The dispatcher is driven by hand (dispatch()) so each test sees exactly its own passes.
    app = await startTestApp('postgres', {
      SMTP_URL: mailbox.url,
      OUTBOX_INTERVAL_MS: '60000',
      DELIVERY_MAX_ATTEMPTS: '3',
      DELIVERY_BACKOFF_BASE_MS: '60',
      DELIVERY_BACKOFF_MAX_MS: '1000',
      // The webhook receivers here listen on loopback.
      WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    buyer = await app.registerBuyer();
  });
  afterAll(async () => {
    await app?.close();
    await mailbox?.close();
  });

  const notifications = () => app.server.context.notifications;
  const outboxOf = (eventId: string) => app.db.query<{ id: string; type: string; userId: string; payload: any }>(
    'select id, type, user_id as "userId", payload from outbox where event_id = $1 order by created_at', [eventId]);

  async function buy(quantity: number, overrides: Record<string, unknown> = {}) {
    const event = await app.createEvent(overrides);
    const held = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity } });
    const order = await app.request('POST', `/api/v1/holds/${held.body.id}/checkout`, { token: buyer.token, body: card });
    expect(order.status).toBe(201);
    return { event, order: order.body };
  }

  async function dispatchUntil(done: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error('condition not reached');
      await notifications().dispatch();
      await sleep(20);
    }
  }

  it('writes the notification in the transaction of the change: a rolled-back transaction leaves none', async () => {
    const { event } = await buy(1, { sections: [{ name: 'Floor', price: 4321, capacity: 10 }] });
    await expect(app.db.transaction(async (tx) => {
      await enqueue(tx, { type: 'event.cancelled', eventId: event.id, payload: { eventId: event.id } });
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    expect((await outboxOf(event.id)).rows.map((r) => r.type)).toEqual(['order.confirmed']);

    // A cancellation that fails after its notification was written leaves neither the cancellation nor the notification.
    await app.db.query(`create or replace function fail_refund() returns trigger language plpgsql as $$ begin if new.amount = 4321 and new.status = 'refunding' then raise exception 'refund step failed'; end if; return new; end $$`);
    await app.db.query('create trigger fail_refund before update on payments for each row execute function fail_refund()');
    try {
      const order = (await app.request('GET', '/api/v1/orders', { token: buyer.token })).body.items.find((o: { eventId: string }) => o.eventId === event.id);
      expect((await app.request('POST', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token })).status).toBe(500);
      expect((await app.request('GET', `/api/v1/orders/${order.id}`, { token: buyer.token })).body.status).toBe('confirmed');
      expect((await outboxOf(event.id)).rows.map((r) => r.type)).toEqual(['order.confirmed']);
    } finally {
      await app.db.query('drop trigger fail_refund on payments');
    }
  });

  it('emails the buyer over SMTP with every ticket code, once, under a message id derived from the event id', async () => {
    const { event, order } = await buy(2);
    const [confirmed] = (await outboxOf(event.id)).rows;
    expect(confirmed).toMatchObject({ type: 'order.confirmed', userId: buyer.userId });
    await dispatchUntil(() => mailbox.messages.some((m) => m.raw.includes(order.id)));
    const message = mailbox.messages.find((m) => m.raw.includes(order.id))!;
    expect(message.to).toEqual([buyer.email]);
    expect(message.raw).toMatch(/Subject: Your tickets for Test Event/);
    for (const ticket of order.tickets) expect(message.raw).toContain(ticket.code);
    expect(message.raw).toContain(`Message-ID: <${confirmed!.id}@onsale>`);
    expect(message.raw.toLowerCase()).toContain(`onsale-event-id: ${confirmed!.id}`);
    const deliveries = await app.db.query<{ channel: string; status: string }>('select channel, status from deliveries where outbox_id = $1 order by channel', [confirmed!.id]);
    expect(deliveries.rows.filter((d) => d.channel !== 'webhook')).toEqual([{ channel: 'email', status: 'delivered' }, { channel: 'live', status: 'delivered' }]);
    await notifications().dispatch();
    expect(mailbox.messages.filter((m) => m.raw.includes(order.id))).toHaveLength(1);
  });

  it('pushes to the user\'s open live sessions with the stable event id', async () => {
    const seen: LiveMessage[] = [];
    const unsubscribe = app.server.context.live.subscribe(buyer.userId, (message) => seen.push(message));
    try {
      const { event, order } = await buy(1);
      const [confirmed] = (await outboxOf(event.id)).rows;
      await dispatchUntil(() => seen.some((m) => m.id === confirmed!.id));
      expect(seen.find((m) => m.id === confirmed!.id)).toMatchObject({ type: 'order.confirmed', eventId: event.id, payload: { orderId: order.id } });
    } finally {
      unsubscribe();
    }
  });

  it('signs webhooks so a receiver holding the secret can verify them, and only that receiver', async () => {
    const receiver = await startReceiver();
    try {
      const event = await app.createEvent();
      const secret = 'a-receiver-secret-of-some-length';
      const registered = await app.request('POST', '/api/v1/admin/webhooks', { token: app.adminToken, body: { url: receiver.url, eventId: event.id, secret } });
      expect(registered.status).toBe(201);
      expect(registered.body).toMatchObject({ url: receiver.url, eventId: event.id, secret, active: true });
      const listed = await app.request('GET', '/api/v1/admin/webhooks', { token: app.adminToken });
      expect(listed.body.items.find((w: { id: string }) => w.id === registered.body.id).secret).toBeUndefined();

      const held = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } });
      await app.request('POST', `/api/v1/holds/${held.body.id}/checkout`, { token: buyer.token, body: card });
      await dispatchUntil(() => receiver.received.length > 0);

      const [delivery] = receiver.received;
      const body = JSON.parse(delivery!.body);
      expect(body).toMatchObject({ type: 'order.confirmed', eventId: event.id, data: { holdId: held.body.id } });
      expect(delivery!.headers['onsale-event-id']).toBe(body.id);
      const signature = delivery!.headers['onsale-signature'] as string;
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature(secret, signature, delivery!.body)).toBe(true);
      expect(verifyWebhookSignature('another-secret-entirely', signature, delivery!.body)).toBe(false);
      expect(verifyWebhookSignature(secret, signature, delivery!.body.replace('order.confirmed', 'order.cancelled'))).toBe(false);
      expect(verifyWebhookSignature(secret, signature, delivery!.body, { now: Date.now() + 10 * 60_000 })).toBe(false);
      expect(verifyWebhookSignature(secret, undefined, delivery!.body)).toBe(false);
      expect(verifyWebhookSignature(secret, 't=abc,v1=zz', delivery!.body)).toBe(false);
      expect(verifyWebhookSignature(secret, signWebhook(secret, '{}', 1_000), '{}', { now: 1_000_000 + 100_000 })).toBe(true);

      // An endpoint scoped to this event hears nothing of others.
      await buy(1);
      await notifications().dispatch();
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('retries a failing webhook with exponential backoff, parks it after N failures, and an admin can retry it', async () => {
    const receiver = await startReceiver(3);
    try {
      const event = await app.createEvent();
      await app.request('POST', '/api/v1/admin/webhooks', { token: app.adminToken, body: { url: receiver.url, eventId: event.id } });
      const held = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } });
      await app.request('POST', `/api/v1/holds/${held.body.id}/checkout`, { token: buyer.token, body: card });

      const webhookDelivery = async () => (await app.db.query<{ id: string; status: string; attempts: number }>(
        `select d.id, d.status, d.attempts from deliveries d join outbox o on o.id = d.outbox_id where o.event_id = $1 and d.channel = 'webhook'`, [event.id])).rows[0];
      await dispatchUntil(async () => (await webhookDelivery())?.status === 'parked');
      expect(await webhookDelivery()).toMatchObject({ status: 'parked', attempts: 3 });
      expect(receiver.received).toHaveLength(3);
      const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i]!.at);
      expect(gaps[0]).toBeGreaterThanOrEqual(60);
      expect(gaps[1]).toBeGreaterThanOrEqual(120);
      expect(new Set(receiver.received.map((r) => r.headers['onsale-event-id'])).size).toBe(1);

      const { id } = (await webhookDelivery())!;
      const parked = await app.request('GET', '/api/v1/admin/deliveries?status=parked', { token: app.adminToken });
      expect(parked.body.items.every((d: { status: string }) => d.status === 'parked')).toBe(true);
      expect(parked.body.items.find((d: { id: string }) => d.id === id)).toMatchObject({ status: 'parked', attempts: 3, lastError: 'webhook answered 500', type: 'order.confirmed' });
      expect((await app.request('GET', '/api/v1/admin/deliveries?status=lost', { token: app.adminToken })).status).toBe(400);
      expect((await app.request('GET', '/api/v1/admin/deliveries', { token: buyer.token })).status).toBe(403);

      expect((await app.request('POST', `/api/v1/admin/deliveries/${id}/retry`, { token: buyer.token })).status).toBe(403);
      const retried = await app.request('POST', `/api/v1/admin/deliveries/${id}/retry`, { token: app.adminToken });
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ id, status: 'pending', attempts: 0 });
      await dispatchUntil(async () => (await webhookDelivery())?.status === 'delivered');
      expect(receiver.received).toHaveLength(4);
      const again = await app.request('POST', `/api/v1/admin/deliveries/${id}/retry`, { token: app.adminToken });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('delivery_not_parked');
      expect((await app.request('POST', '/api/v1/admin/deliveries/00000000-0000-4000-8000-000000000000/retry', { token: app.adminToken })).status).toBe(404);
    } finally {
      await receiver.close();
    }
  });

  it('computes backoff as base * 2^(attempt-1) with a cap and a little jitter', () => {
    const settings = { backoffBaseMs: 1000, backoffMaxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 40].map((n) => backoffMs(n, settings, () => 0))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffMs(1, settings, () => 0.999)).toBeLessThanOrEqual(1100);
  });

  it('reminds a holder once before a hold expires and an offer lapses', async () => {
    const event = await app.createEvent({ sections: [{ name: 'Floor', price: 1000, capacity: 1 }] });
    const held = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } });
    const waiter = await app.registerBuyer();
    await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: waiter.token, body: { quantity: 1 } });
    expect(await notifications().sendReminders()).toBe(0);
    // As if the hold were 590 s into its 600 s.
    const age = (holdId: string) => app.db.query(`update holds set created_at = now() - interval '590 seconds', expires_at = now() + interval '10 seconds' where id = $1`, [holdId]);
    await age(held.body.id);
    // The server's own reminder job runs too; whichever gets there first, one reminder is written.
    await notifications().sendReminders();
    await notifications().sendReminders();

    await app.request('DELETE', `/api/v1/holds/${held.body.id}`, { token: buyer.token });
    const offer = (await app.request('GET', `/api/v1/events/${event.id}/waitlist`, { token: waiter.token })).body.offer;
    await age(offer.holdId);
    await notifications().sendReminders();
    await notifications().sendReminders();
    const types = (await outboxOf(event.id)).rows.map((r) => `${r.type}:${r.userId === waiter.userId ? 'waiter' : 'buyer'}`);
    expect(types).toEqual(['hold.expiring:buyer', 'waitlist.offer_made:waiter', 'waitlist.offer_expiring:waiter']);
  });

  it('tells ticket holders and waiting fans when an event is cancelled, and closes its waitlist', async () => {
    const { event } = await buy(1, { sections: [{ name: 'Floor', price: 1000, capacity: 1 }] });
    const waiter = await app.registerBuyer();
    await app.request('POST', `/api/v1/events/${event.id}/waitlist`, { token: waiter.token, body: { quantity: 1 } });
    expect((await app.request('PATCH', `/api/v1/events/${event.id}`, { token: app.adminToken, body: { status: 'cancelled' } })).status).toBe(200);
    const cancelled = (await outboxOf(event.id)).rows.filter((r) => r.type === 'event.cancelled').map((r) => r.userId).sort();
    expect(cancelled).toEqual([buyer.userId, waiter.userId].sort());
    expect((await app.request('GET', `/api/v1/events/${event.id}/waitlist`, { token: waiter.token })).body.status).toBe('cancelled');
  });
});

describe('development email transport (pglite)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite', { OUTBOX_INTERVAL_MS: '60000' });
  });
  afterAll(() => app?.close());

  it('links an offer email to the offer on its event page, and a reminder to the checkout, under PUBLIC_BASE_URL', () => {
    const baseUrl = 'https://tickets.example.com';
    const offer = renderEmail({ type: 'waitlist.offer_made', eventTitle: 'Gig', eventId: 'e-1', baseUrl, payload: { holdId: 'h-1', quantity: 2, total: 100, currency: 'EUR', expiresAt: new Date().toISOString() } });
    expect(offer.text).toContain('Your offer: https://tickets.example.com/events/e-1#offer');
    const reminder = renderEmail({ type: 'hold.expiring', eventTitle: 'Gig', eventId: 'e-1', baseUrl, payload: { holdId: 'h-1', expiresAt: new Date().toISOString() } });
    expect(reminder.text).toContain('Check out: https://tickets.example.com/checkout/h-1');
    const place = { startsAt: new Date('2026-12-07T20:00:00Z'), venueName: 'Palau', address: 'Carrer Palau de la Música 4-6', city: 'Barcelona', timeZone: 'Europe/Madrid' };
    const confirmed = renderEmail({ type: 'order.confirmed', eventTitle: 'Gig', eventId: 'e-1', place, baseUrl, payload: { orderId: 'o-1', total: 100, currency: 'EUR', tickets: [] } });
    // 20:00 UTC is 21:00 in Madrid in December, whatever the server's zone (ICU versions differ on the comma after the weekday).
    expect(confirmed.text).toMatch(/\nWhen: Monday,? 7 December 2026 at 21:00 \(Europe\/Madrid time\)\nWhere: Palau, Carrer Palau de la Música 4-6, Barcelona\n/);
    expect(publicBaseUrl({ publicBaseUrl: 'https://tickets.example.com/', host: '0.0.0.0', port: 3000 })).toBe(baseUrl);
    expect(publicBaseUrl({ publicBaseUrl: undefined, host: '0.0.0.0', port: 3000 })).toBe('http://localhost:3000');
    expect(publicBaseUrl({ publicBaseUrl: undefined, host: '10.0.0.5', port: 8080 })).toBe('http://10.0.0.5:8080');
  });

  it('sums up an order per section with its seats grouped by row, and an offer\'s seats the same way', () => {
    const seat = (code: string, seatLabel: string) => ({ code, sectionName: 'Stalls', seatLabel });
    const tickets = [...[3, 4, 5, 6, 7, 8, 9, 10].map((n) => seat(`S${n}`, `H${n}`)), seat('S12', 'H12'), { code: 'F1', sectionName: 'Floor', seatLabel: null }, { code: 'F2', sectionName: 'Floor', seatLabel: null }];
    const confirmed = renderEmail({ type: 'order.confirmed', eventTitle: 'Gig', eventId: 'e-1', payload: { orderId: 'o-1', total: 100, currency: 'EUR', tickets } });
    expect(confirmed.text).toContain('\n\nStalls: Row H, seats 3–10, 12\nFloor: 2 tickets\n\nTicket codes:\n');
    for (const ticket of tickets) expect(confirmed.text).toContain(`  ${ticket.code}  ${ticket.sectionName}`);
    const offer = renderEmail({ type: 'waitlist.offer_made', eventTitle: 'Gig', eventId: 'e-1', payload: { holdId: 'h-1', quantity: 3, total: 100, currency: 'EUR', expiresAt: new Date().toISOString(), seats: ['B2', 'B1', 'B3'] } });
    expect(offer.text).toContain(', Row B, seats 1–3)');
  });

  it('writes emails to the dev inbox, readable by their recipient only', async () => {
    const [buyer, other] = await app.registerBuyers(2);
    const event = await app.createEvent();
    const held = await app.request('POST', '/api/v1/holds', { token: buyer!.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 } });
    const order = (await app.request('POST', `/api/v1/holds/${held.body.id}/checkout`, { token: buyer!.token, body: card })).body;
    await app.server.context.notifications.dispatch();
    const inbox = await app.request('GET', '/api/v1/me/inbox', { token: buyer!.token });
    expect(inbox.body.items).toHaveLength(1);
    expect(inbox.body.items[0]).toMatchObject({ to: buyer!.email, subject: 'Your tickets for Test Event' });
    for (const ticket of order.tickets) expect(inbox.body.items[0].body).toContain(ticket.code);
    expect(inbox.body.items[0].body).toContain(`Your order: ${publicBaseUrl(app.server.context.config)}/tickets?order=${order.id}`);
    expect(inbox.body.items[0].body).toMatch(/\nWhen: .+ \(.+ time\)\nWhere: .+\n/);
    expect((await app.request('GET', '/api/v1/me/inbox', { token: other!.token })).body.items).toEqual([]);
    expect((await app.request('GET', '/api/v1/me/inbox')).status).toBe(401);
  });
});
