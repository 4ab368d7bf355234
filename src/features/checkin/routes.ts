import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { BearerAuth, IdParams, StrictObject, Uuid, errorResponses } from '../../http/schemas.js';
import type { Access } from '../auth/access.js';
import type { Guards } from '../auth/guard.js';
import { authorizeScanner, identifyScanner, type Scanner } from './access.js';
import type { CheckinService, TicketRef } from './checkin.js';
import {
  CheckinBody, CheckinListQuery, EntriesQuery, EntriesSchema, CheckinListSchema, CheckinOkSchema, DeviceBody, NewDeviceSchema, OfflineBatchBody, OfflineBatchSchema, PublicKeysSchema,
} from './schemas.js';
import type { TicketSigner } from './signing.js';

declare module 'fastify' {
  interface FastifyRequest {
    scanner: Scanner | null;
  }
}

export interface CheckinRoutesOptions {
  checkin: CheckinService;
  signer: TicketSigner;
  guards: Guards;
  access: Access;
}

/** Exactly one of `code` and `qr`. */
function ticketRef(body: { code?: string | undefined; qr?: string | undefined }, at: string): TicketRef {
  if ((body.code === undefined) === (body.qr === undefined)) {
    throw new AppError('validation_failed', 'Send either a ticket code or a QR payload.', { fields: [{ in: 'body', field: `${at}/code`, message: 'send exactly one of code and qr' }] });
  }
  return body.code !== undefined ? { code: body.code } : { qr: body.qr! };
}

export const checkinRoutes: FastifyPluginAsyncTypebox<CheckinRoutesOptions> = async (app, { checkin, signer, guards, access }) => {
  app.decorateRequest('scanner', null);
  const scannerAccess = { guards, access, deviceByToken: checkin.deviceByToken };
  const eventIdOf = (request: FastifyRequest) => (request.params as { id?: string }).id ?? '';
  const requireScanner = {
    onRequest: async (request: FastifyRequest) => {
      request.scanner = await identifyScanner(request, eventIdOf(request), scannerAccess);
    },
    preHandler: async (request: FastifyRequest) => {
      request.scanner = await authorizeScanner(request, eventIdOf(request), request.scanner, scannerAccess);
    },
  };
  const theEvent = (request: FastifyRequest) => ({ event: (request.params as { id: string }).id });
  const scannerOf = (request: FastifyRequest) => request.scanner!;

  app.get('/events/:id/checkin/key', {
    schema: {
      tags: ['checkin'],
      summary: 'The Ed25519 public keys that verify tickets\' QR payloads (anyone), the active one first',
      description: 'Retired keys stay listed: a QR signed before a rotation still verifies. See docs/checkin.md.',
      params: IdParams,
      response: { 200: PublicKeysSchema, ...errorResponses(400) },
    },
  }, async () => ({ keys: await signer.publicKeys() }));

  app.post('/admin/checkin/keys/rotate', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['checkin'],
      summary: 'Retire the active signing key and make a new one (platform admin); old QR codes keep verifying',
      security: BearerAuth,
      response: { 201: PublicKeysSchema.properties.keys.items, ...errorResponses(401, 403) },
    },
  }, async (_request, reply) => reply.status(201).send(await signer.rotate()));

  app.post('/events/:id/checkin/devices', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('checkin.devices', theEvent),
    schema: {
      tags: ['checkin'],
      summary: 'Register a check-in device for the event (owner, manager, door); its token is shown once',
      security: BearerAuth,
      params: IdParams,
      body: DeviceBody,
      response: { 201: NewDeviceSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => reply.status(201).send(await checkin.createDevice(request.params.id, request.body.name)));

  app.delete('/events/:id/checkin/devices/:deviceId', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('checkin.devices', theEvent),
    schema: {
      tags: ['checkin'],
      summary: 'Revoke a check-in device (owner, manager, door): its token stops working at once',
      security: BearerAuth,
      params: StrictObject({ id: Uuid, deviceId: Uuid }),
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    await checkin.revokeDevice(request.params.id, request.params.deviceId);
    return reply.status(204).send(null);
  });

  app.post('/events/:id/checkins', {
    ...requireScanner,
    schema: {
      tags: ['checkin'],
      summary: 'Check a ticket in by code or QR payload (a device of the event, or its owner, manager, box office or door); each ticket is admitted once',
      security: BearerAuth,
      params: IdParams,
      body: CheckinBody,
      response: { 201: CheckinOkSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const result = await checkin.checkIn(scannerOf(request), request.params.id, ticketRef(request.body, ''), request.body.gate ?? null);
    return reply.status(201).send(result);
  });

  app.post('/events/:id/checkins/batch', {
    ...requireScanner,
    schema: {
      tags: ['checkin'],
      summary: 'Upload scans made offline; idempotent by clientScanId, the earliest scan of a ticket wins',
      security: BearerAuth,
      params: IdParams,
      body: OfflineBatchBody,
      response: { 200: OfflineBatchSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    request.body.forEach((scan, i) => ticketRef(scan, `/${i}`));
    return { results: await checkin.uploadOffline(scannerOf(request), request.params.id, request.body) };
  });

  app.get('/events/:id/checkin/list', {
    ...requireScanner,
    schema: {
      tags: ['checkin'],
      summary: 'Every valid ticket and the check-ins, for scanning offline (a device of the event, or its owner, manager, box office or door)',
      description: 'Pass the returned `cursor` back to get only the check-ins changed since (reverted ones with `reverted: true`).',
      security: BearerAuth,
      params: IdParams,
      querystring: CheckinListQuery,
      response: { 200: CheckinListSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => checkin.list(request.params.id, request.query.cursor === undefined ? undefined : Number(request.query.cursor)));

  app.get('/events/:id/checkin/entries', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('checkin.scan', theEvent),
    schema: {
      tags: ['checkin'],
      summary: 'Tickets admitted per minute, oldest first (owner, manager, box office, door): the live dashboard\'s door figure',
      security: BearerAuth,
      params: IdParams,
      querystring: EntriesQuery,
      response: { 200: EntriesSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => ({ items: await checkin.entriesPerMinute(request.params.id, request.query.minutes ?? 60) }));

  app.delete('/checkins/:id', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('checkin.scan', (request) => ({ checkin: (request.params as { id: string }).id })),
    schema: {
      tags: ['checkin'],
      summary: 'Revert a mistaken check-in (owner, manager, box office, door): the ticket can be scanned again',
      security: BearerAuth,
      params: IdParams,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    await checkin.revert(request.params.id);
    return reply.status(204).send(null);
  });
};
