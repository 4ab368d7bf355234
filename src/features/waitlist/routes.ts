import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Guards } from '../auth/guard.js';
import type { WaitlistService } from './waitlist.js';
import { Type } from '@sinclair/typebox';
import { BearerAuth, IdParams, StrictObject, TimestampOut, Uuid, errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import { principalOf } from '../auth/guard.js';
import { WaitlistSummarySchema } from './summary.js';

export const WaitlistEntrySchema = Type.Object({
  id: Uuid,
  eventId: Uuid,
  position: Type.Integer({ description: '1 = served next; 0 once the entry is no longer waiting. Each node reads the line at most a second apart, so a place may lag a move made elsewhere by that long; the status is always current' }),
  quantity: Type.Integer(),
  sectionId: Type.Optional(Uuid),
  status: Type.Union([
    Type.Literal('waiting'), Type.Literal('offered'), Type.Literal('converted'), Type.Literal('left'),
    Type.Literal('declined'), Type.Literal('lapsed'), Type.Literal('cancelled'),
  ]),
  offer: Type.Optional(Type.Object({ holdId: Uuid, expiresAt: TimestampOut }, { description: 'The hold made for you: check it out like any hold' })),
  createdAt: TimestampOut,
});

export const JoinBody = StrictObject({
  sectionId: Type.Optional(Uuid),
  quantity: Type.Integer({ minimum: 1, maximum: limits.ticketsPerOrderMax }),
});

export const waitlistRoutes: FastifyPluginAsyncTypebox<{ waitlist: WaitlistService; guards: Guards }> = async (app, { waitlist, guards }) => {
  app.post('/events/:id/waitlist', {
    onRequest: guards.authenticate,
    schema: {
      tags: ['waitlist'],
      summary: 'Join the waitlist of a sold-out section (or of the whole event)',
      description:
        'Allowed only when the section (or every section of the event) is sold out; otherwise 409 `tickets_available`. ' +
        'Returned tickets are offered to entries in join order as an exclusive hold for `offerTtlSeconds`; see docs/waitlist.md.',
      security: BearerAuth,
      params: IdParams,
      body: JoinBody,
      response: { 201: WaitlistEntrySchema, ...errorResponses(400, 401, 404, 409) },
    },
  }, async (request, reply) => {
    const entry = await waitlist.join(principalOf(request).userId, request.params.id, request.body);
    return reply.status(201).send(entry);
  });

  app.get('/events/:id/waitlist', {
    onRequest: guards.authenticate,
    schema: { tags: ['waitlist'], summary: 'Your waitlist entry for the event: position and status', security: BearerAuth, params: IdParams, response: { 200: WaitlistEntrySchema, ...errorResponses(400, 401, 404) } },
  }, async (request) => waitlist.get(principalOf(request).userId, request.params.id));

  app.get('/events/:id/waitlist/summary', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('events.manage', (request) => ({ event: (request.params as { id: string }).id })),
    schema: {
      tags: ['waitlist'],
      summary: 'The event\'s waitlist per section: entries waiting, offers open, converted, lapsed and declined (owner or manager)',
      security: BearerAuth,
      params: IdParams,
      response: { 200: WaitlistSummarySchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => waitlist.summary(request.params.id));

  app.delete('/events/:id/waitlist', {
    onRequest: guards.authenticate,
    schema: { tags: ['waitlist'], summary: 'Leave the waitlist (an open offer is declined)', security: BearerAuth, params: IdParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 404) } },
  }, async (request, reply) => {
    await waitlist.leave(principalOf(request).userId, request.params.id);
    return reply.status(204).send(null);
  });

  app.post('/waitlist/offers/:id/decline', {
    onRequest: guards.authenticate,
    schema: {
      tags: ['waitlist'],
      summary: 'Decline a waitlist offer: its tickets go to the next entry at once',
      security: BearerAuth,
      params: IdParams,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 409) },
    },
  }, async (request, reply) => {
    await waitlist.decline(principalOf(request).userId, request.params.id);
    return reply.status(204).send(null);
  });
}
