import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BearerAuth, StrictObject, Uuid, errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import type { FastifyRequest } from 'fastify';
import { notFound } from '../../errors.js';
import type { AuthService } from './auth.js';
import { principalOf, type Guards } from './guard.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Password = Type.String({ minLength: limits.passwordLengthMin, maxLength: limits.passwordLengthMax });
export const UserSchema = Type.Object({ id: Uuid, email: Type.String(), name: Type.String(), role: Type.Union([Type.Literal('buyer'), Type.Literal('admin')]) });
export const SessionSchema = Type.Object({ user: UserSchema, accessToken: Type.String(), refreshToken: Type.String() });
export const RegisterBody = StrictObject({ email: Email, password: Password, name: Type.String({ minLength: 1, maxLength: limits.textLengthMax }) });
export const LoginBody = StrictObject({ email: Email, password: Type.String({ minLength: 1, maxLength: limits.passwordLengthMax }) });
export const RenameBody = StrictObject({ name: Type.String({ minLength: 1, maxLength: limits.textLengthMax }) });
export const ChangePasswordBody = StrictObject({ currentPassword: Type.String({ minLength: 1, maxLength: limits.passwordLengthMax }), newPassword: Password });
export const PasswordResetBody = StrictObject({ email: Email });
export const PasswordResetConfirmBody = StrictObject({
  token: Type.String({ minLength: 1, maxLength: limits.passwordResetTokenLengthMax, description: 'The `token` of the emailed link' }),
  password: Password,
});
/** The body of refresh and logout. */
export const RefreshTokenBody = StrictObject({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) });

export interface AuthRoutesOptions {
  auth: AuthService;
  guards: Guards;
  /** Password guessing and mass sign-ups: attempts per minute per IP address, and logins per email. */
  rateLimits: { perIpPerMinute: number; loginPerEmailPerMinute: number };
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { auth, guards, rateLimits: { perIpPerMinute, loginPerEmailPerMinute } }) => {
  const message = 'Too many attempts; try again shortly.';
  const perIp = { scope: 'auth-ip', perMinute: perIpPerMinute, key: (request: FastifyRequest) => request.ip };
  const registerRateLimit = app.limitRate(message, [perIp]);
  const bodyEmail = (request: FastifyRequest) => (request.body as { email: string }).email.trim().toLowerCase();
  const loginRateLimit = app.limitRate(message, [perIp, { scope: 'login-email', perMinute: loginPerEmailPerMinute, key: bodyEmail }]);
  // Each accepted request sends an email: few per address, so nobody's mailbox can be flooded from here.
  const resetRateLimit = app.limitRate(message, [perIp, { scope: 'reset-email', perMinute: limits.passwordResetsPerEmailPerMinute, key: bodyEmail }]);

  app.post('/auth/register', {
    preHandler: registerRateLimit,
    schema: {
      tags: ['auth'],
      summary: 'Create a buyer account and log in',
      body: RegisterBody,
      response: { 201: SessionSchema, ...errorResponses(400, 409, 429) },
    },
  }, async (request, reply) => reply.status(201).send(await auth.register(request.body)));

  app.post('/auth/login', {
    preHandler: loginRateLimit,
    schema: {
      tags: ['auth'],
      summary: 'Exchange email and password for an access token and a refresh token',
      body: LoginBody,
      response: { 200: SessionSchema, ...errorResponses(400, 401, 429) },
    },
  }, async (request) => auth.login(request.body));

  app.post('/auth/refresh', {
    schema: {
      tags: ['auth'],
      summary: 'Rotate a refresh token: returns a new pair; reusing an old token revokes the family',
      body: RefreshTokenBody,
      response: { 200: SessionSchema, ...errorResponses(400, 401) },
    },
  }, async (request) => auth.refresh(request.body.refreshToken));

  app.post('/auth/logout', {
    schema: {
      tags: ['auth'],
      summary: 'Log out: the refresh token and every token rotated from it stop working',
      description: 'Access tokens already issued stay valid until they expire (at most ACCESS_TOKEN_TTL_SECONDS). Unknown tokens are accepted silently.',
      body: RefreshTokenBody,
      response: { 204: Type.Null(), ...errorResponses(400) },
    },
  }, async (request, reply) => {
    await auth.logout(request.body.refreshToken);
    return reply.status(204).send(null);
  });

  app.post('/auth/password-reset', {
    preHandler: resetRateLimit,
    schema: {
      tags: ['auth'],
      summary: 'Ask for a password reset link by email',
      description: `Answers 202 whether or not an account has the email (no account enumeration). When one has, a single-use link to \`/reset-password?token=…\` is emailed to it, valid for ${limits.passwordResetTtlSeconds / 60} minutes; a new request replaces the previous link.`,
      body: PasswordResetBody,
      response: { 202: Type.Null(), ...errorResponses(400, 429) },
    },
  }, async (request, reply) => {
    await auth.requestPasswordReset(request.body.email);
    return reply.status(202).send(null);
  });

  app.post('/auth/password-reset/confirm', {
    preHandler: registerRateLimit,
    schema: {
      tags: ['auth'],
      summary: 'Set a new password with a reset link\'s token; every session of the account ends and a new one starts',
      description: 'The token works once: 400 `reset_token_used` after, `reset_token_expired` past its lifetime, `reset_token_invalid` when no link carries it. Access tokens already issued stay valid until they expire (at most ACCESS_TOKEN_TTL_SECONDS).',
      body: PasswordResetConfirmBody,
      response: { 200: SessionSchema, ...errorResponses(400, 429) },
    },
  }, async (request) => auth.confirmPasswordReset(request.body));

  app.patch('/me', {
    onRequest: guards.authenticate,
    schema: { tags: ['auth'], summary: 'Change your name', security: BearerAuth, body: RenameBody, response: { 200: UserSchema, ...errorResponses(400, 401, 404) } },
  }, async (request) => {
    const user = await auth.rename(principalOf(request).userId, request.body.name);
    if (!user) throw notFound('user');
    return user;
  });

  app.post('/me/password', {
    onRequest: guards.authenticate,
    preHandler: registerRateLimit,
    schema: {
      tags: ['auth'],
      summary: 'Change your password (the current one is required); every other session ends',
      description: 'Answers a new session for this device. Access tokens already issued stay valid until they expire (at most ACCESS_TOKEN_TTL_SECONDS).',
      security: BearerAuth,
      body: ChangePasswordBody,
      response: { 200: SessionSchema, ...errorResponses(400, 401, 403, 429) },
    },
  }, async (request) => auth.changePassword(principalOf(request).userId, request.body));

  app.post('/me/logout-everywhere', {
    onRequest: guards.authenticate,
    schema: {
      tags: ['auth'],
      summary: 'Log out everywhere: every refresh token of the account stops working',
      description: 'Access tokens already issued stay valid until they expire (at most ACCESS_TOKEN_TTL_SECONDS).',
      security: BearerAuth,
      response: { 204: Type.Null(), ...errorResponses(401) },
    },
  }, async (request, reply) => {
    await auth.logoutEverywhere(principalOf(request).userId);
    return reply.status(204).send(null);
  });

  app.get('/me', {
    onRequest: guards.authenticate,
    schema: { tags: ['auth'], summary: 'The logged-in user', security: BearerAuth, response: { 200: UserSchema, ...errorResponses(401, 404) } },
  }, async (request) => {
    const user = await auth.getUser(principalOf(request).userId);
    if (!user) throw notFound('user');
    return user;
  });
}
