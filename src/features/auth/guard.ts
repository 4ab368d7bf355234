import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { AccessTokens, Principal } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface Guards {
  /** onRequest hook (before the body is read): requires a valid access token (401 otherwise). */
  authenticate(request: FastifyRequest): Promise<void>;
  /** onRequest hook: authenticates if a token is sent, and lets anonymous requests through. */
  authenticateIfPresent(request: FastifyRequest): Promise<void>;
  /** onRequest hook: requires an admin's access token (401 without one, 403 for a buyer). */
  requireAdmin(request: FastifyRequest): Promise<void>;
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

export function createGuards(tokens: AccessTokens): Guards {
  const authenticateIfPresent = async (request: FastifyRequest) => {
    const token = bearerToken(request);
    request.principal = token === undefined ? null : tokens.verify(token);
  };
  const authenticate = async (request: FastifyRequest) => {
    await authenticateIfPresent(request);
    if (!request.principal) throw new AppError('unauthorized', 'Log in first: send "Authorization: Bearer <access token>".');
  };
  return {
    authenticate,
    authenticateIfPresent,
    async requireAdmin(request) {
      await authenticate(request);
      if (request.principal?.role !== 'admin') throw new AppError('forbidden', 'Only an organizer (admin) may do this.');
    },
  };
}

/** The caller of a route guarded by `authenticate`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'Log in first.');
  return request.principal;
}
