import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { createTeam, type Team } from '../../../test/support/orgs.js';

let app: TestApp;
let team: Team;

beforeAll(async () => {
  app = await startTestApp('postgres');
  team = await createTeam(app, 'Acme Live');
});
afterAll(() => app?.close());

/** The invitation email's link, once the outbox has delivered it to the development inbox. */
async function invitationToken(email: string): Promise<string> {
  let body = '';
  await expect.poll(async () => {
    const { rows } = await app.db.query<{ body: string }>('select body from dev_inbox where to_address = $1 order by created_at desc limit 1', [email]);
    body = rows[0]?.body ?? '';
    return body;
  }).toContain('/join#');
  return /\/join#([A-Za-z0-9_-]+)/.exec(body)![1]!;
}

const invite = (email: string, role = 'door') =>
  app.request('POST', `/api/v1/organizations/${team.organizationId}/members`, { token: team.members.owner.token, body: { email, role } });

describe('organizations', () => {
  it('are created by the platform admin only while ORGANIZER_SIGNUP is closed, and list the caller\'s own with its role', async () => {
    const buyer = await app.registerBuyer();
    const refused = await app.request('POST', '/api/v1/organizations', { token: buyer.token, body: { name: 'Mine' } });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
    expect((await app.request('GET', '/api/v1/organizations', { token: buyer.token })).body.items).toEqual([]);
    const mine = (await app.request('GET', '/api/v1/organizations', { token: team.members.finance.token })).body.items;
    expect(mine).toEqual([{ id: team.organizationId, name: 'Acme Live', role: 'finance' }]);
    const asKey = (await app.request('GET', '/api/v1/organizations', { token: team.keys.door })).body.items;
    expect(asKey).toEqual([{ id: team.organizationId, name: 'Acme Live', role: 'door' }]);
  });

  it('with ORGANIZER_SIGNUP=open, anyone logged in creates one and becomes its owner', async () => {
    const open = await startTestApp('pglite', { ORGANIZER_SIGNUP: 'open' });
    try {
      const buyer = await open.registerBuyer();
      const created = await open.request('POST', '/api/v1/organizations', { token: buyer.token, body: { name: 'Garage Shows' } });
      expect(created.status).toBe(201);
      expect((await open.request('GET', '/api/v1/organizations', { token: buyer.token })).body.items).toEqual([{ id: created.body.id, name: 'Garage Shows', role: 'owner' }]);
      // With one organization, POST /venues needs no organizationId.
      expect((await open.request('POST', '/api/v1/venues', { token: buyer.token, body: { name: 'Garage', city: 'Braga' } })).body.organizationId).toBe(created.body.id);
    } finally {
      await open.close();
    }
  });

  it('asks for organizationId when the caller belongs to more than one, and keeps venues to their organization', async () => {
    const other = await createTeam(app, 'Other Co');
    const both = team.members.manager;
    expect((await app.request('POST', `/api/v1/organizations/${other.organizationId}/members`, { token: other.members.owner.token, body: { email: both.email, role: 'manager' } })).status).toBe(201);
    const unnamed = await app.request('POST', '/api/v1/venues', { token: both.token, body: { name: 'Where?', city: 'Faro' } });
    expect([unnamed.status, unnamed.body.error.code]).toEqual([400, 'validation_failed']);
    const named = await app.request('POST', '/api/v1/venues', { token: both.token, body: { organizationId: other.organizationId, name: 'There', city: 'Faro' } });
    expect(named.body.organizationId).toBe(other.organizationId);
    // An event of one organization cannot use another's venue.
    const crossed = await app.request('POST', '/api/v1/events', {
      token: both.token,
      body: { organizationId: team.organizationId, title: 'X', venueId: other.venueId, startsAt: new Date(Date.now() + 86_400_000).toISOString(), currency: 'EUR', sections: [{ name: 'A', price: 1, capacity: 1 }] },
    });
    expect(crossed.status).toBe(404);
    // The new-event form lists one organization's venues.
    const listed = (await app.request('GET', `/api/v1/venues?organizationId=${other.organizationId}`)).body.items;
    expect(listed.map((v: { id: string }) => v.id).sort()).toEqual([other.venueId, named.body.id].sort());
    expect((await app.request('GET', '/api/v1/venues?organizationId=nope')).status).toBe(400);
    // Not even the platform admin, who sees both organizations' venues.
    const crossedByAdmin = await app.request('POST', '/api/v1/events', {
      token: app.adminToken,
      body: { organizationId: team.organizationId, title: 'X', venueId: other.venueId, startsAt: new Date(Date.now() + 86_400_000).toISOString(), currency: 'EUR', sections: [{ name: 'A', price: 1, capacity: 1 }] },
    });
    expect([crossedByAdmin.status, crossedByAdmin.body.error?.details]).toEqual([404, { field: 'venueId' }]);
    expect((await app.request('DELETE', `/api/v1/organizations/${other.organizationId}/members/${both.userId}`, { token: other.members.owner.token })).status).toBe(204);
  });
});

describe('members and invitations', () => {
  it('invites an address without an account by email; the link makes the account and joins, once', async () => {
    const email = `invited-${Date.now()}@example.test`;
    const invited = await invite(email, 'box_office');
    expect(invited.status).toBe(202);
    expect(invited.body).toMatchObject({ email, role: 'box_office' });
    const listed = (await app.request('GET', `/api/v1/organizations/${team.organizationId}/members`, { token: team.members.owner.token })).body;
    expect(listed.invitations.map((i: { email: string }) => i.email)).toContain(email);
    const token = await invitationToken(email);
    // The token is stored only as its hash.
    expect((await app.db.query('select 1 from invitations where token_hash = $1', [token])).rowCount).toBe(0);

    const accepted = await app.request('POST', '/api/v1/invitations/accept', { body: { token, name: 'New Staff', password: 'long enough pass' } });
    expect(accepted.status).toBe(201);
    expect(accepted.body.organization).toEqual({ id: team.organizationId, name: 'Acme Live', role: 'box_office' });
    expect(accepted.body.session.user.email).toBe(email);
    const orgs = await app.request('GET', '/api/v1/organizations', { token: accepted.body.session.accessToken });
    expect(orgs.body.items).toEqual([accepted.body.organization]);

    const reused = await app.request('POST', '/api/v1/invitations/accept', { body: { token, name: 'Again', password: 'long enough pass' } });
    expect(reused.status).toBe(409);
    const reusedLoggedIn = await app.request('POST', '/api/v1/invitations/accept', { token: accepted.body.session.accessToken, body: { token } });
    expect([reusedLoggedIn.status, reusedLoggedIn.body.error.code]).toEqual([409, 'invitation_used']);
  });

  it('refuses expired, unknown and foreign invitation links, and makes no account for them', async () => {
    const email = `late-${Date.now()}@example.test`;
    expect((await invite(email)).status).toBe(202);
    const token = await invitationToken(email);
    await app.db.query("update invitations set expires_at = now() - interval '1 second' where lower(email) = lower($1)", [email]);
    const expired = await app.request('POST', '/api/v1/invitations/accept', { body: { token, name: 'Late', password: 'long enough pass' } });
    expect([expired.status, expired.body.error.code]).toEqual([410, 'invitation_expired']);
    expect((await app.db.query('select 1 from users where lower(email) = lower($1)', [email])).rowCount).toBe(0);

    const unknown = await app.request('POST', '/api/v1/invitations/accept', { body: { token: 'not-a-real-token', name: 'X', password: 'long enough pass' } });
    expect(unknown.status).toBe(404);

    const meant = `meant-${Date.now()}@example.test`;
    expect((await invite(meant)).status).toBe(202);
    const foreignToken = await invitationToken(meant);
    const stranger = await app.registerBuyer();
    const foreign = await app.request('POST', '/api/v1/invitations/accept', { token: stranger.token, body: { token: foreignToken } });
    expect(foreign.status).toBe(404);
    expect((await app.request('GET', '/api/v1/organizations', { token: stranger.token })).body.items).toEqual([]);
    // Refused, the link still works for its own address.
    expect((await app.request('POST', '/api/v1/invitations/accept', { body: { token: foreignToken, name: 'Meant', password: 'long enough pass' } })).status).toBe(201);
  });

  it('withdraws an invitation: gone from the list, its link refused like an expired one, and no account made', async () => {
    const email = `withdrawn-${Date.now()}@example.test`;
    const invited = await invite(email, 'finance');
    expect(invited.status).toBe(202);
    const token = await invitationToken(email);
    const revoke = (id: string, token_ = team.members.owner.token, organizationId = team.organizationId) =>
      app.request('DELETE', `/api/v1/organizations/${organizationId}/invitations/${id}`, { token: token_ });
    // Another organization's owner does not see it; a manager may not.
    const other = await createTeam(app, 'Elsewhere');
    expect((await revoke(invited.body.id, other.members.owner.token, other.organizationId)).status).toBe(404);
    expect((await revoke(invited.body.id, team.members.manager.token)).status).toBe(403);
    expect((await revoke(invited.body.id)).status).toBe(204);
    expect((await revoke(invited.body.id)).status).toBe(204);
    const listed = (await app.request('GET', `/api/v1/organizations/${team.organizationId}/members`, { token: team.members.owner.token })).body;
    expect(listed.invitations.map((i: { id: string }) => i.id)).not.toContain(invited.body.id);

    const refused = await app.request('POST', '/api/v1/invitations/accept', { body: { token, name: 'Too Late', password: 'long enough pass' } });
    expect([refused.status, refused.body.error.code]).toEqual([410, 'invitation_expired']);
    expect((await app.db.query('select 1 from users where lower(email) = lower($1)', [email])).rowCount).toBe(0);
    const account = await app.registerBuyer();
    await app.db.query('update users set email = $2 where id = $1', [account.userId, email]);
    const loggedIn = await app.request('POST', '/api/v1/invitations/accept', { token: account.token, body: { token } });
    expect([loggedIn.status, loggedIn.body.error.code]).toEqual([410, 'invitation_expired']);
    expect((await revoke('00000000-0000-4000-8000-00000000abcd')).status).toBe(404);
  });

  it('of a withdrawal and a use racing on one link, exactly one wins; a used invitation cannot be withdrawn', async () => {
    for (let round = 0; round < 5; round++) {
      const email = `race-${round}-${Date.now()}@example.test`;
      const invited = await invite(email, 'door');
      const token = await invitationToken(email);
      const [revoked, accepted] = await Promise.all([
        app.fetch('DELETE', `/api/v1/organizations/${team.organizationId}/invitations/${invited.body.id}`, { token: team.members.owner.token }),
        app.fetch('POST', '/api/v1/invitations/accept', { body: { token, name: 'Racer', password: 'long enough pass' } }),
      ]);
      const joined = (await app.db.query('select 1 from memberships m join users u on u.id = m.user_id where lower(u.email) = lower($1)', [email])).rowCount;
      expect([[revoked.status, accepted.status], joined]).toSatisfy(([[r, a], j]: [[number, number], number]) =>
        (r === 204 && a === 410 && j === 0) || (r === 409 && a === 201 && j === 1));
    }
    const email = `used-${Date.now()}@example.test`;
    const invited = await invite(email, 'door');
    expect((await app.request('POST', '/api/v1/invitations/accept', { body: { token: await invitationToken(email), name: 'In', password: 'long enough pass' } })).status).toBe(201);
    const late = await app.request('DELETE', `/api/v1/organizations/${team.organizationId}/invitations/${invited.body.id}`, { token: team.members.owner.token });
    expect([late.status, late.body.error.code]).toEqual([409, 'invitation_used']);
  });

  it('adds an existing account at once, changes roles, and never lets the last owner go', async () => {
    const account = await app.registerBuyer();
    const added = await invite(account.email, 'finance');
    expect([added.status, added.body.role]).toEqual([201, 'finance']);
    expect((await invite(account.email, 'door')).body.error.code).toBe('already_member');
    const changed = await app.request('PATCH', `/api/v1/organizations/${team.organizationId}/members/${account.userId}`, { token: team.members.owner.token, body: { role: 'manager' } });
    expect(changed.body.role).toBe('manager');

    const owner = team.members.owner;
    const demoteSelf = await app.request('PATCH', `/api/v1/organizations/${team.organizationId}/members/${owner.userId}`, { token: owner.token, body: { role: 'manager' } });
    expect([demoteSelf.status, demoteSelf.body.error.code]).toEqual([409, 'last_owner']);
    const removeSelf = await app.request('DELETE', `/api/v1/organizations/${team.organizationId}/members/${owner.userId}`, { token: owner.token });
    expect([removeSelf.status, removeSelf.body.error.code]).toEqual([409, 'last_owner']);
    expect((await app.request('DELETE', `/api/v1/organizations/${team.organizationId}/members/${account.userId}`, { token: owner.token })).status).toBe(204);
  });

  it('leaves one owner when two owners demote each other at the same time', async () => {
    for (let round = 0; round < 5; round++) {
      const org = await createTeam(app, `Race ${round}`);
      const [a, b] = [org.members.owner, await app.registerBuyer()];
      expect((await app.request('POST', `/api/v1/organizations/${org.organizationId}/members`, { token: a.token, body: { email: b.email, role: 'owner' } })).status).toBe(201);
      const demote = (by: typeof a, target: typeof a) =>
        app.fetch('PATCH', `/api/v1/organizations/${org.organizationId}/members/${target.userId}`, { token: by.token, body: { role: 'manager' } });
      const answers = await Promise.all([demote(a, b), demote(b, a)]);
      // The loser is refused either way: as the last owner (409, both passed the role check before
      // either committed), or as no owner any more (403, the winner's demotion committed first).
      const [won, lost] = answers.map((r) => r.status).sort();
      expect(won).toBe(200);
      expect([403, 409]).toContain(lost);
      const { rows } = await app.db.query<{ n: number }>("select count(*)::int as n from memberships where organization_id = $1 and role = 'owner'", [org.organizationId]);
      expect(rows[0]!.n).toBe(1);
    }
  });
});

describe('API keys', () => {
  it('are shown once, stored hashed, act in their organization only, record their use and stop at once when revoked', async () => {
    const created = await app.request('POST', `/api/v1/organizations/${team.organizationId}/api-keys`, { token: team.members.owner.token, body: { name: 'Box office app', role: 'box_office' } });
    expect(created.status).toBe(201);
    const { key, id } = created.body;
    expect(key).toMatch(/^onsk_[A-Za-z0-9_-]{43}$/);
    expect((await app.db.query('select 1 from api_keys where key_hash = $1 or key_prefix = $1', [key])).rowCount).toBe(0);
    const listed = (await app.request('GET', `/api/v1/organizations/${team.organizationId}/api-keys`, { token: team.members.owner.token })).body.items;
    const row = listed.find((k: { id: string }) => k.id === id);
    expect(row).toMatchObject({ name: 'Box office app', role: 'box_office', lastUsedAt: null, revokedAt: null });
    expect(row.key).toBeUndefined();

    expect((await app.request('GET', '/api/v1/organizer/events', { token: key })).status).toBe(200);
    const used = (await app.request('GET', `/api/v1/organizations/${team.organizationId}/api-keys`, { token: team.members.owner.token })).body.items.find((k: { id: string }) => k.id === id);
    expect(used.lastUsedAt).not.toBeNull();
    // A key is no buyer: buyer routes refuse it.
    expect((await app.request('GET', '/api/v1/orders', { token: key })).status).toBe(401);
    // Its role is box office: no members, no keys.
    expect((await app.request('GET', `/api/v1/organizations/${team.organizationId}/members`, { token: key })).status).toBe(403);

    expect((await app.request('DELETE', `/api/v1/organizations/${team.organizationId}/api-keys/${id}`, { token: team.members.owner.token })).status).toBe(204);
    const revoked = await app.request('GET', '/api/v1/organizer/events', { token: key });
    expect([revoked.status, revoked.body.error.code]).toEqual([401, 'invalid_token']);
  });
});
