import { Type } from '@sinclair/typebox';
import { Nullable, TimestampOut, Uuid } from '../../http/schemas.js';

/** Ticket types as the API shows them; inventory owns them (ticket-types.ts), events and codes list them. */
export const TicketTypeVisibility = Type.Union([Type.Literal('public'), Type.Literal('hidden'), Type.Literal('code')], {
  description: '`public`: listed and sold to anyone; `hidden`: neither listed nor sold (retired); `code`: sold only with a code that unlocks it',
});

export const TicketTypeSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  price: Type.Integer(),
  maxPerOrder: Nullable(Type.Integer()),
  quota: Nullable(Type.Integer()),
  visibility: TicketTypeVisibility,
  salesStartsAt: Nullable(TimestampOut),
  salesEndsAt: Nullable(TimestampOut),
  onSale: Type.Boolean({ description: 'Within its sales window now (by the database\'s clock)' }),
  available: Type.Integer({ description: 'Tickets of this type that can be held now: the section\'s, or fewer when its quota has fewer left' }),
});
