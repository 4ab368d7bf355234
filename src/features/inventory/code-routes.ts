import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../../db/database.js';
import { BearerAuth, IdParams, Nullable, StrictObject, Timestamp, TimestampOut, Uuid, errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import type { Guards } from '../auth/guard.js';
import { checkCode, codesCsv, createCodes, getCode, listCodes, setCodeDisabled, setCodeReserve } from './codes.js';
import type { Stock } from './stock.js';
import { TicketTypeSchema } from './ticket-type-schemas.js';
import { principalOf } from '../auth/guard.js';

const CodeKind = Type.Union([Type.Literal('presale'), Type.Literal('unlock'), Type.Literal('discount')]);
const Discount = Type.Union([
  StrictObject({ percent: Type.Integer({ minimum: 1, maximum: 100 }) }, { title: 'PercentOff' }),
  StrictObject({ amountOff: Type.Integer({ minimum: 1, maximum: limits.priceMinorMax }) }, { title: 'AmountOff' }),
]);

export const CodeSchema = Type.Object({
  id: Uuid,
  code: Type.String(),
  kind: CodeKind,
  ticketTypeIds: Nullable(Type.Array(Uuid)),
  discount: Nullable(Type.Union([Type.Object({ percent: Type.Integer() }), Type.Object({ amountOff: Type.Integer() })])),
  maxUses: Nullable(Type.Integer({ description: 'Tickets the code may be used for, all holds and orders together' })),
  maxPerOrder: Nullable(Type.Integer()),
  validFrom: Nullable(TimestampOut),
  validUntil: Nullable(TimestampOut),
  uses: Type.Integer({ description: 'Tickets held or bought with the code now (a use comes back when its hold ends or its ticket is cancelled)' }),
  disabled: Type.Boolean(),
  batchId: Nullable(Uuid),
  createdAt: TimestampOut,
  sectionId: Nullable(Uuid),
  reserve: Nullable(Type.Integer({ description: 'Units set aside for the code in all, those its holds took included' })),
  reserveLeft: Nullable(Type.Integer({ description: 'Set-aside units not in a hold now (0 once released)' })),
  reserveReleasedAt: Nullable(TimestampOut),
});

export const CreateCodesBody = StrictObject({
  code: Type.Optional(Type.String({ minLength: 3, maxLength: limits.codeLengthMax, pattern: '^[A-Za-z0-9_-]+$', description: 'The code itself (compared case-insensitively)' })),
  generate: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.codesGeneratedMax, description: 'How many random codes to make (80 bits each)' })),
  prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 16, pattern: '^[A-Za-z0-9_-]+$', description: 'Put before each generated code' })),
  kind: CodeKind,
  ticketTypeIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: limits.sectionsPerEventMax * limits.ticketTypesPerSectionMax, uniqueItems: true, description: 'The types it applies to (default: all)' })),
  discount: Type.Optional(Discount),
  maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.sectionCapacityMax, description: 'Tickets, not holds: a hold of 3 tickets is 3 uses' })),
  maxPerOrder: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.ticketsPerOrderMax })),
  validFrom: Type.Optional(Timestamp),
  validUntil: Type.Optional(Timestamp),
  reserve: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.sectionCapacityMax, description: 'Units of `sectionId` set aside for the code\'s holders until `validUntil` (required with it), per code; then the units left return to sale, the waitlist first' })),
  sectionId: Type.Optional(Uuid),
});

export const CodeParams = StrictObject({ id: Uuid, codeId: Uuid });
export const CodeListQuery = StrictObject({ batchId: Type.Optional(Uuid) });
export const CodeListSchema = Type.Object({ items: Type.Array(CodeSchema) });
export const ChangeCodeBody = StrictObject({
  disabled: Type.Optional(Type.Boolean()),
  reserve: Type.Optional(Type.Integer({ minimum: 0, maximum: limits.sectionCapacityMax, description: 'A standing reserve\'s new size, units held from it included' })),
}, { minProperties: 1 });
export const CheckCodeBody = StrictObject({ code: Type.String({ minLength: 1, maxLength: limits.codeLengthMax }) });
export const CheckedCodeSchema = Type.Object({
  kind: CodeKind,
  ticketTypes: Type.Array(Type.Intersect([TicketTypeSchema, Type.Object({ sectionId: Uuid })]), { description: 'The `code`-only types it unlocks (unlock codes), with their sections' }),
});

export interface CodeRoutesOptions {
  db: Database;
  guards: Guards;
  stock: Stock;
}

/** An event's codes: made, listed with their uses, exported and disabled by its owners and managers. */
export const codeRoutes: FastifyPluginAsyncTypebox<CodeRoutesOptions> = async (app, { db, guards, stock }) => {
  const theEvent = (request: FastifyRequest) => ({ event: (request.params as { id: string }).id });
  const manage = { onRequest: guards.authenticateCaller, preHandler: guards.permit('events.manage', theEvent) };

  // Checking a code is guessing it as much as holding with it: the same budget per account (hold-code-user).
  const codeRateLimit = app.limitRate('Too many codes tried; wait a minute and try again.', [
    { scope: 'hold-code-user', perMinute: limits.codeAttemptsPerMinuteMax, key: (request) => principalOf(request).userId },
  ]);
  app.post('/events/:id/codes/check', {
    onRequest: guards.authenticate,
    preHandler: codeRateLimit,
    schema: {
      tags: ['codes'],
      summary: 'What a code does for the buyer: its kind and the `code`-only ticket types it unlocks (buyer)',
      description: 'For the event page, before a hold: 422 `code_invalid` (unknown, disabled or another event\'s: one answer), 422 `code_expired`; counted with holds sent with a code (' + limits.codeAttemptsPerMinuteMax + ' a minute per account, then 429).',
      security: BearerAuth,
      params: IdParams,
      body: CheckCodeBody,
      response: { 200: CheckedCodeSchema, ...errorResponses(400, 401, 422, 429) },
    },
  }, async (request) => checkCode(db, request.params.id, request.body.code));

  app.post('/events/:id/codes', {
    ...manage,
    schema: {
      tags: ['codes'],
      summary: 'Make a presale, unlock or discount code, or generate a batch of them (owner, manager)',
      description: '`code` or `generate` (with an optional `prefix`). `presale`: holds are allowed from `validFrom` before the sale opens; `unlock`: sells the types whose visibility is `code`; `discount` (`percent` or `amountOff` per ticket, never below zero; required for a `discount` code, and a presale or unlock code may carry one too). `maxUses` counts tickets. `reserve` (with `sectionId`, a general-admission section, and `validUntil`) sets that many units aside for each code\'s holders, taken from the units on sale (409 `sold_out` when fewer are); they return to sale at `validUntil`. 409 `code_taken` for a code the event has (in any case).',
      security: BearerAuth,
      params: IdParams,
      body: CreateCodesBody,
      response: { 201: CodeListSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => reply.status(201).send({ items: await createCodes(db, request.params.id, request.body) }));

  app.get('/events/:id/codes', {
    ...manage,
    schema: {
      tags: ['codes'],
      summary: 'The event\'s codes with their uses, newest first (owner, manager)',
      security: BearerAuth,
      params: IdParams,
      querystring: CodeListQuery,
      response: { 200: CodeListSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => ({ items: await listCodes(db, request.params.id, request.query.batchId) }));

  app.get('/events/:id/codes.csv', {
    ...manage,
    schema: {
      tags: ['codes'],
      summary: 'The event\'s codes (or one generated batch, `batchId`) as CSV: code, kind, uses, maxUses, status (owner, manager)',
      security: BearerAuth,
      params: IdParams,
      querystring: CodeListQuery,
      produces: ['text/csv'],
      response: { 200: Type.String({ description: 'text/csv' }), ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="codes-${request.params.id}.csv"`)
    .send(codesCsv(await listCodes(db, request.params.id, request.query.batchId))));

  app.patch('/events/:id/codes/:codeId', {
    ...manage,
    schema: {
      tags: ['codes'],
      summary: 'Disable (or enable again) a code, or resize its reserve (owner, manager)',
      description: 'A disabled code is refused as `code_invalid`; holds and tickets made with it stand. `reserve` sets a standing reserve\'s size (units held from it included): more comes from the units on sale (409 `sold_out`), less goes back to sale, the waitlist first; never below what its holds took (409 `invalid_quota`); 409 `invalid_status_change` once released.',
      security: BearerAuth,
      params: CodeParams,
      body: ChangeCodeBody,
      response: { 200: CodeSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => {
    const { id, codeId } = request.params;
    if (request.body.reserve !== undefined) await setCodeReserve(db, stock, id, codeId, request.body.reserve);
    if (request.body.disabled !== undefined) return setCodeDisabled(db, id, codeId, request.body.disabled);
    return getCode(db, id, codeId);
  });
};
