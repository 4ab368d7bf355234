import type { Static, TSchema } from '@sinclair/typebox';
import type { RouteKey, Routes } from '../../../src/contract.js';
import { humanMessage } from '../app/errors';
import type { ErrorBody, ErrorCode, Session, Wire } from './types';

/** An API failure: branch on `code` (the server's error catalogue), show `message`. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: ErrorCode, message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

const sessionKey = 'onsale.session';
type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

function readSession(): Session | null {
  try {
    return JSON.parse(localStorage.getItem(sessionKey) ?? 'null') as Session | null;
  } catch {
    return null;
  }
}

let session = readSession();

export const currentSession = () => session;

export function setSession(next: Session | null): void {
  session = next;
  if (next) localStorage.setItem(sessionKey, JSON.stringify(next));
  else localStorage.removeItem(sessionKey);
  for (const listener of listeners) listener(next);
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Another tab logging in or out changes this one too.
window.addEventListener('storage', (e) => {
  if (e.key === sessionKey) {
    session = readSession();
    for (const listener of listeners) listener(session);
  }
});

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
}

async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  // A caller's own credentials (a check-in device's token) win over the session's.
  if (session && !headers.authorization) headers.authorization = `Bearer ${session.accessToken}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`/api/v1${path}`, { method, headers, body: options.body === undefined ? null : JSON.stringify(options.body), signal: options.signal ?? null });
}

let refreshing: Promise<boolean> | undefined;

/** Trades the refresh token for a new pair, once however many requests found the access token stale. */
function refreshSession(): Promise<boolean> {
  const refreshToken = session?.refreshToken;
  if (!refreshToken) return Promise.resolve(false);
  refreshing ??= fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) })
    .then(async (response) => {
      if (!response.ok) {
        setSession(null);
        return false;
      }
      setSession((await response.json()) as Session);
      return true;
    }, () => false)
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

async function request(method: string, path: string, options: RequestOptions): Promise<unknown> {
  let response = await send(method, path, options);
  if (response.status === 401 && session && (await refreshSession())) response = await send(method, path, options);
  // 204: the contract's `Type.Null()`.
  if (response.status === 204) return null;
  const body = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) {
    const error = (body as Partial<ErrorBody> | null)?.error;
    // The server's message is for API clients (it may name headers or timestamps): people read ours.
    const code = error?.code ?? (response.status >= 500 ? 'unavailable' : 'bad_request');
    throw new ApiError(response.status, code, humanMessage(code, error?.details ?? {}), error?.details ?? {});
  }
  return body;
}

/** What a route of the server's contract (src/contract.ts) takes and answers. */
type Schema<K extends RouteKey, Part extends string> = Routes[K] extends { [P in Part]: infer S extends TSchema } ? S : never;
type Part<K extends RouteKey, Name extends 'params' | 'query' | 'body'> =
  [Schema<K, Name>] extends [never] ? { [P in Name]?: never } : { [P in Name]: Static<Schema<K, Name>> };
export type Input<K extends RouteKey> = Part<K, 'params'> & Part<K, 'query'> & Part<K, 'body'> & {
  headers?: Record<string, string>;
  /** Aborting it abandons the request (useLoad aborts a screen's stale loads). */
  signal?: AbortSignal;
};
export type Output<K extends RouteKey> = Wire<Routes[K]['response']>;

/** `GET /events/:id` with `{ id }` -> `/events/<id>`. */
function pathOf(route: RouteKey, params: Record<string, string> = {}): string {
  const path = route.slice(route.indexOf(' ') + 1);
  return path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

const queryString = (params: Record<string, string | number | undefined> = {}) => {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
};

/** Calls one route of the contract: the key names the URL, and the types follow from it. */
export function call<K extends RouteKey>(route: K, input: Input<K>): Promise<Output<K>> {
  const method = route.slice(0, route.indexOf(' '));
  const path = pathOf(route, input.params as Record<string, string> | undefined) + queryString(input.query as Record<string, string | number | undefined> | undefined);
  return request(method, path, { body: input.body, headers: input.headers, signal: input.signal }) as Promise<Output<K>>;
}

const queueHeader = (queueToken: string | undefined): Record<string, string> => (queueToken ? { 'x-queue-token': queueToken } : {});
type Body<K extends RouteKey> = Input<K>['body'];

export const api = {
  auth: {
    register: (body: Body<'POST /auth/register'>) => call('POST /auth/register', { body }),
    login: (body: Body<'POST /auth/login'>) => call('POST /auth/login', { body }),
    me: (signal?: AbortSignal) => call('GET /me', { signal }),
    rename: (name: string) => call('PATCH /me', { body: { name } }),
    /** Changes the password; the server ends every other session and hands this one a new pair. */
    async changePassword(body: Body<'POST /me/password'>): Promise<void> {
      setSession(await call('POST /me/password', { body }));
    },
    /** Ends every session of the account, this one included. */
    async logoutEverywhere(): Promise<void> {
      await call('POST /me/logout-everywhere', {});
      setSession(null);
    },
    /** Asks for a reset link by email; the server answers alike whether or not the account exists. */
    requestPasswordReset: (email: string) => call('POST /auth/password-reset', { body: { email } }),
    /** Sets the password with the emailed link's token; the server ends every session and opens this one. */
    confirmPasswordReset: (body: Body<'POST /auth/password-reset/confirm'>) => call('POST /auth/password-reset/confirm', { body }),
    refresh: refreshSession,
    /** Forgets the session here and revokes its refresh token on the server (best effort: offline still logs out). */
    async logout(): Promise<void> {
      const refreshToken = session?.refreshToken;
      setSession(null);
      if (refreshToken) await call('POST /auth/logout', { body: { refreshToken } }).catch(() => undefined);
    },
  },
  venues: {
    /** Venues by name; with `organizationId`, only that organization's (those its events may use). */
    list: (organizationId: string | undefined, signal?: AbortSignal) => call('GET /venues', { query: organizationId ? { organizationId } : {}, signal }),
    create: (body: Body<'POST /venues'>) => call('POST /venues', { body }),
    get: (id: string, signal?: AbortSignal) => call('GET /venues/:id', { params: { id }, signal }),
    update: (id: string, body: Body<'PATCH /venues/:id'>) => call('PATCH /venues/:id', { params: { id }, body }),
  },
  events: {
    list: (query: Input<'GET /events'>['query'], signal?: AbortSignal) => call('GET /events', { query, signal }),
    get: (id: string, signal?: AbortSignal) => call('GET /events/:id', { params: { id }, signal }),
    seats: (id: string, signal?: AbortSignal) => call('GET /events/:id/seats', { params: { id }, signal }),
    create: (body: Body<'POST /events'>) => call('POST /events', { body }),
    update: (id: string, body: Body<'PATCH /events/:id'>) => call('PATCH /events/:id', { params: { id }, body }),
    stats: (id: string, signal?: AbortSignal) => call('GET /events/:id/stats', { params: { id }, signal }),
    sales: (id: string, signal?: AbortSignal) => call('GET /events/:id/sales', { params: { id }, signal }),
    changeCapacity: (id: string, sectionId: string, capacity: number) => call('PATCH /events/:id/sections/:sectionId', { params: { id, sectionId }, body: { capacity } }),
    editTicketTypes: (id: string, sectionId: string, ticketTypes: Body<'PATCH /events/:id/sections/:sectionId'>['ticketTypes']) =>
      call('PATCH /events/:id/sections/:sectionId', { params: { id, sectionId }, body: { ticketTypes } }),
    waitlistSummary: (id: string, signal?: AbortSignal) => call('GET /events/:id/waitlist/summary', { params: { id }, signal }),
  },
  search: {
    suggest: (q: string, signal?: AbortSignal) => call('GET /search/suggest', { query: { q }, signal }),
  },
  organizer: {
    events: (query: Input<'GET /organizer/events'>['query'], signal?: AbortSignal) => call('GET /organizer/events', { query, signal }),
    /** The order desk of one event. */
    orders: (eventId: string, query: Input<'GET /events/:id/orders'>['query'], signal?: AbortSignal) => call('GET /events/:id/orders', { params: { id: eventId }, query, signal }),
    comp: (eventId: string, body: Body<'POST /events/:id/orders'>) => call('POST /events/:id/orders', { params: { id: eventId }, body }),
    /** The CSV export as a file (it needs the Authorization header, so it is fetched, not linked). */
    async ordersCsv(eventId: string): Promise<Blob> {
      let response = await send('GET', `/events/${eventId}/orders.csv`, {});
      if (response.status === 401 && session && (await refreshSession())) response = await send('GET', `/events/${eventId}/orders.csv`, {});
      if (!response.ok) {
        const code = response.status === 403 ? 'forbidden' : response.status === 404 ? 'not_found' : 'unavailable';
        throw new ApiError(response.status, code, humanMessage(code, {}));
      }
      return response.blob();
    },
  },
  /** An event's presale, unlock and discount codes (owner, manager). */
  codes: {
    list: (eventId: string, signal?: AbortSignal) => call('GET /events/:id/codes', { params: { id: eventId }, query: {}, signal }),
    create: (eventId: string, body: Body<'POST /events/:id/codes'>) => call('POST /events/:id/codes', { params: { id: eventId }, body }),
    /** What a code does for the buyer (its kind, the code-only types it unlocks); counted as a guess like a hold with a code. */
    check: (eventId: string, code: string) => call('POST /events/:id/codes/check', { params: { id: eventId }, body: { code } }),
    setDisabled: (eventId: string, codeId: string, disabled: boolean) => call('PATCH /events/:id/codes/:codeId', { params: { id: eventId, codeId }, body: { disabled } }),
    /** Resizes a standing reserve (units held from it included). */
    setReserve: (eventId: string, codeId: string, reserve: number) => call('PATCH /events/:id/codes/:codeId', { params: { id: eventId, codeId }, body: { reserve } }),
    /** The codes as CSV (all, or one generated batch), fetched with the Authorization header. */
    async csv(eventId: string, batchId?: string): Promise<Blob> {
      const path = `/events/${eventId}/codes.csv${batchId ? `?batchId=${batchId}` : ''}`;
      let response = await send('GET', path, {});
      if (response.status === 401 && session && (await refreshSession())) response = await send('GET', path, {});
      if (!response.ok) {
        const code = response.status === 403 ? 'forbidden' : response.status === 404 ? 'not_found' : 'unavailable';
        throw new ApiError(response.status, code, humanMessage(code, {}));
      }
      return response.blob();
    },
  },
  organizations: {
    mine: (signal?: AbortSignal) => call('GET /organizations', { signal }),
    members: (id: string, signal?: AbortSignal) => call('GET /organizations/:id/members', { params: { id }, signal }),
    addMember: (id: string, body: Body<'POST /organizations/:id/members'>) => call('POST /organizations/:id/members', { params: { id }, body }),
    setRole: (id: string, userId: string, body: Body<'PATCH /organizations/:id/members/:userId'>) => call('PATCH /organizations/:id/members/:userId', { params: { id, userId }, body }),
    removeMember: (id: string, userId: string) => call('DELETE /organizations/:id/members/:userId', { params: { id, userId } }),
    revokeInvitation: (id: string, invitationId: string) => call('DELETE /organizations/:id/invitations/:invitationId', { params: { id, invitationId } }),
    keys: (id: string, signal?: AbortSignal) => call('GET /organizations/:id/api-keys', { params: { id }, signal }),
    createKey: (id: string, body: Body<'POST /organizations/:id/api-keys'>) => call('POST /organizations/:id/api-keys', { params: { id }, body }),
    revokeKey: (id: string, keyId: string) => call('DELETE /organizations/:id/api-keys/:keyId', { params: { id, keyId } }),
    accept: (body: Body<'POST /invitations/accept'>) => call('POST /invitations/accept', { body }),
  },
  holds: {
    create: (body: Body<'POST /holds'>, queueToken?: string) =>
      call('POST /holds', { body, headers: { 'idempotency-key': crypto.randomUUID(), ...queueHeader(queueToken) } }),
    get: (id: string, signal?: AbortSignal) => call('GET /holds/:id', { params: { id }, signal }),
    release: (id: string) => call('DELETE /holds/:id', { params: { id } }),
    /** The buyer's live holds (offers included), of one event or all. */
    mine: (eventId: string | undefined, signal?: AbortSignal) => call('GET /me/holds', { query: eventId ? { eventId } : {}, signal }),
    checkout: (id: string, cardNumber: string) => call('POST /holds/:id/checkout', { params: { id }, body: { payment: { cardNumber } } }),
  },
  orders: {
    list: (signal?: AbortSignal) => call('GET /orders', { signal }),
    cancel: (id: string, ticketIds?: string[]) => call('POST /orders/:id/cancel', { params: { id }, body: ticketIds ? { ticketIds } : {} }),
    get: (id: string) => call('GET /orders/:id', { params: { id } }),
  },
  queue: {
    join: (eventId: string) => call('POST /events/:id/queue', { params: { id: eventId } }),
    status: (eventId: string, queueToken: string) => call('GET /events/:id/queue', { params: { id: eventId }, headers: queueHeader(queueToken) }),
    leave: (eventId: string, queueToken: string) => call('DELETE /events/:id/queue', { params: { id: eventId }, headers: queueHeader(queueToken) }),
  },
  waitlist: {
    join: (eventId: string, body: Body<'POST /events/:id/waitlist'>) => call('POST /events/:id/waitlist', { params: { id: eventId }, body }),
    get: (eventId: string, signal?: AbortSignal) => call('GET /events/:id/waitlist', { params: { id: eventId }, signal }),
    leave: (eventId: string) => call('DELETE /events/:id/waitlist', { params: { id: eventId } }),
    decline: (holdId: string) => call('POST /waitlist/offers/:id/decline', { params: { id: holdId } }),
  },
};
