/**
 * What Node refuses before a route runs. Slow clients cannot keep a connection forever: a request
 * must arrive whole within the request timeout, and a connection that never sends one is closed too.
 * Bytes that are not HTTP are answered in the error shape as well. Raw sockets, because an HTTP
 * client library would send neither this slowly nor this badly.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sleep, startTestApp, type TestApp } from '../../test/support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp('postgres', { HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_CONNECTION_TIMEOUT_MS: '2000' });
});
afterAll(() => app?.close());

interface Closed {
  closed: boolean;
  received: string;
}

/**
 * Opens a socket to the app, lets `drive` write to it, and resolves once the server closes it (or,
 * so that a server that never closes fails the test rather than hanging it, after `boundMs`).
 */
function openSocket(drive: (socket: Socket) => () => void, boundMs = 20_000): Promise<Closed> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let stop = () => undefined as void;
    socket.on('connect', () => (stop = drive(socket)));
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    const bound = setTimeout(() => {
      stop();
      socket.destroy();
      resolve({ closed: false, received });
    }, boundMs);
    socket.on('close', () => {
      clearTimeout(bound);
      stop();
      resolve({ closed: true, received });
    });
  });
}

describe('slow clients', () => {
  it('answers 408 request_timeout and closes a connection whose body trickles in past the request timeout', async () => {
    const result = await openSocket((socket) => {
      socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: onsale.test\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{');
      // A byte now and then keeps the connection busy, so only the request timeout can end it.
      const trickle = setInterval(() => socket.writable && socket.write(' '), 250);
      return () => clearInterval(trickle);
    });
    expect(result.closed).toBe(true);
    expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
    const body = JSON.parse(result.received.slice(result.received.indexOf('\r\n\r\n') + 4));
    expect(body).toEqual({ error: { code: 'request_timeout', message: expect.any(String), details: {} } });
  });

  it('closes a connection on which nothing is sent', async () => {
    const result = await openSocket(() => () => undefined);
    expect(result.closed).toBe(true);
    // Node times a connection that never started a request out like a late one.
    expect(result.received).toMatch(/^(HTTP\/1\.1 408 [^]*)?$/);
  });

  it('keeps an open WebSocket past both timeouts: they bound requests, not upgraded connections', async () => {
    const buyer = await app.registerBuyer();
    const socket = new WebSocket(`${app.url.replace('http', 'ws')}/api/v1/me/live`, { headers: { authorization: `Bearer ${buyer.token}` } });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    let closed = false;
    socket.on('close', () => (closed = true));
    // Nothing to await here: the point is that time passes, silent, beyond both timeouts.
    await sleep(4_000);
    expect(closed).toBe(false);
    const pong = new Promise((resolve) => socket.once('pong', resolve));
    socket.ping();
    await pong;
    socket.close();
  });

  it('still serves requests sent at a normal pace', async () => {
    expect((await app.fetch('GET', '/healthz')).body).toEqual({ status: 'ok' });
  });
});

describe('malformed HTTP', () => {
  const answerTo = (bytes: string) => openSocket((socket) => {
    socket.write(bytes);
    return () => undefined;
  });
  const errorOf = (received: string) => JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)).error;

  it('answers bytes that are not HTTP with 400 bad_request in the error shape', async () => {
    const result = await answerTo('NOT HTTP AT ALL\r\n\r\n');
    expect(result.received).toMatch(/^HTTP\/1\.1 400 /);
    expect(errorOf(result.received)).toEqual({ code: 'bad_request', message: expect.any(String), details: {} });
  });

  it('answers headers larger than the server takes with 431 headers_too_large in the error shape', async () => {
    const result = await answerTo(`GET /healthz HTTP/1.1\r\nHost: onsale.test\r\nX-Padding: ${'x'.repeat(20_000)}\r\n\r\n`);
    expect(result.received).toMatch(/^HTTP\/1\.1 431 /);
    expect(errorOf(result.received)).toEqual({ code: 'headers_too_large', message: expect.any(String), details: {} });
  });
});
