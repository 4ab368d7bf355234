import { Type, type Static } from '@sinclair/typebox';
import { Currency, MinorUnits, Nullable, StrictObject, Text, Timestamp, TimestampOut, Uuid } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import { QueueFiguresSchema } from '../queue/schemas.js';
import { OnsaleInput, OnsaleSchema } from '../queue/settings.js';
import { FacetsSchema, SearchText, searchQueryFields } from '../search/schemas.js';
import { FeeSchema, FeesInput, TaxInput, TaxSchema } from '../inventory/breakdown-schemas.js';
import { TicketTypeSchema, TicketTypeVisibility } from '../inventory/ticket-type-schemas.js';

const Coordinate = Type.Number({
  minimum: -100_000,
  maximum: 100_000,
  description: 'Position on the seat map. Stored as a 32-bit float: rounded to the nearest one, and a value closer to zero than 1.2e-38 is stored as 0',
});

const SeatSpec = StrictObject({
  number: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  label: Type.Optional(Text({ maxLength: 20 })),
  x: Coordinate,
  y: Coordinate,
});

const RowSpec = StrictObject({
  label: Text({ maxLength: 20 }),
  seats: Type.Union([
    Type.Integer({ minimum: 1, maximum: limits.seatsPerRowMax, description: 'How many seats, numbered from 1 on a straight line' }),
    Type.Array(SeatSpec, { minItems: 1, maxItems: limits.seatsPerRowMax, description: 'Each seat with its map coordinates' }),
  ]),
});

const ticketTypeFields = {
  name: Text(),
  price: MinorUnits,
  maxPerOrder: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: limits.ticketsPerOrderMax, description: 'Tickets of this type one hold may have; null = only the event\'s maxTicketsPerOrder' }))),
  quota: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: limits.sectionCapacityMax, description: 'Tickets of this type that may be held and sold together (a sub-limit of the section\'s stock); null = no quota' }))),
  visibility: Type.Optional(TicketTypeVisibility),
  salesStartsAt: Type.Optional(Nullable(Timestamp)),
  salesEndsAt: Type.Optional(Nullable(Timestamp)),
};

export const TicketTypeInput = StrictObject(ticketTypeFields, { title: 'NewTicketType' });
export type TicketTypeInput = Static<typeof TicketTypeInput>;
/** An edit of a section's ticket types: with `id` the type is changed (fields left out stay), without one it is added. */
export const TicketTypeEdit = StrictObject({ id: Type.Optional(Uuid), ...ticketTypeFields, name: Type.Optional(Text()), price: Type.Optional(MinorUnits) }, { title: 'TicketTypeEdit' });
export type TicketTypeEdit = Static<typeof TicketTypeEdit>;
const TicketTypesInput = Type.Optional(Type.Array(TicketTypeInput, {
  maxItems: limits.ticketTypesPerSectionMax,
  description: 'Prices the section sells at, sharing its stock; without any, the section sells at its own `price`',
}));

export const GaSectionInput = StrictObject({ name: Text(), price: MinorUnits, capacity: Type.Integer({ minimum: 1, maximum: limits.sectionCapacityMax }), ticketTypes: TicketTypesInput }, { title: 'GeneralAdmissionSection' });
export const SeatedSectionInput = StrictObject({ name: Text(), price: MinorUnits, rows: Type.Array(RowSpec, { minItems: 1, maxItems: limits.rowsPerSectionMax }), ticketTypes: TicketTypesInput }, { title: 'ReservedSection' });
export type SectionInput = Static<typeof GaSectionInput> | Static<typeof SeatedSectionInput>;

const EventStatus = Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('cancelled')]);
export type EventStatus = Static<typeof EventStatus>;

const WaitlistPolicy = Type.Union([Type.Literal('strict_order'), Type.Literal('fill')], {
  description: 'How the waitlist serves returned tickets: `strict_order` (default) never lets a smaller, later entry skip one the tickets cannot satisfy yet; `fill` does. See docs/waitlist.md.',
});

const descriptionText = Text({ maxLength: limits.descriptionLengthMax });
const categoryText = Text({ maxLength: 50 });
const editableFields = {
  title: Text(),
  description: Type.Optional(descriptionText),
  category: Type.Optional(categoryText),
  performers: Type.Optional(Type.Array(Text(), { maxItems: limits.performersPerEventMax, description: 'The lineup, headliner first (searched like the title)' })),
  tags: Type.Optional(Type.Array(Text({ maxLength: limits.tagLengthMax }), { maxItems: limits.tagsPerEventMax })),
  startsAt: Timestamp,
  endsAt: Type.Optional(Timestamp),
  maxTicketsPerOrder: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.ticketsPerOrderMax })),
  maxTicketsPerUser: Type.Optional(Nullable(Type.Integer({
    minimum: 1,
    maximum: 10_000,
    description: `Tickets one buyer may hold and buy for the event, live holds and valid tickets together; null = no limit (default ${limits.ticketsPerUserDefault}, or maxTicketsPerOrder if larger)`,
  }))),
  maxHoldsPerUser: Type.Optional(Nullable(Type.Integer({
    minimum: 1,
    maximum: limits.holdsPerUserMax,
    description: `Holds one buyer may have open for the event at once, waitlist offers not counted; null = no limit (default ${limits.holdsPerUserDefault}: pay for or release the open hold before the next)`,
  }))),
  holdTtlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.holdTtlSecondsMax })),
  offerTtlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.holdTtlSecondsMax, description: 'How long a waitlist offer is held for its user (default 600)' })),
  waitlistPolicy: Type.Optional(WaitlistPolicy),
  transfersAllowed: Type.Optional(Type.Boolean({ description: 'Whether buyers may pass tickets on (POST /tickets/:id/transfer); default true' })),
  fees: Type.Optional(FeesInput),
  tax: Type.Optional(Nullable(TaxInput)),
};

export const CreateEventBody = StrictObject({
  ...editableFields,
  /** Required when the caller belongs to more than one organization; the venue must be the organization's. */
  organizationId: Type.Optional(Uuid),
  venueId: Uuid,
  currency: Currency,
  status: Type.Optional(EventStatus),
  sections: Type.Array(Type.Union([GaSectionInput, SeatedSectionInput]), { minItems: 1, maxItems: limits.sectionsPerEventMax }),
  onsale: Type.Optional(OnsaleInput),
});
export type CreateEventBody = Static<typeof CreateEventBody>;

export const UpdateEventBody = StrictObject(
  {
    title: Type.Optional(editableFields.title),
    // null clears them (stored text is never blank: an empty string is refused like anywhere else).
    description: Type.Optional(Nullable(descriptionText)),
    category: Type.Optional(Nullable(categoryText)),
    performers: editableFields.performers,
    tags: editableFields.tags,
    startsAt: Type.Optional(editableFields.startsAt),
    endsAt: editableFields.endsAt,
    maxTicketsPerOrder: editableFields.maxTicketsPerOrder,
    maxTicketsPerUser: editableFields.maxTicketsPerUser,
    maxHoldsPerUser: editableFields.maxHoldsPerUser,
    holdTtlSeconds: editableFields.holdTtlSeconds,
    offerTtlSeconds: editableFields.offerTtlSeconds,
    waitlistPolicy: editableFields.waitlistPolicy,
    transfersAllowed: editableFields.transfersAllowed,
    fees: editableFields.fees,
    tax: editableFields.tax,
    status: Type.Optional(EventStatus),
    onsale: Type.Optional(Nullable(OnsaleInput)),
  },
  { minProperties: 1 },
);
export type UpdateEventBody = Static<typeof UpdateEventBody>;

export const SectionSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  kind: Type.Union([Type.Literal('ga'), Type.Literal('seated')]),
  price: Type.Integer(),
  capacity: Type.Integer(),
  available: Type.Integer(),
  ticketTypes: Type.Array(TicketTypeSchema, {
    description: 'The types on sale (the event\'s team sees every type, others the public ones); empty: the section sells at its `price`',
  }),
});

const VenueSummary = Type.Object({ id: Uuid, name: Type.String(), city: Type.String(), address: Nullable(Type.String()), timeZone: Type.String({ description: "IANA zone of the venue: show the event's times in it" }) });

const eventFields = {
  id: Uuid,
  title: Type.String(),
  description: Nullable(Type.String()),
  category: Nullable(Type.String()),
  performers: Type.Array(Type.String()),
  tags: Type.Array(Type.String()),
  venueId: Uuid,
  venue: VenueSummary,
  startsAt: TimestampOut,
  endsAt: Nullable(TimestampOut),
  currency: Type.String(),
  status: EventStatus,
  maxTicketsPerOrder: Type.Integer(),
  maxTicketsPerUser: Nullable(Type.Integer()),
  maxHoldsPerUser: Nullable(Type.Integer()),
  holdTtlSeconds: Type.Integer(),
  offerTtlSeconds: Type.Integer(),
  waitlistPolicy: WaitlistPolicy,
  transfersAllowed: Type.Boolean(),
  opensAt: Type.Union([TimestampOut, Type.Null()], { description: 'When the sale opens (or opened): `onsale.startsAt`; null when the event sells as soon as it is published' }),
};

export const EventSchema = Type.Object({
  ...eventFields,
  fees: Type.Array(FeeSchema, { description: 'Fees on each ticket that costs something (docs/fees.md); a hold is priced with those of its time' }),
  tax: Type.Union([TaxSchema], { description: 'The tax on each ticket, or null' }),
  sections: Type.Array(SectionSchema), onsale: Nullable(OnsaleSchema) }, { $id: 'Event' });
export const EventSummarySchema = Type.Object({
  ...eventFields,
  priceFrom: Nullable(Type.Integer()),
  capacity: Type.Integer(),
  available: Type.Integer(),
  score: Type.Optional(Type.Number({ description: 'How well the event matches `q` (given with `q`)' })),
  distanceKm: Type.Optional(Type.Number({ description: 'From `near` to the venue, great-circle (given with `near`)' })),
});
/** One page of the catalogue; `nextCursor` fetches the next. */
export const EventPageSchema = Type.Object({ items: Type.Array(EventSummarySchema), facets: FacetsSchema, nextCursor: Nullable(Type.String()) });

export const ListEventsQuery = StrictObject({
  q: Type.Optional(SearchText),
  ...searchQueryFields,
  city: Type.Optional(Type.String({ maxLength: 100 })),
  category: Type.Optional(Type.String({ maxLength: 50 })),
  from: Type.Optional(Timestamp),
  to: Type.Optional(Timestamp),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.pageSizeMax })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});
export type ListEventsQuery = Static<typeof ListEventsQuery>;

export const SectionParams = StrictObject({ id: Uuid, sectionId: Uuid });
export const RaiseCapacityBody = StrictObject({
  capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.sectionCapacityMax })),
  ticketTypes: Type.Optional(Type.Array(TicketTypeEdit, { minItems: 1, maxItems: limits.ticketTypesPerSectionMax })),
}, { minProperties: 1 });
export type RaiseCapacityBody = Static<typeof RaiseCapacityBody>;

export const SectionAccountingSchema = Type.Object({
  sectionId: Uuid,
  name: Type.String(),
  capacity: Type.Integer(),
  sold: Type.Integer(),
  held: Type.Integer(),
  offered: Type.Integer(),
  reserved: Type.Integer({ description: 'Units held back for waitlist entries that cannot be served yet' }),
  setAside: Type.Integer({ description: 'Units set aside for codes\' holders (a code\'s reserve) and not held now' }),
  available: Type.Integer(),
});

export const EventStatsSchema = Type.Object({
  sections: Type.Array(Type.Intersect([SectionAccountingSchema, Type.Object({ checkedIn: Type.Integer({ description: 'Tickets admitted at the door' }) })])),
  queue: Nullable(QueueFiguresSchema),
  checkedIn: Type.Integer({ description: 'Tickets admitted at the door, all sections' }),
  revenue: Type.Object({
    gross: Type.Integer({ description: 'Totals of every order, in minor units' }),
    refunded: Type.Integer({ description: 'Given back for cancelled orders and tickets' }),
    net: Type.Integer({ description: 'gross - refunded' }),
    currency: Nullable(Type.String()),
  }),
});

export const SeatSchema = Type.Object({
  id: Uuid,
  sectionId: Uuid,
  row: Type.String(),
  number: Type.Integer(),
  label: Type.String(),
  x: Type.Number(),
  y: Type.Number(),
  status: Type.Union([Type.Literal('available'), Type.Literal('held'), Type.Literal('sold')]),
});
export const SeatListSchema = Type.Array(SeatSchema);
