import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BearerAuth, IdParams, errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import { principalOf } from '../auth/guard.js';
import type { Guards } from '../auth/guard.js';
import type { QueueService, QueueStatus } from './queue.js';
import { QueueStatusSchema, QueueTicketSchema } from './schemas.js';

export const QueueTokenHeader = Type.String({ minLength: 1, maxLength: limits.queueTokenLengthMax });

const asReply = (status: QueueStatus) => status as never;

export interface QueueRoutesOptions {
  queue: QueueService;
  guards: Guards;
  /** Join attempts per minute, per IP address and per account. */
  joinLimits: { perIpPerMinute: number; perUserPerMinute: number };
}

export const queueRoutes: FastifyPluginAsyncTypebox<QueueRoutesOptions> = async (app, { queue, guards, joinLimits }) => {
  const joinRateLimit = app.limitRate('Too many attempts to join; try again shortly.', [
    { scope: 'join-ip', perMinute: joinLimits.perIpPerMinute, key: (request) => request.ip },
    { scope: 'join-user', perMinute: joinLimits.perUserPerMinute, key: (request) => principalOf(request).userId },
  ]);

  app.post('/events/:id/queue', {
    // The rate limits are counted by the join itself where it can (one Redis: limits and join in one
    // round trip, docs/scaling.md), else by the rate-limit hook first.
    preHandler: [guards.authenticate],
    schema: {
      tags: ['queue'],
      summary: 'Join the waiting room of an event',
      description: 'One place per account: joining again returns the same place. Keep `queueToken`: it is your place, and `POST /holds` needs it (header `X-Queue-Token`) once you are admitted. Joining again with your token in `X-Queue-Token` keeps that place even if the waiting room lost track of it.',
      security: BearerAuth,
      params: IdParams,
      headers: Type.Object({ 'x-queue-token': Type.Optional(QueueTokenHeader) }),
      response: { 201: QueueTicketSchema, ...errorResponses(400, 401, 403, 404, 409, 429) },
    },
  }, async (request, reply) => {
    const token = request.headers['x-queue-token'];
    const counters = queue.countsJoinLimits(token) ? joinRateLimit.counters(request, reply) : undefined;
    if (!counters) await joinRateLimit(request, reply);
    return reply.status(201).send((await queue.join(request.params.id, principalOf(request).userId, token, counters)) as never);
  });

  app.get('/events/:id/queue', {
    schema: {
      tags: ['queue'],
      summary: 'Your place in the waiting room',
      description: 'Answered from the signed token and this node\'s watermark: no database round trip.',
      params: IdParams,
      headers: Type.Object({ 'x-queue-token': QueueTokenHeader }),
      response: { 200: QueueStatusSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => asReply(await queue.status(queue.placeFor(request.params.id, request.headers['x-queue-token']))));

  app.delete('/events/:id/queue', {
    preHandler: guards.authenticate,
    schema: {
      tags: ['queue'],
      summary: 'Leave the waiting room (frees your shopping place if admitted)',
      description: 'Send your token in `X-Queue-Token` (optional) so the place is found even if the waiting room lost track of it.',
      security: BearerAuth,
      params: IdParams,
      headers: Type.Object({ 'x-queue-token': Type.Optional(QueueTokenHeader) }),
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    await queue.leave(request.params.id, principalOf(request).userId, request.headers['x-queue-token']);
    return reply.status(204).send(null);
  });
}
