import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../context.js';
import type { Api } from '../../http/api.js';
import { BearerAuth, IdParams, Nullable, StrictObject, Uuid, errorResponses } from '../../http/schemas.js';
import { notFound } from '../../errors.js';
import { sectionAccounting, seatMap } from '../inventory/availability.js';
import { createEvent, findEvent, getEvent, listEvents, raiseSectionCapacity, updateEvent } from './events.js';
import { CreateEventBody, EventSchema, EventStatsSchema, EventSummarySchema, ListEventsQuery, RaiseCapacityBody, SectionAccountingSchema, SeatSchema, UpdateEventBody } from './schemas.js';

export async function eventRoutes(app: Api, { db, stock, guards, queue, checkout }: AppContext): Promise<void> {
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
    const eventId = await createEvent(db, request.body);
    return reply.status(201).send((await getEvent(db, eventId, true)) as never);
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
  }, async (request) => {
    const owed = await updateEvent(db, stock, request.params.id, request.body);
    queue.invalidate(request.params.id);
    await checkout.settleRefunds(owed);
    return getEvent(db, request.params.id, true) as never;
  });

  app.get('/events', {
    schema: {
      tags: ['events'],
      summary: 'Search published events, soonest first',
      querystring: ListEventsQuery,
      response: { 200: Type.Object({ items: Type.Array(EventSummarySchema), nextCursor: Nullable(Type.String()) }), ...errorResponses(400) },
    },
  }, async (request) => listEvents(db, request.query) as never);

  app.get('/events/:id', {
    onRequest: guards.authenticateIfPresent,
    schema: {
      tags: ['events'],
      summary: 'One event with live availability per section',
      params: IdParams,
      response: { 200: Type.Ref(EventSchema), ...errorResponses(400, 404) },
    },
  }, async (request) => getEvent(db, request.params.id, isAdmin(request.principal)) as never);

  app.get('/events/:id/seats', {
    onRequest: guards.authenticateIfPresent,
    schema: {
      tags: ['events'],
      summary: 'Every reserved seat of an event with its map position and live status',
      params: IdParams,
      response: { 200: Type.Array(SeatSchema), ...errorResponses(400, 404) },
    },
  }, async (request) => {
    await getEvent(db, request.params.id, isAdmin(request.principal));
    return seatMap(db, request.params.id) as never;
  });

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
    if (!(await findEvent(db, request.params.id))) throw notFound('event');
    const [sections, queueFigures] = await Promise.all([sectionAccounting(db, request.params.id), queue.figures(request.params.id)]);
    return { sections, queue: queueFigures };
  });

  app.patch('/events/:id/sections/:sectionId', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['events'],
      summary: 'Raise a general-admission section\'s capacity (admin); the new tickets go to the waitlist first',
      security: BearerAuth,
      params: StrictObject({ id: Uuid, sectionId: Uuid }),
      body: RaiseCapacityBody,
      response: { 200: SectionAccountingSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => {
    await raiseSectionCapacity(db, stock, request.params.id, request.params.sectionId, request.body.capacity);
    return (await sectionAccounting(db, request.params.id)).find((s) => s.sectionId === request.params.sectionId)!;
  });
}
