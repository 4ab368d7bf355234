import { createSigner } from 'fast-jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, startTestApp, type TestApp } from '../../../test/support/app.js';

describe.each(backends)('accounts on %s', (backend) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(backend);
  });
  afterAll(() => app?.close());

  const register = (body: Record<string, unknown>) => app.request('POST', '/api/v1/auth/register', { body });

  it('registers a buyer, never an admin, and logs them in', async () => {
    const reply = await register({ email: 'Ana@Example.test', password: 'long enough', name: 'Ana' });
    expect(reply.status).toBe(201);
    expect(reply.body.user).toMatchObject({ email: 'Ana@Example.test', name: 'Ana', role: 'buyer' });
    expect(reply.body.accessToken).toEqual(expect.any(String));
    const me = await app.request('GET', '/api/v1/me', { token: reply.body.accessToken });
    expect(me.body.id).toBe(reply.body.user.id);
    const login = await app.request('POST', '/api/v1/auth/login', { body: { email: 'ana@example.test', password: 'long enough' } });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(reply.body.user.id);
    const stored = await app.db.query<{ password_hash: string }>('select password_hash from users where id = $1', [reply.body.user.id]);
    expect(stored.rows[0]!.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('refuses a taken email (any case) with 409 and bad fields with 400 naming each', async () => {
    await register({ email: 'dup@example.test', password: 'long enough', name: 'A' });
    const taken = await register({ email: 'DUP@example.test', password: 'long enough', name: 'B' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('email_taken');
    const bad = await register({ email: 'not-an-email', password: 'short', name: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['/email', '/name', '/password']);
  });

  it('answers 401 invalid_credentials for a wrong password or unknown email alike', async () => {
    await register({ email: 'bo@example.test', password: 'long enough', name: 'Bo' });
    for (const body of [{ email: 'bo@example.test', password: 'wrong one' }, { email: 'nobody@example.test', password: 'long enough' }]) {
      const reply = await app.request('POST', '/api/v1/auth/login', { body });
      expect(reply.status).toBe(401);
      expect(reply.body.error.code).toBe('invalid_credentials');
    }
  });

  it('rotates refresh tokens, and reuse of a rotated one revokes the whole family', async () => {
    const session = (await register({ email: 'cy@example.test', password: 'long enough', name: 'Cy' })).body;
    const refresh = (refreshToken: string) => app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
    const second = await refresh(session.refreshToken);
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(session.refreshToken);
    const third = await refresh(second.body.refreshToken);
    expect(third.status).toBe(200);
    // The first token is replayed (stolen): refused, and the live one dies with it.
    expect((await refresh(session.refreshToken)).body.error.code).toBe('invalid_token');
    expect((await refresh(third.body.refreshToken)).status).toBe(401);
  });

  it('lets exactly one of two concurrent uses of a refresh token win', async () => {
    const session = (await register({ email: 'di@example.test', password: 'long enough', name: 'Di' })).body;
    const replies = await Promise.all([1, 2].map(() => app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('logs out: the refresh token, and every token rotated from it, stops working', async () => {
    const session = (await register({ email: 'fay@example.test', password: 'long enough', name: 'Fay' })).body;
    const rotated = (await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).body;
    const other = (await app.request('POST', '/api/v1/auth/login', { body: { email: 'fay@example.test', password: 'long enough' } })).body;
    expect((await app.request('POST', '/api/v1/auth/logout', { body: { refreshToken: rotated.refreshToken } })).status).toBe(204);
    expect((await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: rotated.refreshToken } })).status).toBe(401);
    // Another device's session (another family) is not touched.
    expect((await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(200);
    expect((await app.request('POST', '/api/v1/auth/logout', { body: { refreshToken: 'never-issued' } })).status).toBe(204);
  });

  it('renames, changes the password only with the current one (ending the other sessions), and logs out everywhere', async () => {
    const first = (await register({ email: 'acct@example.test', password: 'first password', name: 'Acct' })).body;
    const login = () => app.request('POST', '/api/v1/auth/login', { body: { email: 'acct@example.test', password: 'second password' } });
    const otherDevice = (await app.request('POST', '/api/v1/auth/login', { body: { email: 'acct@example.test', password: 'first password' } })).body;
    const refresh = (refreshToken: string) => app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } });

    expect((await app.request('PATCH', '/api/v1/me', { token: first.accessToken, body: { name: 'Acct Renamed' } })).body).toMatchObject({ name: 'Acct Renamed', email: 'acct@example.test' });
    expect((await app.request('PATCH', '/api/v1/me', { token: first.accessToken, body: { role: 'admin' } })).status).toBe(400);

    const wrong = await app.request('POST', '/api/v1/me/password', { token: first.accessToken, body: { currentPassword: 'not it', newPassword: 'second password' } });
    expect([wrong.status, wrong.body.error.code]).toEqual([403, 'wrong_password']);
    expect((await app.request('POST', '/api/v1/me/password', { token: first.accessToken, body: { currentPassword: 'first password', newPassword: 'short' } })).status).toBe(400);
    const changed = await app.request('POST', '/api/v1/me/password', { token: first.accessToken, body: { currentPassword: 'first password', newPassword: 'second password' } });
    expect(changed.status).toBe(200);
    expect((await refresh(otherDevice.refreshToken)).status).toBe(401);
    expect((await refresh(first.refreshToken)).status).toBe(401);
    expect((await login()).status).toBe(200);

    const sessions = [changed.body, (await login()).body];
    expect((await app.request('POST', '/api/v1/me/logout-everywhere', { token: sessions[1].accessToken })).status).toBe(204);
    for (const session of sessions) expect((await refresh(session.refreshToken)).status).toBe(401);
    expect((await app.request('POST', '/api/v1/me/logout-everywhere')).status).toBe(401);
  });

  it('refuses forged, tampered, expired and malformed access tokens with 401', async () => {
    const session = (await register({ email: 'ed@example.test', password: 'long enough', name: 'Ed' })).body;
    const [header, , signature] = session.accessToken.split('.');
    const adminClaims = Buffer.from(JSON.stringify({ sub: session.user.id, role: 'admin', typ: 'access', iss: 'onsale', aud: 'onsale-api' })).toString('base64url');
    const forged = createSigner({ key: 'another-secret-another-secret-another-secret', expiresIn: 60_000, iss: 'onsale', aud: 'onsale-api' })({ sub: session.user.id, role: 'admin', typ: 'access' });
    const expired = createSigner({ key: app.server.context.config.jwtSecret, expiresIn: 1, iss: 'onsale', aud: 'onsale-api' })({ sub: session.user.id, role: 'buyer', typ: 'access' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (const token of [`${header}.${adminClaims}.${signature}`, forged, expired, 'garbage', `${header}.${adminClaims}.`]) {
      const reply = await app.request('GET', '/api/v1/me', { token });
      expect(reply.status).toBe(401);
      expect(reply.body.error.code).toBe('invalid_token');
    }
    expect((await app.request('GET', '/api/v1/me', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect((await app.request('GET', '/api/v1/me')).body.error.code).toBe('unauthorized');
  });

  it('refuses a token signed with the real key that lacks exp or iat, was issued in the future, or is older than the token lifetime', async () => {
    const session = (await register({ email: 'iona@example.test', password: 'long enough', name: 'Iona' })).body;
    const { jwtSecret, accessTokenTtlSeconds } = app.server.context.config;
    const claims = { sub: session.user.id, role: 'buyer', typ: 'access' };
    const signed = (options: Record<string, unknown>, payload: Record<string, unknown> = {}) =>
      createSigner({ key: jwtSecret, iss: 'onsale', aud: 'onsale-api', ...options })({ ...claims, ...payload });
    const now = Math.floor(Date.now() / 1000);
    const tokens = {
      withoutExp: signed({}),
      withoutIat: signed({ expiresIn: 60_000, noTimestamp: true }),
      issuedInTheFuture: signed({}, { iat: now + 3600, exp: now + 3600 + accessTokenTtlSeconds }),
      olderThanItsLifetime: signed({}, { iat: now - accessTokenTtlSeconds - 60, exp: now + 10 * 365 * 86_400 }),
    };
    const outcomes: Record<string, string> = {};
    for (const [name, token] of Object.entries(tokens)) {
      const reply = await app.request('GET', '/api/v1/me', { token });
      outcomes[name] = `${reply.status} ${reply.body.error?.code}`;
    }
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(tokens).map((name) => [name, '401 invalid_token'])));
    expect((await app.request('GET', '/api/v1/me', { token: signed({ expiresIn: 60_000 }) })).status).toBe(200);
  });

  it('slows down password guessing: 429 with Retry-After past the per-email limit, other accounts unaffected', async () => {
    await register({ email: 'gus@example.test', password: 'long enough', name: 'Gus' });
    const attempt = (email: string, password: string) => app.request('POST', '/api/v1/auth/login', { body: { email, password } });
    for (let i = 0; i < 10; i++) expect((await attempt('gus@example.test', `wrong ${i}`)).status).toBe(401);
    const throttled = await attempt('GUS@example.test', 'long enough');
    expect(throttled.status).toBe(429);
    expect(throttled.body.error.code).toBe('too_many_requests');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    await register({ email: 'hal@example.test', password: 'long enough', name: 'Hal' });
    expect((await attempt('hal@example.test', 'long enough')).status).toBe(200);
  });

  it('keeps venue and event changes to organizers: a buyer is in no organization (403), and another organization\'s event does not exist for them (404)', async () => {
    const buyer = await app.registerBuyer();
    const venue = await app.request('POST', '/api/v1/venues', { token: buyer.token, body: { name: 'X', city: 'Y' } });
    expect(venue.status).toBe(403);
    expect(venue.body.error.code).toBe('forbidden');
    const event = await app.createEvent();
    expect((await app.request('PATCH', `/api/v1/events/${event.id}`, { token: buyer.token, body: { title: 'Mine now' } })).status).toBe(404);
    expect((await app.request('GET', `/api/v1/events/${event.id}/stats`, { token: buyer.token })).status).toBe(404);
    expect((await app.request('POST', '/api/v1/venues', { body: { name: 'X', city: 'Y' } })).status).toBe(401);
  });
});

describe('sign-up limits per address', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('pglite', { AUTH_IP_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => app?.close());

  it('refuses a fourth registration or login from one address within a minute', async () => {
    const register = (i: number) => app.request('POST', '/api/v1/auth/register', { body: { email: `ip${i}@example.test`, password: 'long enough', name: 'N' } });
    // The test harness logged the admin in once already: that counts.
    expect((await register(1)).status).toBe(201);
    expect((await register(2)).status).toBe(201);
    const refused = await register(3);
    expect(refused.status).toBe(429);
    expect((await app.db.query(`select 1 from users where email = 'ip3@example.test'`)).rowCount).toBe(0);
  });
});
