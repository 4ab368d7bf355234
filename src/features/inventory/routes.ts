import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Guards } from '../auth/guard.js';
import type { HoldService } from './holds.js';
import { BreakdownSchema, PricingSchema } from './breakdown-schemas.js';
import { Type } from '@sinclair/typebox';
import { BearerAuth, IdParams, StrictObject, TimestampOut, Uuid, errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import { principalOf } from '../auth/guard.js';

export const HoldSchema = Type.Object({
  id: Uuid,
  eventId: Uuid,
  status: Type.Union([Type.Literal('active'), Type.Literal('released'), Type.Literal('expired'), Type.Literal('converted')]),
  expiresAt: TimestampOut,
  items: Type.Array(Type.Object({
    sectionId: Uuid,
    seatId: Type.Optional(Uuid),
    label: Type.Optional(Type.String()),
    ticketTypeId: Type.Optional(Uuid),
    price: Type.Integer({ description: 'What is paid for this ticket: its type\'s price less `discount`' }),
    discount: Type.Optional(Type.Integer({ description: 'What the code took off (absent when nothing)' })),
  })),
  breakdown: BreakdownSchema,
  pricing: PricingSchema,
  total: Type.Integer({ description: 'What checkout charges: breakdown.total' }),
  currency: Type.String(),
});

export const HoldListSchema = Type.Array(HoldSchema, { maxItems: limits.activeHoldsListedMax });
export const MyHoldsQuery = StrictObject({ eventId: Type.Optional(Uuid) });

const Quantity = Type.Integer({ minimum: 1, maximum: limits.ticketsPerOrderMax });
const code = Type.Optional(Type.String({ minLength: 1, maxLength: limits.codeLengthMax, description: 'A presale, unlock or discount code of the event (any case)' }));

export const HoldBody = Type.Union([
  StrictObject({ eventId: Uuid, sectionId: Uuid, quantity: Quantity, code }, { title: 'QuantityHold' }),
  StrictObject({
    eventId: Uuid,
    sectionId: Uuid,
    items: Type.Array(StrictObject({ ticketTypeId: Uuid, quantity: Quantity }), { minItems: 1, maxItems: limits.ticketTypesPerSectionMax }),
    code,
  }, { title: 'TicketTypeHold' }),
  StrictObject({
    eventId: Uuid,
    seatIds: Type.Array(Uuid, { minItems: 1, maxItems: limits.seatsPerHoldMax, uniqueItems: true }),
    ticketTypeId: Type.Optional(Uuid),
    code,
  }, { title: 'SeatHold' }),
  StrictObject({
    eventId: Uuid,
    seats: Type.Array(StrictObject({ seatId: Uuid, ticketTypeId: Uuid }), { minItems: 1, maxItems: limits.seatsPerHoldMax }),
    code,
  }, { title: 'TypedSeatHold' }),
]);

/**
 * Who may hold now: while an event's waiting room is on, only an admitted, unexpired place
 * (X-Queue-Token). The waiting room implements it; inventory knows only this question.
 */
export interface AdmissionGate {
  /** Throws the reason the user may not hold tickets for the event now. */
  gate(eventId: string, userId: string, queueToken: string | undefined): Promise<void>;
}

export interface HoldRoutesOptions {
  holds: HoldService;
  guards: Guards;
  admission: AdmissionGate;
}

export const holdRoutes: FastifyPluginAsyncTypebox<HoldRoutesOptions> = async (app, { holds, guards, admission }) => {
  // Guessing codes costs attempts: an account may send so many holds with a code a minute (every node counts together).
  const codeRateLimit = app.limitRate('Too many codes tried; wait a minute and try again.', [
    { scope: 'hold-code-user', perMinute: limits.codeAttemptsPerMinuteMax, key: (request) => principalOf(request).userId },
  ]);
  app.post('/holds', {
    onRequest: guards.authenticate,
    preHandler: [
      async (request, reply) => {
        if (request.body.code !== undefined) await codeRateLimit(request, reply);
      },
      // While the event's waiting room is on, only an admitted, unexpired place may hold (X-Queue-Token).
      (request) => admission.gate(request.body.eventId, principalOf(request).userId, request.headers['x-queue-token']),
    ],
    schema: {
      tags: ['holds'],
      summary: 'Hold tickets for a limited time',
      description:
        'Either `quantity` tickets of a section (general admission, or the best adjacent seats of a reserved section, leaving no single seat stranded when another choice exists), or `items` naming the section\'s ticket types, or the named `seatIds` (with one `ticketTypeId` for all, or `seats` each with its type), all or nothing. A section with ticket types needs each line or seat to name one; one without takes the first and third shapes only. `code`: a presale code lets the hold in before the sale opens (from its `validFrom`), an unlock code sells `code`-only types, a discount code takes its discount off each ticket; refused 422 `code_invalid` (unknown, disabled, another event\'s: one answer), 422 `code_expired`, 409 `code_exhausted`; an account may try ' + limits.codeAttemptsPerMinuteMax + ' holds with a code a minute (429). Send an `Idempotency-Key` header to make retries safe.',
      security: BearerAuth,
      headers: Type.Object({
        'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: limits.idempotencyKeyLengthMax })),
        'x-queue-token': Type.Optional(Type.String({ minLength: 1, maxLength: limits.queueTokenLengthMax })),
      }),
      body: HoldBody,
      response: { 201: HoldSchema, ...errorResponses(400, 401, 403, 404, 409, 422, 429) },
    },
  }, async (request, reply) => {
    const { eventId, code, ...target } = request.body;
    const { hold, replayed } = await holds.place({
      userId: principalOf(request).userId,
      eventId,
      code,
      target,
      idempotencyKey: request.headers['idempotency-key'],
    });
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.status(201).send(hold);
  });

  app.get('/holds/:id', {
    onRequest: guards.authenticate,
    schema: { tags: ['holds'], summary: 'One of your holds', security: BearerAuth, params: IdParams, response: { 200: HoldSchema, ...errorResponses(400, 401, 404) } },
  }, async (request) => holds.get(principalOf(request).userId, request.params.id));

  app.get('/me/holds', {
    onRequest: guards.authenticate,
    schema: {
      tags: ['holds'],
      summary: 'Your live holds (waitlist offers included), soonest to lapse first',
      description: 'Active, unexpired holds only: what a buyer who left checkout can resume or release. `eventId` narrows them to one event.',
      security: BearerAuth,
      querystring: MyHoldsQuery,
      response: { 200: HoldListSchema, ...errorResponses(400, 401) },
    },
  }, async (request) => holds.listActive(principalOf(request).userId, request.query.eventId));

  app.delete('/holds/:id', {
    onRequest: guards.authenticate,
    schema: { tags: ['holds'], summary: 'Release a hold: its tickets go back on sale', security: BearerAuth, params: IdParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 409) } },
  }, async (request, reply) => {
    await holds.release(principalOf(request).userId, request.params.id);
    return reply.status(204).send(null);
  });
}
