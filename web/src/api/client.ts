import type { ErrorBody, ErrorCode, EventChanges, EventDetail, EventQuery, EventStats, EventSummary, Hold, NewEvent, Order, QueueStatus, QueueTicket, Sales, Seat, Session, User, Venue, WaitlistEntry } from './types';

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
  headers?: Record<string, string>;
}

async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (session) headers.authorization = `Bearer ${session.accessToken}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`/api/v1${path}`, { method, headers, body: options.body === undefined ? null : JSON.stringify(options.body) });
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

async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  let response = await send(method, path, options);
  if (response.status === 401 && session && (await refreshSession())) response = await send(method, path, options);
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) {
    const error = (body as Partial<ErrorBody> | null)?.error;
    throw new ApiError(response.status, error?.code ?? 'network_error', error?.message ?? `The server answered ${response.status}.`, error?.details ?? {});
  }
  return body as T;
}

const query = (params: Record<string, string | number | undefined>) => {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
};

const queueHeader = (queueToken: string | undefined): Record<string, string> => (queueToken ? { 'x-queue-token': queueToken } : {});

export const api = {
  auth: {
    register: (body: { email: string; password: string; name: string }) => request<Session>('POST', '/auth/register', { body }),
    login: (body: { email: string; password: string }) => request<Session>('POST', '/auth/login', { body }),
    me: () => request<User>('GET', '/me'),
    refresh: refreshSession,
    /** Forgets the session here and revokes its refresh token on the server (best effort: offline still logs out). */
    async logout(): Promise<void> {
      const refreshToken = session?.refreshToken;
      setSession(null);
      if (refreshToken) await request<void>('POST', '/auth/logout', { body: { refreshToken } }).catch(() => undefined);
    },
  },
  venues: {
    list: () => request<{ items: Venue[] }>('GET', '/venues'),
    create: (body: { name: string; city: string; address?: string }) => request<Venue>('POST', '/venues', { body }),
  },
  events: {
    list: (params: EventQuery) => request<{ items: EventSummary[]; nextCursor: string | null }>('GET', `/events${query(params)}`),
    get: (id: string) => request<EventDetail>('GET', `/events/${id}`),
    seats: (id: string) => request<Seat[]>('GET', `/events/${id}/seats`),
    create: (body: NewEvent) => request<EventDetail>('POST', '/events', { body }),
    update: (id: string, body: EventChanges) => request<EventDetail>('PATCH', `/events/${id}`, { body }),
    stats: (id: string) => request<EventStats>('GET', `/events/${id}/stats`),
    sales: (id: string) => request<Sales>('GET', `/events/${id}/sales`),
  },
  holds: {
    create: (body: { eventId: string } & ({ sectionId: string; quantity: number } | { seatIds: string[] }), queueToken?: string) =>
      request<Hold>('POST', '/holds', { body, headers: { 'idempotency-key': crypto.randomUUID(), ...queueHeader(queueToken) } }),
    get: (id: string) => request<Hold>('GET', `/holds/${id}`),
    release: (id: string) => request<void>('DELETE', `/holds/${id}`),
    checkout: (id: string, cardNumber: string) => request<Order>('POST', `/holds/${id}/checkout`, { body: { payment: { cardNumber } } }),
  },
  orders: {
    list: () => request<{ items: Order[] }>('GET', '/orders'),
    cancel: (id: string) => request<Order>('POST', `/orders/${id}/cancel`),
  },
  queue: {
    join: (eventId: string) => request<QueueTicket>('POST', `/events/${eventId}/queue`),
    status: (eventId: string, queueToken: string) => request<QueueStatus>('GET', `/events/${eventId}/queue`, { headers: queueHeader(queueToken) }),
    leave: (eventId: string, queueToken: string) => request<void>('DELETE', `/events/${eventId}/queue`, { headers: queueHeader(queueToken) }),
  },
  waitlist: {
    join: (eventId: string, body: { sectionId?: string; quantity: number }) => request<WaitlistEntry>('POST', `/events/${eventId}/waitlist`, { body }),
    get: (eventId: string) => request<WaitlistEntry>('GET', `/events/${eventId}/waitlist`),
    leave: (eventId: string) => request<void>('DELETE', `/events/${eventId}/waitlist`),
    decline: (holdId: string) => request<void>('POST', `/waitlist/offers/${holdId}/decline`),
  },
};
