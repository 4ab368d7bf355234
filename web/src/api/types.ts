/**
 * The API's wire types, derived from the server's own TypeBox schemas so the client cannot drift from
 * the contract. Only types cross over: `import type` is erased from the bundle.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { SessionSchema, UserSchema } from '../../../src/features/auth/routes.js';
import type { OrderSchema } from '../../../src/features/checkout/routes.js';
import type { CreateEventBody, EventSchema, EventStatsSchema, EventSummarySchema, ListEventsQuery, SeatSchema, SectionSchema, UpdateEventBody } from '../../../src/features/events/schemas.js';
import type { HoldSchema } from '../../../src/features/inventory/routes.js';
import type { TicketTypeSchema } from '../../../src/features/inventory/ticket-type-schemas.js';
import type { EventLiveMessageSchema, QueueStatusSchema, QueueTicketSchema } from '../../../src/features/queue/schemas.js';
import type { OnsaleSchema } from '../../../src/features/queue/settings.js';
import type { WaitlistEntrySchema } from '../../../src/features/waitlist/routes.js';
import type { ErrorResponse } from '../../../src/http/schemas.js';
import type { SalesSchema } from '../../../src/features/organizer/routes.js';
import type { VenueSchema } from '../../../src/features/venues/routes.js';

/** What JSON makes of a server value: dates arrive as ISO strings. */
type Json<T> = T extends Date ? string : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
export type Wire<S extends TSchema> = Json<Static<S>>;

/** On-sale settings; `queue` null (or `onsale` null) = no waiting room. */
export type Onsale = Wire<typeof OnsaleSchema>;

/** The server's error catalogue, plus `network_error` for an answer that never came (the client's own). */
export type ErrorCode = Wire<typeof ErrorResponse>['error']['code'] | 'network_error';
export type ErrorBody = Wire<typeof ErrorResponse>;

export type User = Wire<typeof UserSchema>;
export type Session = Wire<typeof SessionSchema>;
export type Section = Wire<typeof SectionSchema>;
export type TicketType = Wire<typeof TicketTypeSchema>;
export type EventDetail = Wire<typeof EventSchema>;
export type EventSummary = Wire<typeof EventSummarySchema>;
export type EventQuery = Static<typeof ListEventsQuery>;
export type Seat = Wire<typeof SeatSchema>;
export type Hold = Wire<typeof HoldSchema>;
export type Order = Wire<typeof OrderSchema>;
export type Venue = Wire<typeof VenueSchema>;
export type Sales = Wire<typeof SalesSchema>;
export type NewEvent = Static<typeof CreateEventBody>;
/** On-sale settings as an organizer sends them. */
export type OnsaleSettings = NonNullable<NewEvent['onsale']>;
export type EventChanges = Static<typeof UpdateEventBody>;
/** Stock per section and, for an event with a waiting room, the line's figures (`queue`, else null). */
export type EventStats = Wire<typeof EventStatsSchema>;
export type QueueFigures = NonNullable<EventStats['queue']>;

/** A place in the waiting room, as `GET /events/:id/queue` describes it. */
export type QueueStatus = Wire<typeof QueueStatusSchema>;
export type QueueState = QueueStatus['state'];
export type QueueTicket = Wire<typeof QueueTicketSchema>;

/** A waitlist entry; once an offer is made, `offer.holdId` names the hold made for the buyer. */
export type WaitlistEntry = Wire<typeof WaitlistEntrySchema>;

/** Messages on the event's live socket. */
export type LiveMessage = Wire<typeof EventLiveMessageSchema>;
