import { Type, type Static } from '@sinclair/typebox';
import { TimestampOut, Uuid } from '../../http/schemas.js';

/** The waiting room as the organizer's dashboard shows it (`GET /events/:id/stats`). */
export const QueueFiguresSchema = Type.Object({
  state: Type.Union([Type.Literal('pre_queue'), Type.Literal('on_sale'), Type.Literal('paused'), Type.Literal('sold_out')], {
    description: 'pre_queue before the start; then whether the advancer admits (on_sale), is paused by the organizer or waits for held stock to return (paused), or has nothing left (sold_out)',
  }),
  paused: Type.Boolean({ description: 'The organizer paused admission (`onsale.queue.paused`); `state` is then paused' }),
  length: Type.Integer({ description: 'Places in line not yet admitted (before the start: everyone in the pre-queue). Counts places, so one whose holder left counts until the line passes it' }),
  issued: Type.Integer({ description: 'Places handed out so far' }),
  admittedThrough: Type.Integer({ description: 'Places admitted so far (the watermark)' }),
  activeShoppers: Type.Integer({ description: 'Admitted people taking a shopper place: window open, not left or checked out, and arrived or still within the arrival grace (may briefly exceed maxActiveShoppers after late arrivals)' }),
  admittedPerMinute: Type.Integer({ description: 'Places admitted in the last 60 seconds, measured from the admission log' }),
});
export type QueueFigures = Static<typeof QueueFiguresSchema>;

/**
 * Written without unions on purpose: fast-json-stringify serializes a union (`anyOf`) by running an ajv
 * validator per branch until one matches, on every answer, and the status route is the door's hottest
 * (docs/benchmarks.md, the door's profile). A string `enum` and OpenAPI's `nullable` describe the same
 * values and serialize with a type check each.
 */
const queueStates = ['pre_queue', 'waiting', 'admitted', 'expired', 'sold_out', 'paused'] as const;
const NullableInteger = (description?: string) => Type.Unsafe<number | null>({ type: 'integer', nullable: true, ...(description ? { description } : {}) });

export const QueueStatusSchema = Type.Object({
  state: Type.Unsafe<(typeof queueStates)[number]>({ type: 'string', enum: [...queueStates] }),
  position: NullableInteger('Place in line, 1 = next in; null in the pre-queue (places are drawn at the start); 0 once admitted'),
  ahead: NullableInteger(),
  etaSeconds: NullableInteger('people ahead / admissions per minute; null when sold out'),
  admittedUntil: Type.Optional(TimestampOut),
});

/** What joining answers: the place, and the token that is the place. */
export const QueueTicketSchema = Type.Intersect([Type.Object({ queueToken: Type.String() }), QueueStatusSchema]);

/** What the event's live socket sends: your place in line, and tickets left per section. */
export const EventLiveMessageSchema = Type.Union([
  Type.Intersect([Type.Object({ type: Type.Literal('queue') }), QueueStatusSchema]),
  Type.Object({ type: Type.Literal('availability'), sections: Type.Array(Type.Object({ id: Uuid, available: Type.Integer() })) }),
]);
