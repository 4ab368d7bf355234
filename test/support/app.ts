import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { openPglite, type Database } from '../../src/db/database.js';
import type { TestPaymentProvider } from '../../src/features/checkout/payments.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { openTestPostgres } from './postgres.js';

export type Backend = 'postgres' | 'pglite';
export const backends: Backend[] = ['postgres', 'pglite'];

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface RequestOptions {
  token?: string | undefined;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Buyer {
  userId: string;
  email: string;
  token: string;
  refreshToken: string;
}

export interface TestApp {
  backend: Backend;
  server: RunningServer;
  db: Database;
  url: string;
  payments: TestPaymentProvider;
  adminToken: string;
  /** In-process request (no socket). */
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<Reply<T>>;
  /** A request over a real loopback socket, for races. */
  fetch<T = any>(method: string, path: string, options?: RequestOptions): Promise<Reply<T>>;
  registerBuyer(): Promise<Buyer>;
  registerBuyers(count: number): Promise<Buyer[]>;
  /** Creates a published event on sale (overrides merge into the POST /events body). */
  createEvent(overrides?: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

let counter = 0;
const uniqueEmail = () => `buyer-${process.pid}-${Date.now()}-${counter++}@example.test`;

export async function startTestApp(backend: Backend, env: Record<string, string> = {}, options: { log?: FastifyBaseLogger } = {}): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    ARGON2_MEMORY_KIB: '1024',
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_MS: '200',
    ADMIN_EMAIL: 'admin@example.test',
    ADMIN_PASSWORD: 'admin-password',
    // Tests register hundreds of buyers from one address; the limits have tests of their own.
    AUTH_IP_LIMIT_PER_MINUTE: '1000000',
    ...env,
  });
  const database = backend === 'postgres' ? await openTestPostgres(undefined, config.pgSession) : await pgliteDatabase();
  const server = await startServer(config, { db: database.db, ...(options.log ? { log: options.log } : {}) });

  const request = async (method: string, path: string, options: RequestOptions = {}): Promise<Reply> => {
    const response = await server.app.inject({
      method: method as 'GET',
      url: path,
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
      ...(options.body === undefined ? {} : { payload: options.body as object }),
    });
    return { status: response.statusCode, body: response.body ? safeJson(response.body) : undefined, headers: response.headers as Reply['headers'] };
  };

  const fetchOverSocket = async (method: string, path: string, options: RequestOptions = {}): Promise<Reply> => {
    const response = await fetch(server.url + path, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? safeJson(text) : undefined, headers: Object.fromEntries(response.headers) };
  };

  const login = await request('POST', '/api/v1/auth/login', { body: { email: 'admin@example.test', password: 'admin-password' } });
  const adminToken = login.body.accessToken as string;

  const registerBuyer = async (): Promise<Buyer> => {
    const email = uniqueEmail();
    const reply = await request('POST', '/api/v1/auth/register', { body: { email, password: 'correct horse', name: 'Test Buyer' } });
    if (reply.status !== 201) throw new Error(`register failed: ${JSON.stringify(reply.body)}`);
    return { userId: reply.body.user.id, email, token: reply.body.accessToken, refreshToken: reply.body.refreshToken };
  };

  let venueId: string | undefined;
  const createEvent = async (overrides: Record<string, unknown> = {}) => {
    venueId ??= (await request('POST', '/api/v1/venues', { token: adminToken, body: { name: 'Test Hall', city: 'Porto' } })).body.id;
    const reply = await request('POST', '/api/v1/events', {
      token: adminToken,
      body: {
        title: 'Test Event',
        venueId,
        startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        currency: 'EUR',
        status: 'published',
        sections: [{ name: 'Floor', price: 5000, capacity: 100 }],
        ...overrides,
      },
    });
    if (reply.status !== 201) throw new Error(`create event failed: ${JSON.stringify(reply.body)}`);
    return reply.body;
  };

  return {
    backend,
    server,
    db: database.db,
    url: server.url,
    payments: server.context.payments as TestPaymentProvider,
    adminToken,
    request,
    fetch: fetchOverSocket,
    registerBuyer,
    registerBuyers: (count) => Promise.all(Array.from({ length: count }, registerBuyer)),
    createEvent,
    async close() {
      await server.close();
      await database.drop();
    },
  };
}

async function pgliteDatabase() {
  const db = await openPglite();
  return { db, drop: () => db.close() };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Every seat id of a reserved event, in row/number order. */
export async function seatIds(app: TestApp, eventId: string): Promise<string[]> {
  return (await app.request('GET', `/api/v1/events/${eventId}/seats`)).body.map((s: { id: string }) => s.id);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
