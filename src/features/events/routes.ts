import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { BearerAuth, IdParams, errorResponses } from '../../http/schemas.js';
import type { Guards } from '../auth/guard.js';
import type { EventService } from './events.js';
import { CreateEventBody, EventSchema, EventStatsSchema, EventPageSchema, ListEventsQuery, RaiseCapacityBody, SectionAccountingSchema, SectionParams, SeatListSchema, UpdateEventBody } from './schemas.js';

export interface EventRoutesOptions {
  events: EventService;
  guards: Guards;
  /** The waiting room's figures for the dashboard (null without a waiting room). */
  queueFigures: (eventId: string) => Promise<unknown>;
  /** Tickets admitted at the door, by section id (the check-in feature's). */
  checkedInBySection: (eventId: string) => Promise<ReadonlyMap<string, number>>;
}

export const eventRoutes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (app, { events, guards, queueFigures, checkedInBySection }) => {
  const isAdmin = (principal: { role: string } | null) => principal?.role === 'admin';

  app.post('/events', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['events'],
      summary: 'Create an event with its sections (admin)',
      description: 'A section is general admission (`capacity`) or reserved (`rows` of seats, each row a seat count or a list of seats with map coordinates).',
      security: BearerAuth,
      body: CreateEventBody,
      response: { 201: Type.Ref(EventSchema), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    return reply.status(201).send((await events.create(request.body)) as never);
  });

  app.patch('/events/:id', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['events'],
      summary: 'Edit, publish or cancel an event (admin)',
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
    onRequest: guards.authenticateIfPresent,
    schema: {
      tags: ['events'],
      summary: 'One event with live availability per section',
      params: IdParams,
      response: { 200: Type.Ref(EventSchema), ...errorResponses(400, 404) },
    },
  }, async (request) => events.get(request.params.id, isAdmin(request.principal)) as never);

  app.get('/events/:id/seats', {
    onRequest: guards.authenticateIfPresent,
    schema: {
      tags: ['events'],
      summary: 'Every reserved seat of an event with its map position and live status',
      params: IdParams,
      response: { 200: SeatListSchema, ...errorResponses(400, 404) },
    },
  }, async (request) => events.seats(request.params.id, isAdmin(request.principal)) as never);

  app.get('/events/:id/stats', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['events'],
      summary: 'Sold, held, offered to the waitlist, held back for it, and available per section; the waiting room\'s figures (admin)',
      description: '`queue` is null for an event without a waiting room.',
      security: BearerAuth,
      params: IdParams,
      response: { 200: EventStatsSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const [accounting, queue, checkedIn] = await Promise.all([events.accounting(request.params.id), queueFigures(request.params.id), checkedInBySection(request.params.id)]);
    const sections = accounting.map((s) => ({ ...s, checkedIn: checkedIn.get(s.sectionId) ?? 0 }));
    return { sections, queue, checkedIn: sections.reduce((sum, s) => sum + s.checkedIn, 0) } as never;
  });

  app.patch('/events/:id/sections/:sectionId', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['events'],
      summary: 'Change a general-admission section\'s capacity (admin): new tickets go to the waitlist first; lowering takes only tickets on sale',
      description: '409 `invalid_capacity` (with `details.minimum`) for a capacity below the tickets sold, held, offered or kept for the waitlist.',
      security: BearerAuth,
      params: SectionParams,
      body: RaiseCapacityBody,
      response: { 200: SectionAccountingSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => events.changeCapacity(request.params.id, request.params.sectionId, request.body.capacity));
};
