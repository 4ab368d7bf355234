import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { BearerAuth, IdParams, Nullable, StrictObject, Text, TimestampOut, Uuid, errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import { orgRoles } from '../auth/access.js';
import type { ApiKeys } from '../auth/api-keys.js';
import { callerOf, principalOf, type Guards } from '../auth/guard.js';
import { SessionSchema } from '../auth/routes.js';
import type { OrganizationService } from './organizations.js';

export const OrgRoleSchema = Type.Union(orgRoles.map((role) => Type.Literal(role)));
export const OrganizationSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  role: Nullable(OrgRoleSchema),
});
export const MemberSchema = Type.Object({ userId: Uuid, email: Type.String(), name: Type.String(), role: OrgRoleSchema, createdAt: TimestampOut });
export const InvitationSchema = Type.Object({ id: Uuid, email: Type.String(), role: OrgRoleSchema, expiresAt: TimestampOut, createdAt: TimestampOut });
export const ApiKeySchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  role: OrgRoleSchema,
  prefix: Type.String({ description: 'The key\'s first characters, to tell keys apart' }),
  createdAt: TimestampOut,
  lastUsedAt: Nullable(TimestampOut),
  revokedAt: Nullable(TimestampOut),
});
const Email = Type.String({ format: 'email', maxLength: 254 });
export const MemberParams = StrictObject({ id: Uuid, userId: Uuid });
export const ApiKeyParams = StrictObject({ id: Uuid, keyId: Uuid });
export const InvitationParams = StrictObject({ id: Uuid, invitationId: Uuid });
export const OrganizationListSchema = Type.Object({ items: Type.Array(OrganizationSchema) });
export const MembersSchema = Type.Object({ items: Type.Array(MemberSchema), invitations: Type.Array(InvitationSchema) });
export const MemberBody = StrictObject({ email: Email, role: OrgRoleSchema });
export const RoleBody = StrictObject({ role: OrgRoleSchema });
export const ApiKeyBody = StrictObject({ name: Text(), role: OrgRoleSchema });
export const NewApiKeySchema = Type.Object({ ...ApiKeySchema.properties, key: Type.String() });
export const ApiKeyListSchema = Type.Object({ items: Type.Array(ApiKeySchema) });
export const AcceptBody = StrictObject({
  token: Type.String({ minLength: 1, maxLength: limits.invitationTokenLengthMax }),
  name: Type.Optional(Text()),
  password: Type.Optional(Type.String({ minLength: limits.passwordLengthMin, maxLength: limits.passwordLengthMax })),
});
export const JoinedSchema = Type.Object({ organization: OrganizationSchema });

export interface OrganizationRoutesOptions {
  organizations: OrganizationService;
  apiKeys: ApiKeys;
  guards: Guards;
  /** ORGANIZER_SIGNUP: whether any logged-in user may create an organization. */
  signupOpen: boolean;
}

export const organizationRoutes: FastifyPluginAsyncTypebox<OrganizationRoutesOptions> = async (app, { organizations, apiKeys, guards, signupOpen }) => {
  const theOrganization = (request: FastifyRequest) => ({ organization: (request.params as { id: string }).id });
  const owner = { onRequest: guards.authenticateCaller, preHandler: guards.permit('organization.manage', theOrganization) };
  /** Who did it, for the record: a person, or nobody (an API key). */
  const actingUser = (request: FastifyRequest) => { const caller = callerOf(request); return caller.kind === 'user' ? caller.userId : null; };

  app.post('/organizations', {
    onRequest: guards.authenticate,
    schema: {
      tags: ['organizations'],
      summary: 'Create an organization; its creator becomes its owner (platform admin, or anyone logged in when ORGANIZER_SIGNUP=open)',
      security: BearerAuth,
      body: StrictObject({ name: Text() }),
      response: { 201: OrganizationSchema, ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    if (principal.role !== 'admin' && !signupOpen) throw new AppError('forbidden', 'Organizations are created by the platform admin on this installation.');
    return reply.status(201).send(await organizations.create(request.body.name, principal.userId));
  });

  app.get('/organizations', {
    onRequest: guards.authenticateCaller,
    schema: {
      tags: ['organizations'],
      summary: 'The caller\'s organizations with the caller\'s role in each (the platform admin: every one; an API key: its own)',
      security: BearerAuth,
      response: { 200: OrganizationListSchema, ...errorResponses(401) },
    },
  }, async (request) => ({ items: await organizations.list(callerOf(request)) }));

  app.get('/organizations/:id/members', {
    ...owner,
    schema: {
      tags: ['organizations'],
      summary: 'Members and their roles, and the invitations not yet used (owner)',
      security: BearerAuth,
      params: IdParams,
      response: { 200: MembersSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => organizations.members(request.params.id));

  app.post('/organizations/:id/members', {
    ...owner,
    schema: {
      tags: ['organizations'],
      summary: 'Add a member (owner): an account with the email joins at once (201); anyone else is emailed a single-use invitation link (202)',
      description: `The link creates the account and joins it (POST /invitations/accept); it expires after ${limits.invitationTtlSeconds / 86_400} days.`,
      security: BearerAuth,
      params: IdParams,
      body: MemberBody,
      response: { 201: MemberSchema, 202: InvitationSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const added = await organizations.addMember(request.params.id, request.body, actingUser(request));
    return 'member' in added ? reply.status(201).send(added.member) : reply.status(202).send(added.invitation);
  });

  app.patch('/organizations/:id/members/:userId', {
    ...owner,
    schema: {
      tags: ['organizations'],
      summary: 'Change a member\'s role (owner); the last owner cannot be demoted',
      security: BearerAuth,
      params: MemberParams,
      body: RoleBody,
      response: { 200: MemberSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => organizations.changeRole(request.params.id, request.params.userId, request.body.role));

  app.delete('/organizations/:id/members/:userId', {
    ...owner,
    schema: {
      tags: ['organizations'],
      summary: 'Remove a member (owner); the last owner cannot be removed',
      security: BearerAuth,
      params: MemberParams,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    await organizations.removeMember(request.params.id, request.params.userId);
    return reply.status(204).send(null);
  });

  app.delete('/organizations/:id/invitations/:invitationId', {
    ...owner,
    schema: {
      tags: ['organizations'],
      summary: 'Withdraw an invitation not yet used (owner): its link is then refused like an expired one (410)',
      security: BearerAuth,
      params: InvitationParams,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    await organizations.revokeInvitation(request.params.id, request.params.invitationId);
    return reply.status(204).send(null);
  });

  app.post('/invitations/accept', {
    onRequest: guards.authenticateIfPresent,
    schema: {
      tags: ['organizations'],
      summary: 'Use an invitation link: logged in as the invited address, join (200); logged out, create that account and join (201, with a session)',
      description: 'Each link works once and until it expires (409 `invitation_used`, 410 `invitation_expired`); a link for another address is 404.',
      body: AcceptBody,
      response: {
        200: JoinedSchema,
        201: Type.Object({ organization: OrganizationSchema, session: SessionSchema }),
        ...errorResponses(400, 401, 404, 409, 410),
      },
    },
  }, async (request, reply) => {
    const { token, name, password } = request.body;
    if (request.principal) return organizations.acceptInvitation(token, { userId: request.principal.userId });
    if (name === undefined || password === undefined) {
      throw new AppError('validation_failed', 'To create the account, send a name and a password (or log in first).', {
        fields: [{ in: 'body', field: name === undefined ? '/name' : '/password', message: 'required to create the account' }],
      });
    }
    return reply.status(201).send(await organizations.acceptInvitation(token, { account: { name, password } }) as never);
  });

  app.post('/organizations/:id/api-keys', {
    ...owner,
    schema: {
      tags: ['organizations'],
      summary: 'Make an API key that acts with its role in this organization (owner); the key is shown once',
      description: 'Send it as `Authorization: Bearer onsk_…`. Only its hash is stored.',
      security: BearerAuth,
      params: IdParams,
      body: ApiKeyBody,
      response: { 201: NewApiKeySchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => reply.status(201).send(await apiKeys.create(request.params.id, request.body, actingUser(request))));

  app.get('/organizations/:id/api-keys', {
    ...owner,
    schema: {
      tags: ['organizations'],
      summary: 'The organization\'s API keys, revoked ones included, newest first (owner; keys are not shown)',
      security: BearerAuth,
      params: IdParams,
      response: { 200: ApiKeyListSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => ({ items: await apiKeys.list(request.params.id) }));

  app.delete('/organizations/:id/api-keys/:keyId', {
    ...owner,
    schema: {
      tags: ['organizations'],
      summary: 'Revoke an API key (owner): its next request gets 401',
      security: BearerAuth,
      params: ApiKeyParams,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    await apiKeys.revoke(request.params.id, request.params.keyId);
    return reply.status(204).send(null);
  });
};
