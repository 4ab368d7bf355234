import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { checkTarget, type Resolver } from './webhook-targets.js';
import { postWebhook } from './webhooks.js';

/** A receiver on a loopback socket that counts what it is sent and answers with `status` (and `location`). */
async function startReceiver(status = 200, location?: string): Promise<{ port: number; url: string; received: number; close(): Promise<void> }> {
  const receiver = { port: 0, url: '', received: 0, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      receiver.received += 1;
      response.writeHead(status, location ? { location } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hooks`;
  return receiver;
}

const card = { payment: { cardNumber: '4242424242424242' } };

/** Buys one ticket of a new event, so every webhook endpoint gets an `order.confirmed` delivery. */
async function sellOne(app: TestApp, buyer: Buyer): Promise<string> {
  const event = await app.createEvent();
  const held = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } });
  expect((await app.request('POST', `/api/v1/holds/${held.body.id}/checkout`, { token: buyer.token, body: card })).status).toBe(201);
  return event.id;
}

/** Dispatches until the endpoint's delivery for the event has been attempted; returns it. */
async function attemptedDelivery(app: TestApp, endpointId: string, eventId: string) {
  const find = async () => (await app.db.query<{ status: string; attempts: number; lastError: string | null }>(
    `select d.status, d.attempts, d.last_error as "lastError" from deliveries d join outbox o on o.id = d.outbox_id
      where d.endpoint_id = $1 and o.event_id = $2`, [endpointId, eventId])).rows[0];
  for (let round = 0; round < 200; round++) {
    await app.server.context.notifications.dispatch();
    const delivery = await find();
    if (delivery && (delivery.status !== 'pending' || delivery.lastError !== null)) return delivery;
    await sleep(25);
  }
  throw new Error('the delivery was never attempted');
}

describe('webhook targets (postgres; private addresses refused by default)', () => {
  let app: TestApp;
  let buyer: Buyer;
  beforeAll(async () => {
    app = await startTestApp('postgres', { OUTBOX_INTERVAL_MS: '60000', DELIVERY_MAX_ATTEMPTS: '1' });
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  const register = (url: string) => app.request('POST', '/api/v1/admin/webhooks', { token: app.adminToken, body: { url } });

  it('refuses loopback, private, link-local, metadata and other non-public addresses at registration, in every spelling', async () => {
    const refused = [
      'http://127.0.0.1/hooks', 'http://example.com@127.0.0.1/', 'http://127.1/', 'http://2130706433/', 'http://0x7f000001/', 'http://127.255.255.254:8080/',
      'http://localhost/', 'http://LOCALHOST./', 'http://api.localhost/', 'http://[::1]/', 'http://[0:0:0:0:0:0:0:1]/',
      'http://0.0.0.0/', 'http://0/', 'http://[::]/', 'http://10.0.0.1/', 'http://10.255.255.255/', 'http://172.16.0.1/',
      'http://172.31.255.255/', 'http://192.168.1.1/', 'https://169.254.169.254/latest/meta-data/', 'http://100.64.0.1/',
      'http://192.0.0.1/', 'http://198.18.0.1/', 'http://224.0.0.1/', 'http://255.255.255.255/', 'http://[fc00::1]/',
      'http://[fd12:3456::1]/', 'http://[fe80::1]/', 'http://[::ffff:127.0.0.1]/', 'http://[::ffff:a9fe:a9fe]/',
      'http://[::ffff:10.0.0.1]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[2002:7f00:1::]/', 'http://[ff02::1]/',
    ];
    const outcomes: Record<string, string> = {};
    for (const url of refused) {
      const reply = await register(url);
      outcomes[url] = `${reply.status} ${reply.body.error?.code}`;
    }
    expect(outcomes).toEqual(Object.fromEntries(refused.map((url) => [url, '400 webhook_address_not_allowed'])));
    const { rowCount } = await app.db.query('select 1 from webhook_endpoints');
    expect(rowCount).toBe(0);
  });

  it('accepts public addresses, including neighbours of the private ranges', async () => {
    const accepted = ['http://93.184.215.14/hooks', 'https://172.32.0.1/', 'https://192.169.0.1/', 'https://11.0.0.1/', 'https://[2606:4700:4700::1111]/'];
    const outcomes: Record<string, number> = {};
    for (const url of accepted) outcomes[url] = (await register(url)).status;
    expect(outcomes).toEqual(Object.fromEntries(accepted.map((url) => [url, 201])));
    await app.db.query('delete from webhook_endpoints');
  });

  it('re-checks the address at delivery: an endpoint at localhost or a loopback address, stored before the check, is never called', async () => {
    const receiver = await startReceiver();
    try {
      // As if registered while `localhost` (or a rebinding name) still pointed at a public address.
      const endpoints = await app.db.query<{ id: string }>(
        `insert into webhook_endpoints (url, secret) values ($1, 'whsec_test-secret-of-some-length'), ($2, 'whsec_test-secret-of-some-length') returning id`,
        [`http://localhost:${receiver.port}/hooks`, receiver.url],
      );
      const eventId = await sellOne(app, buyer);
      const [byName, byAddress] = await Promise.all(endpoints.rows.map(({ id }) => attemptedDelivery(app, id, eventId)));
      expect(receiver.received).toBe(0);
      expect(byName).toMatchObject({ status: 'parked', lastError: expect.stringMatching(/^webhook address not allowed: localhost /) });
      expect(byAddress).toMatchObject({ status: 'parked', lastError: expect.stringMatching(/^webhook address not allowed: 127\.0\.0\.1 /) });
    } finally {
      await app.db.query('delete from deliveries');
      await app.db.query('delete from webhook_endpoints');
      await receiver.close();
    }
  });
});

describe('delivering to a name', () => {
  it('connects only to the address it checked: a name that was public at registration and resolves to loopback at delivery is refused', async () => {
    const receiver = await startReceiver();
    try {
      // A rebinding name: the first answer passes the check at registration, the next points home.
      const answers = ['93.184.215.14', '127.0.0.1'];
      let lookups = 0;
      const resolver: Resolver = (_host, _options, callback) => callback(null, [{ address: answers[Math.min(lookups++, answers.length - 1)]!, family: 4 }]);
      const url = `http://rebinding.example:${receiver.port}/hooks`;
      await expect(checkTarget(url, 1000, resolver)).resolves.toBeUndefined();
      await expect(postWebhook(url, 'whsec_test', crypto.randomUUID(), '{}', { timeoutMs: 2000, allowPrivate: false, resolver }))
        .rejects.toThrow('webhook address not allowed: rebinding.example resolves to 127.0.0.1');
      expect({ lookups, received: receiver.received }).toEqual({ lookups: 2, received: 0 });
    } finally {
      await receiver.close();
    }
  });
});

describe('webhook targets with WEBHOOK_ALLOW_PRIVATE=true', () => {
  let app: TestApp;
  let buyer: Buyer;
  beforeAll(async () => {
    app = await startTestApp('pglite', { OUTBOX_INTERVAL_MS: '60000', DELIVERY_MAX_ATTEMPTS: '1', WEBHOOK_ALLOW_PRIVATE: 'true' });
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  it('delivers to a loopback receiver by name, and does not follow its redirect', async () => {
    const elsewhere = await startReceiver();
    const redirecting = await startReceiver(307, elsewhere.url);
    try {
      const registered = await app.request('POST', '/api/v1/admin/webhooks', { token: app.adminToken, body: { url: `http://localhost:${redirecting.port}/hooks` } });
      expect(registered.status).toBe(201);
      const delivery = await attemptedDelivery(app, registered.body.id, await sellOne(app, buyer));
      expect(delivery).toMatchObject({ status: 'parked', lastError: 'webhook answered 307' });
      expect([redirecting.received, elsewhere.received]).toEqual([1, 0]);
    } finally {
      await redirecting.close();
      await elsewhere.close();
    }
  });
});
