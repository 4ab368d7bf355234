import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BearerAuth, IdParams, Nullable, StrictObject, TimestampOut, Uuid, errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import type { Access } from '../auth/access.js';
import { callerOf, principalOf } from '../auth/guard.js';
import type { Guards } from '../auth/guard.js';
import type { LiveTickets } from '../auth/live-tickets.js';
import type { NotificationService } from './dispatcher.js';
import type { LiveHub, LiveNotification } from './live.js';

const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('parked')]);

const DeliverySchema = Type.Object({
  id: Uuid,
  outboxId: Uuid,
  type: Type.String(),
  channel: Type.Union([Type.Literal('email'), Type.Literal('webhook'), Type.Literal('live')]),
  target: Type.String(),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  nextAttemptAt: TimestampOut,
  lastError: Nullable(Type.String()),
  deliveredAt: Nullable(TimestampOut),
  createdAt: TimestampOut,
});

const WebhookSchema = Type.Object({ id: Uuid, url: Type.String(), eventId: Nullable(Uuid), active: Type.Boolean(), createdAt: TimestampOut });

export interface NotificationRoutesOptions {
  notifications: NotificationService;
  guards: Guards;
  access: Access;
  live: LiveHub;
  liveTickets: LiveTickets;
}

export const notificationRoutes: FastifyPluginAsyncTypebox<NotificationRoutesOptions> = async (app, { notifications, guards, access, live, liveTickets }) => {

  app.get('/admin/deliveries', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['notifications'],
      summary: 'Notification deliveries, newest first (platform admin); `status=parked` lists the ones that gave up',
      security: BearerAuth,
      querystring: StrictObject({ status: Type.Optional(DeliveryStatus), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.pageSizeMax })) }),
      response: { 200: Type.Object({ items: Type.Array(DeliverySchema) }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => ({ items: await notifications.listDeliveries(request.query.status, request.query.limit ?? limits.pageSizeDefault) }));

  app.post('/admin/deliveries/:id/retry', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['notifications'],
      summary: 'Retry a parked delivery with a fresh set of attempts (platform admin)',
      security: BearerAuth,
      params: IdParams,
      response: { 200: DeliverySchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => notifications.retry(request.params.id));

  app.post('/admin/webhooks', {
    onRequest: guards.authenticateCaller,
    // One event's: its owner or manager. Every event's (no eventId) spans organizations: the platform admin.
    preHandler: async (request) => {
      const { eventId } = request.body as { eventId?: string };
      if (eventId !== undefined) await access.require(callerOf(request), 'events.manage', { event: eventId });
      else await guards.requireAdmin(request);
    },
    schema: {
      tags: ['notifications'],
      summary: 'Register a webhook endpoint for one event (its owner or manager) or all (platform admin)',
      description: 'Each delivery is a JSON POST signed with `Onsale-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` using the secret returned here (shown once). See docs/notifications.md.',
      security: BearerAuth,
      body: StrictObject({
        url: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 }),
        eventId: Type.Optional(Uuid),
        secret: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })),
      }),
      response: { 201: Type.Object({ ...WebhookSchema.properties, secret: Type.String() }), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => reply.status(201).send(await notifications.addWebhook(request.body)));

  app.get('/admin/webhooks', {
    onRequest: guards.authenticateCaller,
    // One event's: its owner or manager. All of them: the platform admin.
    preHandler: async (request) => {
      const { eventId } = request.query as { eventId?: string };
      if (eventId !== undefined) await access.require(callerOf(request), 'events.manage', { event: eventId });
      else await guards.requireAdmin(request);
    },
    schema: {
      tags: ['notifications'],
      summary: 'Webhook endpoints of one event (its owner or manager) or all (platform admin); secrets are not shown',
      security: BearerAuth,
      querystring: StrictObject({ eventId: Type.Optional(Uuid) }),
      response: { 200: Type.Object({ items: Type.Array(WebhookSchema) }), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => ({ items: await notifications.listWebhooks(request.query.eventId) }));

  app.get('/me/inbox', {
    onRequest: guards.authenticate,
    schema: {
      tags: ['notifications'],
      summary: 'Emails sent to you by the development transport (empty when SMTP is configured)',
      security: BearerAuth,
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Uuid, to: Type.String(), subject: Type.String(), body: Type.String(), createdAt: TimestampOut })) }), ...errorResponses(401) },
    },
  }, async (request) => ({ items: await notifications.inbox(principalOf(request).userId) }));

  app.post('/me/live/ticket', {
    onRequest: guards.authenticate,
    schema: {
      tags: ['notifications'],
      summary: 'A single-use ticket that opens your live socket (GET /me/live?ticket=…)',
      description: `Browsers cannot set headers on a WebSocket, and an access token in a URL would end up in logs. The ticket opens one socket, within ${limits.liveTicketTtlSeconds} s.`,
      security: BearerAuth,
      response: { 201: Type.Object({ ticket: Type.String(), expiresAt: TimestampOut }), ...errorResponses(401) },
    },
  }, async (request, reply) => reply.status(201).send(await liveTickets.issue(principalOf(request).userId)));

  app.get('/me/live', {
    websocket: true,
    // A ticket, or for clients that can set headers on the upgrade, `Authorization: Bearer`.
    onRequest: async (request) => {
      const { ticket } = request.query as { ticket?: unknown };
      if (typeof ticket === 'string') request.principal = await liveTickets.redeem(ticket);
      else await guards.authenticate(request);
    },
    schema: {
      tags: ['notifications'],
      summary: 'Your notifications, live (WebSocket)',
      description: 'Pushes `{kind:"notification", id, type, eventId, payload, createdAt}` for every notification the outbox delivers to you while the socket is open; `id` is stable, so drop duplicates. Open it with `?ticket=` from `POST /me/live/ticket`, or with an `Authorization: Bearer` header where the client can set one.',
      querystring: StrictObject({ ticket: Type.Optional(Type.String({ minLength: 1, maxLength: limits.liveTicketLengthMax })) }),
      response: errorResponses(400, 401),
    },
  }, (socket, request) => {
    const unsubscribe = live.subscribe(principalOf(request).userId, (message) => {
      const notification: LiveNotification = { kind: 'notification', ...message };
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(notification));
    });
    socket.on('close', unsubscribe);
  });
}
