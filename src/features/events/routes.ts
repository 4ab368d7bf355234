import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BearerAuth, IdParams, errorResponses } from '../../http/schemas.js';
import type { Access } from '../auth/access.js';
import { callerOf, type Guards } from '../auth/guard.js';
import type { FastifyRequest } from 'fastify';
import type { EventService } from './events.js';
import { CreateEventBody, EventSchema, EventStatsSchema, EventPageSchema, ListEventsQuery, RaiseCapacityBody, SectionAccountingSchema, SectionParams, SeatListSchema, UpdateEventBody } from './schemas.js';

export interface EventRoutesOptions {
  events: EventService;
  guards: Guards;
  access: Access;
  /** The waiting room's figures for the dashboard (null without a waiting room). */
  queueFigures: (eventId: string) => Promise<unknown>;
  /** Money taken, given back and kept for the event (the order desk's), in minor units. */
  revenueOf: (eventId: string) => Promise<{ gross: number; refunded: number; net: number; currency: string | null }>;
  /** Tickets admitted at the door, by section id (the check-in feature's). */
  checkedInBySection: (eventId: string) => Promise<ReadonlyMap<string, number>>;
}

export const eventRoutes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (app, { events, guards, access, queueFigures, revenueOf, checkedInBySection }) => {
  const theEvent = (request: FastifyRequest) => ({ event: (request.params as { id: string }).id });
  /** Drafts are shown to the event's team (and the platform admin), like the rest of it to anyone. */
  const mayViewDrafts = async (request: FastifyRequest & { params: { id: string } }) =>
    request.caller !== null && (await access.allows(request.caller, 'events.view', { event: request.params.id }));

  app.post('/events', {
    onRequest: guards.authenticateCaller,
    schema: {
      tags: ['events'],
      summary: 'Create an event with its sections (owner or manager of its organization)',
      description: 'A section is general admission (`capacity`) or reserved (`rows` of seats, each row a seat count or a list of seats with map coordinates). `organizationId` is required when the caller belongs to more than one organization; the venue must be that organization\'s.',
      security: BearerAuth,
      body: CreateEventBody,
      response: { 201: Type.Ref(EventSchema), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const { organizationId, ...event } = request.body;
    const organization = await access.organizationFor(callerOf(request), 'events.manage', organizationId);
    return reply.status(201).send((await events.create(event, organization)) as never);
  });

  app.patch('/events/:id', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('events.manage', theEvent),
    schema: {
      tags: ['events'],
      summary: 'Edit, publish or cancel an event (owner or manager)',
      description: 'Cancelling an event cancels every confirmed order for it and refunds it in full.',
      security: BearerAuth,
      params: IdParams,
      body: UpdateEventBody,
      response: { 200: Type.Ref(EventSchema), ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => events.update(request.params.id, request.body) as never);

  app.get('/events', {
    schema: {
      tags: ['events'],
      summary: 'Search published events: ranked by relevance with `q`, soonest first otherwise; with facets and distance',
      description: 'Typo-tolerant, accent- and case-insensitive, the last word a prefix; facets count each facet without its own filter; cursors are keyset (stable while events are added or sold). See docs/search.md.',
      querystring: ListEventsQuery,
      response: { 200: EventPageSchema, ...errorResponses(400) },
    },
  }, async (request) => events.list(request.query) as never);

  app.get('/events/:id', {
    onRequest: guards.authenticateCallerIfPresent,
    schema: {
      tags: ['events'],
      summary: 'One event with live availability per section (a draft: its organization\'s team only)',
      params: IdParams,
      response: { 200: Type.Ref(EventSchema), ...errorResponses(400, 404) },
    },
  }, async (request) => events.get(request.params.id, await mayViewDrafts(request)) as never);

  app.get('/events/:id/seats', {
    onRequest: guards.authenticateCallerIfPresent,
    schema: {
      tags: ['events'],
      summary: 'Every reserved seat of an event with its map position and live status',
      params: IdParams,
      response: { 200: SeatListSchema, ...errorResponses(400, 404) },
    },
  }, async (request) => events.seats(request.params.id, await mayViewDrafts(request)) as never);

  app.get('/events/:id/stats', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('revenue.read', theEvent),
    schema: {
      tags: ['events'],
      summary: 'Sold, held, offered to the waitlist, held back for it, and available per section; the waiting room\'s figures; revenue (owner, manager, finance)',
      description: '`queue` is null for an event without a waiting room.',
      security: BearerAuth,
      params: IdParams,
      response: { 200: EventStatsSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const [accounting, queue, checkedIn, revenue] = await Promise.all([
      events.accounting(request.params.id), queueFigures(request.params.id), checkedInBySection(request.params.id), revenueOf(request.params.id),
    ]);
    const sections = accounting.map((s) => ({ ...s, checkedIn: checkedIn.get(s.sectionId) ?? 0 }));
    return { sections, queue, checkedIn: sections.reduce((sum, s) => sum + s.checkedIn, 0), revenue } as never;
  });

  app.patch('/events/:id/sections/:sectionId', {
    onRequest: guards.authenticateCaller,
    preHandler: guards.permit('events.manage', theEvent),
    schema: {
      tags: ['events'],
      summary: 'Change a section (owner or manager): a general-admission section\'s capacity (new tickets go to the waitlist first; lowering takes only tickets on sale), and its ticket types',
      description: '409 `invalid_capacity` (with `details.minimum`) for a capacity below the tickets sold, held, offered or kept for the waitlist. `ticketTypes` adds a type (no `id`) or changes one (`id`, only the fields sent); a type is never deleted (tickets name it): make it `hidden`. 409 `invalid_quota` (with `details.minimum`) for a quota below the type\'s tickets held and sold.',
      security: BearerAuth,
      params: SectionParams,
      body: RaiseCapacityBody,
      response: { 200: SectionAccountingSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => events.changeSection(request.params.id, request.params.sectionId, request.body));
};
