import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BearerAuth, IdParams, Nullable, StrictObject, Text, Uuid, errorResponses } from '../../http/schemas.js';
import type { Access } from '../auth/access.js';
import { callerOf, type Guards } from '../auth/guard.js';
import type { VenueService } from './venues.js';

export const VenueSchema = Type.Object({
  id: Uuid,
  organizationId: Uuid,
  name: Type.String(),
  city: Type.String(),
  address: Nullable(Type.String()),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  timeZone: Type.String({ description: 'IANA time zone of the venue: event times are shown in it' }),
});

/** Every IANA zone this server's Intl knows (and UTC, which some runtimes list apart). */
const timeZones = [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])];

export const VenueListSchema = Type.Object({ items: Type.Array(VenueSchema) });
export const VenueListQuery = StrictObject({ organizationId: Type.Optional(Uuid) });
export const NewVenueBody = StrictObject({
  organizationId: Type.Optional(Uuid),
  name: Text(),
  city: Text(),
  address: Type.Optional(Text({ maxLength: 500 })),
  latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
  longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  timeZone: Type.Optional(Type.Union(timeZones.map((zone) => Type.Literal(zone)), { description: "IANA time zone, e.g. Europe/Lisbon (default: the server's zone)" })),
});

/** Where the venue is: what search's distance and its "near me" read (null clears a value). */
export const UpdateVenueBody = StrictObject({
  address: Type.Optional(Nullable(Text({ maxLength: 500 }))),
  latitude: Type.Optional(Nullable(Type.Number({ minimum: -90, maximum: 90 }))),
  longitude: Type.Optional(Nullable(Type.Number({ minimum: -180, maximum: 180 }))),
}, { minProperties: 1 });

export const venueRoutes: FastifyPluginAsyncTypebox<{ venues: VenueService; guards: Guards; access: Access }> = async (app, { venues, guards, access }) => {
  app.post('/venues', {
    onRequest: guards.authenticateCaller,
    schema: {
      tags: ['venues'],
      summary: 'Create a venue (owner or manager of its organization)',
      description: '`organizationId` is required when the caller belongs to more than one organization.',
      security: BearerAuth,
      body: NewVenueBody,
      response: { 201: VenueSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const { organizationId, ...venue } = request.body;
    const organization = await access.organizationFor(callerOf(request), 'events.manage', organizationId);
    return reply.status(201).send(await venues.create(venue, organization));
  });

  app.patch('/venues/:id', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('events.manage', (request) => ({ venue: (request.params as { id: string }).id })),
    schema: {
      tags: ['venues'],
      summary: "Change a venue's address and coordinates (owner or manager of its organization)",
      description: 'Fields left out keep their value; `null` clears one. Only venues with both coordinates are found by `near`.',
      security: BearerAuth,
      params: IdParams,
      body: UpdateVenueBody,
      response: { 200: VenueSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => venues.update(request.params.id, request.body));

  app.get('/venues', {
    schema: {
      tags: ['venues'],
      summary: 'List venues, or one organization\'s (`organizationId`: the venues an event of it may use)',
      querystring: VenueListQuery,
      response: { 200: VenueListSchema, ...errorResponses(400) },
    },
  }, async (request) => ({ items: await venues.list(request.query.organizationId) }));

  app.get('/venues/:id', {
    schema: { tags: ['venues'], summary: 'One venue', params: IdParams, response: { 200: VenueSchema, ...errorResponses(400, 404) } },
  }, async (request) => venues.get(request.params.id));
};
