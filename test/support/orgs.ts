import { orgRoles, type OrgRole } from '../../src/features/auth/access.js';
import type { Buyer, TestApp } from './app.js';

export interface Team {
  organizationId: string;
  /** One account per role, each a member with that role only. */
  members: Record<OrgRole, Buyer>;
  /** One API key per role. */
  keys: Record<OrgRole, string>;
  /** A venue of the organization. */
  venueId: string;
}

async function expectStatus<T = any>(reply: Promise<{ status: number; body: T }>, status: number, what: string): Promise<T> {
  const answered = await reply;
  if (answered.status !== status) throw new Error(`${what}: expected ${status}, got ${answered.status} ${JSON.stringify(answered.body)}`);
  return answered.body;
}

/** An organization made by the platform admin, whose owner is then a fresh account (the admin leaves), with one member and one API key per role and a venue. */
export async function createTeam(app: TestApp, name = 'Team'): Promise<Team> {
  const organization = await expectStatus(app.request('POST', '/api/v1/organizations', { token: app.adminToken, body: { name } }), 201, 'create organization');
  const organizationId = organization.id as string;
  const members = {} as Record<OrgRole, Buyer>;
  for (const role of orgRoles) {
    const account = await app.registerBuyer();
    await expectStatus(app.request('POST', `/api/v1/organizations/${organizationId}/members`, { token: app.adminToken, body: { email: account.email, role } }), 201, `add ${role}`);
    members[role] = account;
  }
  // The platform admin may everything anyway; as a member it would make the team's figures less plain.
  const admin = (await app.request('GET', '/api/v1/me', { token: app.adminToken })).body;
  await expectStatus(app.request('DELETE', `/api/v1/organizations/${organizationId}/members/${admin.id}`, { token: members.owner.token }), 204, 'admin leaves');
  const keys = {} as Record<OrgRole, string>;
  for (const role of orgRoles) {
    const key = await expectStatus(app.request('POST', `/api/v1/organizations/${organizationId}/api-keys`, { token: members.owner.token, body: { name: `${role} key`, role } }), 201, `key ${role}`);
    keys[role] = key.key;
  }
  const venue = await expectStatus(app.request('POST', '/api/v1/venues', { token: members.owner.token, body: { organizationId, name: `${name} Hall`, city: 'Porto' } }), 201, 'venue');
  return { organizationId, members, keys, venueId: venue.id };
}

/** A published general-admission event of the team's organization, on sale now. */
export async function createTeamEvent(app: TestApp, team: Team, overrides: Record<string, unknown> = {}): Promise<any> {
  return expectStatus(app.request('POST', '/api/v1/events', {
    token: team.members.manager.token,
    body: {
      organizationId: team.organizationId,
      title: 'Team Event',
      venueId: team.venueId,
      startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      currency: 'EUR',
      status: 'published',
      sections: [{ name: 'Floor', price: 5000, capacity: 100 }],
      ...overrides,
    },
  }), 201, 'create event');
}
