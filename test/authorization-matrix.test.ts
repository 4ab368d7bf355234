/**
 * The authorization matrix (issue 14): every organizer route, called by every kind of caller, answers
 * the status the one table below says. Each row names the route, what it answers when allowed, and the
 * roles of the resource's organization that may call it (issue 14's role table). From the row:
 *   - anonymous: 401;
 *   - the platform admin: allowed;
 *   - a member of organization A (or A's API key) with an allowed role: allowed; with another role: 403;
 *   - a buyer (in no organization) and the owner of organization B: 404 for A's resources, so
 *     they do not even learn that they exist (a row may say otherwise, e.g. routes with no resource);
 *   - `platform` rows are for the platform admin alone: 403 for everyone else who is logged in.
 * A request that needs a fresh resource (a device to revoke, an order to cancel) makes it first, as A's owner.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgRoles, type OrgRole } from '../src/features/auth/access.js';
import { startTestApp, type Buyer, type TestApp } from './support/app.js';
import { createTeam, createTeamEvent, type Team } from './support/orgs.js';

type CallerName = 'anonymous' | 'buyer' | OrgRole | 'ownerOfB' | `key:${OrgRole}` | 'platformAdmin';
const callerNames: CallerName[] = ['anonymous', 'buyer', ...orgRoles, 'ownerOfB', ...orgRoles.map((r) => `key:${r}` as const), 'platformAdmin'];

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

interface Row {
  route: string;
  /** The request, made fresh for each caller. */
  call: () => Promise<Call>;
  ok: number;
  /** Roles of A that may; 'platform' = the platform admin only. */
  roles: readonly OrgRole[] | 'platform';
  /** Where the derived answer is not the rule's (buyers and B's owner on routes without a resource of A). */
  except?: Partial<Record<CallerName, number>>;
}

let app: TestApp;
let a: Team;
let b: Team;
let buyer: Buyer;
let shopper: Buyer;
let event: any;
let draft: any;
const goodCard = { payment: { cardNumber: '4242424242424242' } };
const all = orgRoles;
const anyTeam = orgRoles;

const owner = () => a.members.owner.token;
async function must<T = any>(promise: Promise<{ status: number; body: T }>, status: number): Promise<T> {
  const reply = await promise;
  if (reply.status !== status) throw new Error(`setup: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}
/** An order of A's event, bought by a buyer who is none of the callers. */
async function freshOrder(quantity = 1): Promise<any> {
  const hold = await must(app.request('POST', '/api/v1/holds', { token: shopper.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity } }), 201);
  return must(app.request('POST', `/api/v1/holds/${hold.id}/checkout`, { token: shopper.token, body: goodCard }), 201);
}
let spareCodes: string[] = [];
const freshCode = () => spareCodes.pop()!;
const freshDevice = () => must(app.request('POST', `/api/v1/events/${event.id}/checkin/devices`, { token: owner(), body: { name: 'Spare' } }), 201);
const freshCheckin = async () => (await must(app.request('POST', `/api/v1/events/${event.id}/checkins`, { token: owner(), body: { code: freshCode() } }), 201)).checkin.id as string;
const freshMember = async () => {
  const account = await app.registerBuyer();
  await must(app.request('POST', `/api/v1/organizations/${a.organizationId}/members`, { token: owner(), body: { email: account.email, role: 'door' } }), 201);
  return account.userId;
};
const freshInvitation = async () => (await must(app.request('POST', `/api/v1/organizations/${a.organizationId}/members`, { token: owner(), body: { email: `invited-${randomUUID()}@example.test`, role: 'door' } }), 202)).id as string;
const freshKey = async () => (await must(app.request('POST', `/api/v1/organizations/${a.organizationId}/api-keys`, { token: owner(), body: { name: 'Spare', role: 'door' } }), 201)).id as string;
const freshEventCode = async () => (await must(app.request('POST', `/api/v1/events/${event.id}/codes`, { token: owner(), body: { code: `SPARE-${randomUUID()}`, kind: 'unlock' } }), 201)).items[0].id as string;
let raisedCapacity = 100;
const at = (method: string, path: string, body?: unknown) => async (): Promise<Call> => ({ method, path, body });

const table: Row[] = [
  // Venues and events: owner and manager.
  { route: 'POST /venues', call: async () => ({ method: 'POST', path: '/api/v1/venues', body: { organizationId: a.organizationId, name: 'Hall', city: 'Porto' } }), ok: 201, roles: ['owner', 'manager'] },
  {
    route: 'POST /events',
    call: async () => ({ method: 'POST', path: '/api/v1/events', body: { organizationId: a.organizationId, title: 'New', venueId: a.venueId, startsAt: new Date(Date.now() + 86_400_000).toISOString(), currency: 'EUR', sections: [{ name: 'A', price: 100, capacity: 10 }] } }),
    ok: 201, roles: ['owner', 'manager'],
  },
  { route: 'PATCH /venues/:id', call: async () => ({ method: 'PATCH', path: `/api/v1/venues/${a.venueId}`, body: { address: 'Rua 1' } }), ok: 200, roles: ['owner', 'manager'] },
  { route: 'PATCH /events/:id', call: async () => ({ method: 'PATCH', path: `/api/v1/events/${draft.id}`, body: { title: 'Renamed' } }), ok: 200, roles: ['owner', 'manager'] },
  { route: 'PATCH /events/:id/sections/:sectionId', call: async () => ({ method: 'PATCH', path: `/api/v1/events/${draft.id}/sections/${draft.sections[0].id}`, body: { capacity: (raisedCapacity += 1) } }), ok: 200, roles: ['owner', 'manager'] },
  // Codes of an event: owner and manager.
  { route: 'POST /events/:id/codes', call: async () => ({ method: 'POST', path: `/api/v1/events/${event.id}/codes`, body: { code: `MATRIX-${randomUUID()}`, kind: 'unlock' } }), ok: 201, roles: ['owner', 'manager'] },
  { route: 'GET /events/:id/codes', call: at('GET', '/api/v1/events/:event/codes'), ok: 200, roles: ['owner', 'manager'] },
  { route: 'GET /events/:id/codes.csv', call: at('GET', '/api/v1/events/:event/codes.csv'), ok: 200, roles: ['owner', 'manager'] },
  { route: 'PATCH /events/:id/codes/:codeId', call: async () => ({ method: 'PATCH', path: `/api/v1/events/${event.id}/codes/${await freshEventCode()}`, body: { disabled: true } }), ok: 200, roles: ['owner', 'manager'] },
  // A draft shows to the organization's team only; to anyone else it does not exist.
  { route: 'GET /events/:id (draft)', call: at('GET', '/api/v1/events/:draft'), ok: 200, roles: anyTeam, except: { anonymous: 404 } },
  { route: 'GET /organizer/events?organizationId', call: at('GET', '/api/v1/organizer/events?organizationId=:org'), ok: 200, roles: all },
  { route: 'GET /organizer/events', call: at('GET', '/api/v1/organizer/events'), ok: 200, roles: all, except: { buyer: 403, ownerOfB: 200 } },
  // The dashboard's figures and revenue: owner, manager, finance.
  { route: 'GET /events/:id/stats', call: at('GET', '/api/v1/events/:event/stats'), ok: 200, roles: ['owner', 'manager', 'finance'] },
  { route: 'GET /events/:id/waitlist/summary', call: at('GET', '/api/v1/events/:event/waitlist/summary'), ok: 200, roles: ['owner', 'manager'] },
  { route: 'GET /events/:id/sales', call: at('GET', '/api/v1/events/:event/sales'), ok: 200, roles: ['owner', 'manager', 'finance'] },
  // Check-in devices: owner, manager, door. Checking in: owner, manager, box office, door.
  { route: 'POST /events/:id/checkin/devices', call: at('POST', '/api/v1/events/:event/checkin/devices', { name: 'Gate' }), ok: 201, roles: ['owner', 'manager', 'door'] },
  { route: 'DELETE /events/:id/checkin/devices/:deviceId', call: async () => ({ method: 'DELETE', path: `/api/v1/events/${event.id}/checkin/devices/${(await freshDevice()).id}` }), ok: 204, roles: ['owner', 'manager', 'door'] },
  { route: 'POST /events/:id/checkins', call: async () => ({ method: 'POST', path: `/api/v1/events/${event.id}/checkins`, body: { code: freshCode() } }), ok: 201, roles: ['owner', 'manager', 'box_office', 'door'] },
  {
    route: 'POST /events/:id/checkins/batch',
    call: async () => ({ method: 'POST', path: `/api/v1/events/${event.id}/checkins/batch`, body: [{ clientScanId: `scan-${Math.random()}`, code: freshCode(), scannedAt: new Date().toISOString() }] }),
    ok: 200, roles: ['owner', 'manager', 'box_office', 'door'],
  },
  { route: 'GET /events/:id/checkin/list', call: at('GET', '/api/v1/events/:event/checkin/list'), ok: 200, roles: ['owner', 'manager', 'box_office', 'door'] },
  { route: 'GET /events/:id/checkin/entries', call: at('GET', '/api/v1/events/:event/checkin/entries'), ok: 200, roles: ['owner', 'manager', 'box_office', 'door'] },
  { route: 'DELETE /checkins/:id', call: async () => ({ method: 'DELETE', path: `/api/v1/checkins/${await freshCheckin()}` }), ok: 204, roles: ['owner', 'manager', 'box_office', 'door'] },
  // Webhooks of an event: owner and manager.
  { route: 'POST /admin/webhooks (eventId)', call: at('POST', '/api/v1/admin/webhooks', { url: 'http://127.0.0.1:9/hook', eventId: ':event' }), ok: 201, roles: ['owner', 'manager'] },
  { route: 'GET /admin/webhooks (eventId)', call: at('GET', '/api/v1/admin/webhooks?eventId=:event'), ok: 200, roles: ['owner', 'manager'] },
  // Orders: read by owner, manager, box office, finance; resent by box office too; cancelled by owner and manager.
  { route: 'GET /orders/:id', call: async () => ({ method: 'GET', path: `/api/v1/orders/${(await freshOrder()).id}` }), ok: 200, roles: ['owner', 'manager', 'box_office', 'finance'] },
  { route: 'GET /orders/:id/tickets.pdf', call: async () => ({ method: 'GET', path: `/api/v1/orders/${(await freshOrder()).id}/tickets.pdf` }), ok: 200, roles: ['owner', 'manager', 'box_office', 'finance'] },
  { route: 'GET /orders/:id/receipt.pdf', call: async () => ({ method: 'GET', path: `/api/v1/orders/${(await freshOrder()).id}/receipt.pdf` }), ok: 200, roles: ['owner', 'manager', 'box_office', 'finance'] },
  { route: 'POST /orders/:id/resend', call: async () => ({ method: 'POST', path: `/api/v1/orders/${(await freshOrder()).id}/resend` }), ok: 202, roles: ['owner', 'manager', 'box_office'] },
  { route: 'POST /orders/:id/cancel', call: async () => ({ method: 'POST', path: `/api/v1/orders/${(await freshOrder()).id}/cancel` }), ok: 200, roles: ['owner', 'manager'] },
  // The order desk: search by owner, manager, box office, finance; export by owner, manager, finance; comps by owner, manager, box office.
  { route: 'GET /events/:id/orders', call: at('GET', '/api/v1/events/:event/orders?q=example'), ok: 200, roles: ['owner', 'manager', 'box_office', 'finance'] },
  { route: 'GET /events/:id/orders.csv', call: at('GET', '/api/v1/events/:event/orders.csv'), ok: 200, roles: ['owner', 'manager', 'finance'] },
  {
    route: 'POST /events/:id/orders',
    call: async () => ({ method: 'POST', path: `/api/v1/events/${event.id}/orders`, body: { email: `comp-${Math.random()}@example.test`, sectionId: event.sections[0].id, quantity: 1, reason: 'Crew' } }),
    ok: 201, roles: ['owner', 'manager', 'box_office'],
  },
  { route: 'POST /orders/:id/cancel (some tickets)', call: async () => { const order = await freshOrder(2); return { method: 'POST', path: `/api/v1/orders/${order.id}/cancel`, body: { ticketIds: [order.tickets[0].id] } }; }, ok: 200, roles: ['owner', 'manager'] },
  // The organization itself: owner.
  { route: 'GET /organizations/:id/members', call: at('GET', '/api/v1/organizations/:org/members'), ok: 200, roles: ['owner'] },
  { route: 'POST /organizations/:id/members', call: async () => ({ method: 'POST', path: `/api/v1/organizations/${a.organizationId}/members`, body: { email: (await app.registerBuyer()).email, role: 'door' } }), ok: 201, roles: ['owner'] },
  { route: 'PATCH /organizations/:id/members/:userId', call: async () => ({ method: 'PATCH', path: `/api/v1/organizations/${a.organizationId}/members/${await freshMember()}`, body: { role: 'finance' } }), ok: 200, roles: ['owner'] },
  { route: 'DELETE /organizations/:id/members/:userId', call: async () => ({ method: 'DELETE', path: `/api/v1/organizations/${a.organizationId}/members/${await freshMember()}` }), ok: 204, roles: ['owner'] },
  { route: 'DELETE /organizations/:id/invitations/:invitationId', call: async () => ({ method: 'DELETE', path: `/api/v1/organizations/${a.organizationId}/invitations/${await freshInvitation()}` }), ok: 204, roles: ['owner'] },
  { route: 'POST /organizations/:id/api-keys', call: at('POST', '/api/v1/organizations/:org/api-keys', { name: 'K', role: 'finance' }), ok: 201, roles: ['owner'] },
  { route: 'GET /organizations/:id/api-keys', call: at('GET', '/api/v1/organizations/:org/api-keys'), ok: 200, roles: ['owner'] },
  { route: 'DELETE /organizations/:id/api-keys/:keyId', call: async () => ({ method: 'DELETE', path: `/api/v1/organizations/${a.organizationId}/api-keys/${await freshKey()}` }), ok: 204, roles: ['owner'] },
  // The installation: the platform admin alone (ORGANIZER_SIGNUP is closed here). Creating an organization takes a person's token.
  { route: 'POST /organizations', call: at('POST', '/api/v1/organizations', { name: 'Another' }), ok: 201, roles: 'platform', except: Object.fromEntries(orgRoles.map((r) => [`key:${r}`, 401])) },
  { route: 'GET /admin/deliveries', call: at('GET', '/api/v1/admin/deliveries'), ok: 200, roles: 'platform' },
  { route: 'GET /admin/webhooks', call: at('GET', '/api/v1/admin/webhooks'), ok: 200, roles: 'platform' },
  { route: 'POST /admin/webhooks (every event)', call: at('POST', '/api/v1/admin/webhooks', { url: 'http://127.0.0.1:9/all' }), ok: 201, roles: 'platform' },
  { route: 'GET /admin/payments', call: at('GET', '/api/v1/admin/payments'), ok: 200, roles: 'platform' },
  { route: 'POST /admin/payments/:id/retry', call: at('POST', `/api/v1/admin/payments/${randomUUID()}/retry`), ok: 404, roles: 'platform' },
  { route: 'POST /admin/deliveries/:id/retry', call: at('POST', `/api/v1/admin/deliveries/${randomUUID()}/retry`), ok: 404, roles: 'platform' },
  { route: 'POST /admin/checkin/keys/rotate', call: at('POST', '/api/v1/admin/checkin/keys/rotate'), ok: 201, roles: 'platform' },
];

/** What the table says `caller` gets on `row`. */
function expected(row: Row, caller: CallerName): number {
  const exception = row.except?.[caller];
  if (exception !== undefined) return exception;
  if (caller === 'anonymous') return 401;
  if (caller === 'platformAdmin') return row.ok;
  if (row.roles === 'platform') return 403;
  if (caller === 'buyer' || caller === 'ownerOfB') return 404;
  const role = (caller.startsWith('key:') ? caller.slice(4) : caller) as OrgRole;
  return row.roles.includes(role) ? row.ok : 403;
}

function tokenOf(caller: CallerName): string | undefined {
  if (caller === 'anonymous') return undefined;
  if (caller === 'buyer') return buyer.token;
  if (caller === 'ownerOfB') return b.members.owner.token;
  if (caller === 'platformAdmin') return app.adminToken;
  if (caller.startsWith('key:')) return a.keys[caller.slice(4) as OrgRole];
  return a.members[caller as OrgRole].token;
}

const fill = (text: string) => text.replace(':event', event.id).replace(':draft', draft.id).replace(':org', a.organizationId);
const fillBody = (body: unknown) => (body === undefined ? undefined : JSON.parse(fill(JSON.stringify(body))));

beforeAll(async () => {
  app = await startTestApp('postgres', { WEBHOOK_ALLOW_PRIVATE: 'true' });
  [a, b] = [await createTeam(app, 'Org A'), await createTeam(app, 'Org B')];
  buyer = await app.registerBuyer();
  shopper = await app.registerBuyer();
  event = await createTeamEvent(app, a, { maxTicketsPerOrder: 100, maxTicketsPerUser: null, sections: [{ name: 'Floor', price: 5000, capacity: 1000 }] });
  draft = await createTeamEvent(app, a, { status: 'draft' });
  // Tickets to check in: one per caller and row that checks one in (or sets one up).
  const order = await freshOrder(100);
  spareCodes = order.tickets.map((t: { code: string }) => t.code);
});
afterAll(() => app?.close());

describe('the authorization matrix', () => {
  const cases = table.flatMap((row) => callerNames.map((caller) => ({ row, caller })));

  it.each(cases.map(({ row, caller }) => [row.route, caller, expected(row, caller), row] as const))('%s as %s answers %i', async (_route, caller, status, row) => {
    const call = await row.call();
    const reply = await app.request(call.method, fill(call.path), { token: tokenOf(caller), body: fillBody(call.body) });
    expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  });

  it('covers every organizer route the server serves', () => {
    const covered = new Set(table.map((row) => row.route.replace(/ \(.*\)$/, '').replace(/\?.*$/, '')));
    // The routes whose security differs from a buyer's: every route documented with a 403.
    const documented = Object.entries((app.server.app as unknown as { swagger(): { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> } }).swagger().paths)
      .flatMap(([path, methods]) => Object.entries(methods).filter(([, op]) => op.responses['403']).map(([method]) => `${method.toUpperCase()} ${path.replace('/api/v1', '').replace(/\{(\w+)\}/g, ':$1')}`));
    // Buyers' routes whose 403 is the waiting room's (not admitted), not a role's, and the caller's own
    // account (403 `wrong_password`).
    const buyerRoutes = new Set(['POST /holds', 'POST /events/:id/queue', 'GET /events/:id/queue', 'DELETE /events/:id/queue']);
    const ownAccount = (route: string) => route.split(' ')[1]!.startsWith('/me/');
    expect(documented.filter((route) => !covered.has(route) && !buyerRoutes.has(route) && !ownAccount(route))).toEqual([]);
  });
});
