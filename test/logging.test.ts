import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../src/server.js';
import { startTestApp, type Buyer, type TestApp } from './support/app.js';

interface LogLine {
  msg: string;
  req?: { url?: string };
}

/** Opens a WebSocket and settles once the server accepted or refused it (either way, the request was logged). */
function knock(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    socket.once('error', reject);
  });
}

/** Issue 8, item 9: credentials sent with a request never reach the log at the default level. */
describe('request logging at the default level', () => {
  const lines: LogLine[] = [];
  const text: string[] = [];
  let app: TestApp;
  let buyer: Buyer;
  beforeAll(async () => {
    const log = createLogger({ logLevel: 'info', env: 'test' }, { write: (line: string) => void (text.push(line), lines.push(JSON.parse(line) as LogLine)) });
    app = await startTestApp('postgres', {}, { log });
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  it('writes no access token, queue token or live ticket, whether sent in a header or in the URL', async () => {
    const event = await app.createEvent({ onsale: { startsAt: new Date(Date.now() - 60_000).toISOString(), queue: { enabled: true, admitPerMinute: 6000 } } });
    const joined = await app.fetch('POST', `/api/v1/events/${event.id}/queue`, { token: buyer.token });
    expect(joined.status).toBe(201);
    const queueToken = joined.body.queueToken as string;
    const ws = app.url.replace('http', 'ws');

    expect((await app.fetch('GET', '/api/v1/me', { token: buyer.token })).status).toBe(200);
    expect((await app.fetch('GET', `/api/v1/events/${event.id}/queue`, { headers: { 'x-queue-token': queueToken } })).status).toBe(200);
    expect(await knock(`${ws}/api/v1/events/${event.id}/live?queueToken=${encodeURIComponent(queueToken)}`)).toBe(101);
    const ticket = (await app.fetch('POST', '/api/v1/me/live/ticket', { token: buyer.token })).body.ticket as string;
    expect(await knock(`${ws}/api/v1/me/live?ticket=${ticket}`)).toBe(101);
    // A client still sending its access token in the URL is logged without it, whatever the answer.
    await knock(`${ws}/api/v1/me/live?accessToken=${encodeURIComponent(buyer.token)}`);
    await knock(`${ws}/api/v1/me/live?AccessToken=${encodeURIComponent(app.adminToken)}&x=1`);

    const urls = lines.filter((line) => line.msg === 'incoming request').map((line) => line.req?.url);
    expect(urls).toEqual(expect.arrayContaining([
      `/api/v1/events/${event.id}/live?queueToken=[REDACTED]`,
      '/api/v1/me/live?ticket=[REDACTED]',
      '/api/v1/me/live?accessToken=[REDACTED]',
      '/api/v1/me/live?AccessToken=[REDACTED]&x=1',
    ]));
    const secrets = { accessToken: buyer.token, adminToken: app.adminToken, queueToken, ticket };
    const log = text.join('');
    expect(Object.entries(secrets).filter(([, secret]) => log.includes(secret) || log.includes(encodeURIComponent(secret))).map(([name]) => name)).toEqual([]);
  });
});
