/** Setting up a sale on an Onsale deployment: the admin's token, the event, and the crowd's accounts. */
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { createPasswordHasher } from '../../src/features/auth/passwords.js';
import { createAccessTokens } from '../../src/features/auth/tokens.js';
import { seedBuyers, type SeededBuyer } from '../../src/seed/buyers.js';
import type { Sale } from './buyer.js';
import type { SimulationOptions } from './options.js';

export const seatsPerRow = 20;

async function api(url: string, method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const response = await fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export async function adminToken(url: string, email: string, password: string): Promise<string> {
  return (await api(url, 'POST', '/api/v1/auth/login', { email, password })).accessToken;
}

const rowLabel = (i: number) => (i < 26 ? String.fromCharCode(65 + i) : `R${i + 1}`);

/**
 * A published event with a GA section (`--ga`) and a reserved section (`--seats`, rows of 20). The
 * pre-queue opens a second before the clock starts; the sale opens `openMs` after it.
 */
export async function createSale(url: string, token: string, options: SimulationOptions, t0: number, openAt: number): Promise<Sale> {
  const venue = await api(url, 'POST', '/api/v1/venues', { name: 'Simulation Arena', city: 'Lisbon' }, token);
  const sections = [
    ...(options.ga > 0 ? [{ name: 'Floor', price: 4500, capacity: options.ga }] : []),
    ...(options.seats > 0 ? [{ name: 'Stalls', price: 6500, rows: Array.from({ length: options.seats / seatsPerRow }, (_, i) => ({ label: rowLabel(i), seats: seatsPerRow })) }] : []),
  ];
  const queue = options.queue
    ? {
      enabled: true,
      ...(options.preQueueSeconds > 0 ? { preQueueOpensAt: new Date(t0 - 1000).toISOString() } : {}),
      admitPerMinute: options.admitPerMinute,
      maxActiveShoppers: options.maxActive,
      stockAware: options.stockAware,
      shoppingWindowSeconds: options.shoppingWindowSeconds,
      arrivalGraceSeconds: options.arrivalGraceSeconds,
    }
    : undefined;
  const event = await api(url, 'POST', '/api/v1/events', {
    title: `Flash sale simulation ${new Date(t0).toISOString()}`,
    venueId: venue.id,
    startsAt: new Date(t0 + 30 * 86_400_000).toISOString(),
    currency: 'EUR',
    status: 'published',
    maxTicketsPerOrder: 4,
    maxTicketsPerUser: options.maxTicketsPerUser,
    // Each buyer holds once (a named-seat retry follows a refusal, not a hold), so one open hold is enough.
    maxHoldsPerUser: 1,
    holdTtlSeconds: options.holdTtlSeconds,
    offerTtlSeconds: options.holdTtlSeconds,
    sections,
    onsale: { startsAt: new Date(openAt).toISOString(), ...(queue ? { queue } : {}) },
  }, token);
  const idOf = (name: string) => event.sections.find((s: { name: string }) => s.name === name)?.id ?? null;
  return { eventId: event.id, gaSectionId: idOf('Floor'), seatedSectionId: idOf('Stalls'), queue: options.queue, waitlist: options.waitlist };
}

/**
 * The crowd's accounts, through the documented seed path (`onsale seed-buyers`, src/seed/buyers.ts): one
 * bulk insert per 5,000 accounts sharing one argon2 hash, and access tokens signed with the deployment's
 * JWT secret, so no password is hashed or checked per buyer. `env` is the deployment's (JWT_SECRET,
 * ACCESS_TOKEN_TTL_SECONDS, ARGON2_MEMORY_KIB), as `onsale seed-buyers` would read it.
 */
export async function seedCrowd(db: Database, env: NodeJS.ProcessEnv, count: number): Promise<SeededBuyer[]> {
  const config = loadConfig(env);
  return seedBuyers(db, {
    passwords: createPasswordHasher(config.argon2MemoryKib),
    accessTokens: createAccessTokens(config.jwtSecret, config.accessTokenTtlSeconds),
  }, { count, emailPrefix: `sim-${Date.now()}` });
}
