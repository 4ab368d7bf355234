/**
 * The API's wire types, derived from the server's own TypeBox schemas so the client cannot drift from
 * the contract. Only types cross over: `import type` is erased from the bundle.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { SessionSchema, UserSchema } from '../../../src/features/auth/routes.js';
import type { OrderSchema } from '../../../src/features/checkout/routes.js';
import type { CreateEventBody, EventSchema, EventStatsSchema, EventSummarySchema, ListEventsQuery, SeatSchema, SectionSchema, UpdateEventBody } from '../../../src/features/events/schemas.js';
import type { HoldSchema } from '../../../src/features/inventory/routes.js';
import type { SalesSchema } from '../../../src/features/organizer/routes.js';
import type { VenueSchema } from '../../../src/features/venues/routes.js';

/** What JSON makes of a server value: dates arrive as ISO strings. */
type Json<T> = T extends Date ? string : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
type Wire<S extends TSchema> = Json<Static<S>>;

/**
 * On-sale settings of the waiting room (issue 3). Not in the server schemas on this branch yet:
 * replace with `Wire<typeof OnsaleSchema>` when the queue lands. Absent = no waiting room.
 */
export interface Onsale {
  startsAt: string;
  queue: {
    enabled: boolean;
    preQueueOpensAt?: string;
    admitPerMinute: number;
    maxActiveShoppers?: number;
    stockAware: boolean;
    shoppingWindowSeconds: number;
  };
}

export type User = Wire<typeof UserSchema>;
export type Session = Wire<typeof SessionSchema>;
export type Section = Wire<typeof SectionSchema>;
export type EventDetail = Wire<typeof EventSchema> & { onsale?: Onsale };
export type EventSummary = Wire<typeof EventSummarySchema> & { onsale?: Onsale };
export type EventQuery = Static<typeof ListEventsQuery>;
export type Seat = Wire<typeof SeatSchema>;
export type Hold = Wire<typeof HoldSchema> & { offer?: boolean };
export type Order = Wire<typeof OrderSchema>;
export type Venue = Wire<typeof VenueSchema>;
export type Sales = Wire<typeof SalesSchema>;
export type NewEvent = Static<typeof CreateEventBody> & { onsale?: Onsale };
export type EventChanges = Static<typeof UpdateEventBody>;
/** Stock per section and, for an event with a waiting room, the line's figures (`queue`, else null). */
export type EventStats = Wire<typeof EventStatsSchema>;
export type QueueFigures = NonNullable<EventStats['queue']>;

/** Waiting-room contract of issue 3. */
export type QueueState = 'pre_queue' | 'waiting' | 'admitted' | 'expired' | 'sold_out' | 'paused';
export interface QueueStatus {
  state: QueueState;
  position: number | null;
  ahead: number | null;
  etaSeconds: number | null;
  admittedUntil?: string;
}
export type QueueTicket = QueueStatus & { queueToken: string };

/** Waitlist contract of issue 4. An offer is a normal hold; the entry names it once made. */
export interface WaitlistEntry {
  id: string;
  position: number;
  quantity: number;
  sectionId?: string;
  status: 'waiting' | 'offered' | 'expired' | 'fulfilled' | 'cancelled';
  holdId?: string;
  offerExpiresAt?: string;
}

/** Messages on the event's live socket. */
export type LiveMessage =
  | ({ type: 'queue' } & QueueStatus)
  | { type: 'availability'; sections: { id: string; available: number }[] };
