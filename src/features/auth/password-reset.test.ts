import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server.js';
import { publicBaseUrl } from '../../config.js';
import { limits } from '../../limits.js';
import { backends, startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { createTeam, createTeamEvent } from '../../../test/support/orgs.js';
import type { LiveMessage } from '../notifications/live.js';
import { hashOpaqueToken } from './tokens.js';

const resetRequest = (app: TestApp, email: string) => app.request('POST', '/api/v1/auth/password-reset', { body: { email } });
const confirm = (app: TestApp, token: string, password: string) => app.request('POST', '/api/v1/auth/password-reset/confirm', { body: { token, password } });
const login = (app: TestApp, email: string, password: string) => app.request('POST', '/api/v1/auth/login', { body: { email, password } });

/** The token of the latest reset email to `email`, read from the dev inbox once the dispatcher has sent it. */
async function emailedToken(app: TestApp, email: string, after = ''): Promise<string> {
  const prefix = `${publicBaseUrl(app.server.context.config)}/reset-password?token=`;
  let token = '';
  await expect.poll(async () => {
    const { rows } = await app.db.query<{ body: string }>(
      `select body from dev_inbox where lower(to_address) = lower($1) and subject = 'Reset your Onsale password' order by created_at desc limit 1`,
      [email],
    );
    const at = rows[0]?.body.indexOf(prefix) ?? -1;
    token = at === -1 ? '' : decodeURIComponent(/^[^\s]+/.exec(rows[0]!.body.slice(at + prefix.length))![0]);
    return token !== '' && token !== after;
  }, { timeout: 10_000 }).toBe(true);
  return token;
}

describe.each(backends)('password reset by email on %s', (backend) => {
  let app: TestApp;
  const logText: string[] = [];
  beforeAll(async () => {
    const log = createLogger({ logLevel: 'info', env: 'test' }, { write: (line: string) => void logText.push(line) });
    app = await startTestApp(backend, {}, { log });
  });
  afterAll(() => app?.close());

  it('answers 202 alike whether or not the account exists, and emails a single-use link to the account only: no webhook, no live push, no log', async () => {
    const buyer = await app.registerBuyer();
    await app.db.query(`insert into webhook_endpoints (url, secret) values ('https://hooks.example.test/all', 'whsec_test-secret-of-some-length')`);
    const pushed: LiveMessage[] = [];
    const unsubscribe = app.server.context.live.subscribe(buyer.userId, (message) => pushed.push(message));
    try {
      const known = await resetRequest(app, buyer.email.toUpperCase());
      const unknown = await resetRequest(app, `nobody-${Date.now()}@example.test`);
      expect([known.status, known.body]).toEqual([202, unknown.body]);
      expect(unknown.status).toBe(202);

      const token = await emailedToken(app, buyer.email);
      const { rows: stored } = await app.db.query<{ token_hash: string }>('select token_hash from password_resets where user_id = $1', [buyer.userId]);
      expect(stored.map((r) => r.token_hash)).toEqual([hashOpaqueToken(token)]);
      const { rows: channels } = await app.db.query<{ channel: string; target: string }>(
        `select d.channel, d.target from deliveries d join outbox o on o.id = d.outbox_id where o.type = 'account.password_reset' and o.user_id = $1`,
        [buyer.userId],
      );
      expect(channels).toEqual([{ channel: 'email', target: buyer.email }]);
      // Opening the link logs the page's request with the token redacted, like every credential in a URL.
      await app.fetch('GET', `/reset-password?token=${encodeURIComponent(token)}`);
      expect(logText.join('')).not.toContain(token);
      expect(pushed.filter((m) => m.type === 'account.password_reset')).toEqual([]);
    } finally {
      unsubscribe();
      await app.db.query(`delete from webhook_endpoints where url = 'https://hooks.example.test/all'`);
    }
  });

  it('sets the password once, ends every other session, and tells used, replaced, unknown and expired links apart', async () => {
    const buyer = await app.registerBuyer();
    await resetRequest(app, buyer.email);
    const token = await emailedToken(app, buyer.email);

    const short = await confirm(app, token, 'short');
    expect([short.status, short.body.error.code]).toEqual([400, 'validation_failed']);
    const reset = await confirm(app, token, 'a brand new password');
    expect(reset.status).toBe(200);
    expect(reset.body.user).toMatchObject({ id: buyer.userId, email: buyer.email });
    expect((await app.request('GET', '/api/v1/me', { token: reset.body.accessToken })).status).toBe(200);
    expect((await login(app, buyer.email, 'a brand new password')).status).toBe(200);
    expect((await login(app, buyer.email, 'correct horse')).status).toBe(401);
    expect((await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: buyer.refreshToken } })).status).toBe(401);

    const again = await confirm(app, token, 'yet another password');
    expect([again.status, again.body.error.code]).toEqual([400, 'reset_token_used']);
    expect((await confirm(app, 'no-such-token', 'yet another password')).body.error.code).toBe('reset_token_invalid');

    // A new request replaces the pending link; the replaced one no longer works.
    await resetRequest(app, buyer.email);
    const first = await emailedToken(app, buyer.email, token);
    await resetRequest(app, buyer.email);
    const second = await emailedToken(app, buyer.email, first);
    expect((await confirm(app, first, 'yet another password')).body.error.code).toBe('reset_token_invalid');
    await app.db.query(`update password_resets set expires_at = now() - interval '1 second' where user_id = $1`, [buyer.userId]);
    const expired = await confirm(app, second, 'yet another password');
    expect([expired.status, expired.body.error.code]).toEqual([400, 'reset_token_expired']);
    expect((await login(app, buyer.email, 'a brand new password')).status).toBe(200);
  });
});

describe('password reset races and limits', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp('postgres');
  });
  afterAll(() => app?.close());

  it('lets exactly one of two concurrent uses of a link win, and the password is the winner\'s', async () => {
    const buyers: Buyer[] = await app.registerBuyers(5);
    for (const buyer of buyers) {
      await resetRequest(app, buyer.email);
      const token = await emailedToken(app, buyer.email);
      const answers = await Promise.all(['password of the first', 'password of the second'].map((password) =>
        app.fetch('POST', '/api/v1/auth/password-reset/confirm', { body: { token, password } }).then((reply) => ({ password, reply }))));
      const won = answers.filter((a) => a.reply.status === 200);
      expect(won).toHaveLength(1);
      expect(answers.filter((a) => a.reply.status === 400).map((a) => a.reply.body.error.code)).toEqual(['reset_token_used']);
      const lost = answers.find((a) => a !== won[0])!;
      expect((await login(app, buyer.email, won[0]!.password)).status).toBe(200);
      expect((await login(app, buyer.email, lost.password)).status).toBe(401);
    }
  });

  it('gives an account the order desk made for an email (no password yet) its first password', async () => {
    const team = await createTeam(app, 'Reset Desk');
    const event = await createTeamEvent(app, team);
    const guest = `guest-${Date.now()}@example.test`;
    const comp = await app.request('POST', `/api/v1/events/${event.id}/orders`, { token: team.members.box_office.token, body: { reason: 'Guest list', email: guest, sectionId: event.sections[0].id, quantity: 1 } });
    expect(comp.status).toBe(201);
    expect((await login(app, guest, '!')).status).toBe(401);

    expect((await resetRequest(app, guest)).status).toBe(202);
    const session = await confirm(app, await emailedToken(app, guest), 'my first password');
    expect(session.status).toBe(200);
    const loggedIn = await login(app, guest, 'my first password');
    expect(loggedIn.status).toBe(200);
    const orders = await app.request('GET', '/api/v1/orders', { token: loggedIn.body.accessToken });
    expect(orders.body.items.map((o: { id: string }) => o.id)).toContain(comp.body.id);
  });

  it('sends at most a few reset emails per address a minute (429 with Retry-After), other addresses unaffected', async () => {
    const [buyer, other] = await app.registerBuyers(2);
    for (let i = 0; i < limits.passwordResetsPerEmailPerMinute; i++) expect((await resetRequest(app, buyer!.email)).status).toBe(202);
    const throttled = await resetRequest(app, buyer!.email.toUpperCase());
    expect([throttled.status, throttled.body.error.code]).toEqual([429, 'too_many_requests']);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect((await resetRequest(app, other!.email)).status).toBe(202);
  });
});
