import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { Access, Caller, Permission, ResourceRef } from './access.js';
import { apiKeyPrefix, type ApiKeys } from './api-keys.js';
import type { AccessTokens, Principal } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Set by `authenticateCaller`: a person or an organization's API key. */
    caller: Caller | null;
  }
}

export interface Guards {
  /** onRequest hook (before the body is read): requires a valid access token (401 otherwise). */
  authenticate(request: FastifyRequest): Promise<void>;
  /** onRequest hook: authenticates if a token is sent, and lets anonymous requests through. */
  authenticateIfPresent(request: FastifyRequest): Promise<void>;
  /** onRequest hook: requires the platform admin's access token (401 without one, 403 for anyone else). */
  requireAdmin(request: FastifyRequest): Promise<void>;
  /** onRequest hook: requires an access token or an organization's API key (`Bearer onsk_…`). */
  authenticateCaller(request: FastifyRequest): Promise<void>;
  /** onRequest hook: like `authenticateCaller`, and lets anonymous requests through. */
  authenticateCallerIfPresent(request: FastifyRequest): Promise<void>;
  /**
   * preHandler (after validation, so ids are UUIDs) for a route guarded by `authenticateCaller`:
   * the caller's role in the resource's organization must carry the permission (access.ts: 404
   * for another organization's resource, 403 for a role without it).
   */
  permit(permission: Permission, resource: (request: FastifyRequest) => ResourceRef): (request: FastifyRequest) => Promise<void>;
}

/**
 * The access token of a request: `Authorization: Bearer …` only. A token in a URL would be written
 * to proxy logs and browser history; browsers, which cannot set headers on a WebSocket, open the
 * live socket with a single-use ticket instead (live-tickets.ts).
 */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/.exec(header);
  if (!match) throw new AppError('invalid_token', 'The Authorization header must be "Bearer <access token>".');
  return match[1];
}

const loginFirst = () => new AppError('unauthorized', 'Log in first: send "Authorization: Bearer <access token>".');

export const callerOfPrincipal = (principal: Principal): Caller => ({ kind: 'user', userId: principal.userId, platformAdmin: principal.role === 'admin' });

export function createGuards(tokens: AccessTokens, apiKeys: ApiKeys, access: Access): Guards {
  const authenticateIfPresent = async (request: FastifyRequest) => {
    const token = bearerToken(request);
    request.principal = token === undefined ? null : tokens.verify(token);
    request.caller = request.principal && callerOfPrincipal(request.principal);
  };
  const authenticate = async (request: FastifyRequest) => {
    await authenticateIfPresent(request);
    if (!request.principal) throw loginFirst();
  };
  const authenticateCallerIfPresent = async (request: FastifyRequest) => {
    const token = bearerToken(request);
    if (token?.startsWith(apiKeyPrefix)) {
      request.principal = null;
      request.caller = await apiKeys.verify(token);
    } else {
      await authenticateIfPresent(request);
    }
  };
  return {
    authenticate,
    authenticateIfPresent,
    authenticateCaller: async (request) => {
      await authenticateCallerIfPresent(request);
      if (!request.caller) throw loginFirst();
    },
    authenticateCallerIfPresent,
    async requireAdmin(request) {
      await authenticateCallerIfPresent(request);
      if (!request.caller) throw loginFirst();
      if (request.principal?.role !== 'admin') throw new AppError('forbidden', 'Only the platform admin may do this.');
    },
    permit: (permission, resource) => async (request) => {
      await access.require(callerOf(request), permission, resource(request));
    },
  };
}

/** The caller of a route guarded by `authenticate`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'Log in first.');
  return request.principal;
}

/** The caller of a route guarded by `authenticateCaller`. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new AppError('unauthorized', 'Log in first.');
  return request.caller;
}
