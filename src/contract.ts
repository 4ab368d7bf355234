/**
 * The client contract: every route the web app calls, with the schemas its handler is registered
 * with. The web client imports this by type only, so each URL is paired with its types here, once;
 * test/contract.test.ts checks each entry is the very schema the server registered for that route.
 */
import { Type } from '@sinclair/typebox';
import { ChangePasswordBody, LoginBody, PasswordResetBody, PasswordResetConfirmBody, RefreshTokenBody, RegisterBody, RenameBody, SessionSchema, UserSchema } from './features/auth/routes.js';
import { CheckinBody, CheckinListQuery, CheckinListSchema, CheckinOkSchema, DeviceBody, EntriesQuery, EntriesSchema, NewDeviceSchema, OfflineBatchBody, OfflineBatchSchema, PublicKeysSchema } from './features/checkin/schemas.js';
import { CheckoutBody, CancelBody, OrderListSchema, OrderSchema } from './features/checkout/routes.js';
import { CompOrderBody, DeskOrderPageSchema, DeskOrdersQuery } from './features/checkout/desk-routes.js';
import {
  AcceptBody, ApiKeyBody, ApiKeyListSchema, ApiKeyParams, InvitationParams, JoinedSchema, MemberBody, MemberParams, MemberSchema, MembersSchema, NewApiKeySchema, OrganizationListSchema, RoleBody,
} from './features/orgs/routes.js';
import { CreateEventBody, EventPageSchema, EventSchema, EventStatsSchema, ListEventsQuery, RaiseCapacityBody, SectionAccountingSchema, SectionParams, SeatListSchema, UpdateEventBody } from './features/events/schemas.js';
import { CheckCodeBody, CheckedCodeSchema, CodeListQuery, CodeListSchema, CodeParams, CodeSchema, CreateCodesBody, ChangeCodeBody } from './features/inventory/code-routes.js';
import { HoldBody, HoldListSchema, HoldSchema, MyHoldsQuery } from './features/inventory/routes.js';
import { OrganizerEventListSchema, OrganizerEventsQuery, SalesSchema } from './features/organizer/routes.js';
import { QueueStatusSchema, QueueTicketSchema } from './features/queue/schemas.js';
import { SuggestQuery, SuggestionsSchema } from './features/search/schemas.js';
// Route files call the decorators these plugins declare; a program that reads the route files (the web
// type check) needs the declarations too.
import type {} from './features/ratelimit/plugin.js';
import { NewVenueBody, UpdateVenueBody, VenueListQuery, VenueListSchema, VenueSchema } from './features/venues/routes.js';
import { JoinBody, WaitlistEntrySchema } from './features/waitlist/routes.js';
import { WaitlistSummarySchema } from './features/waitlist/summary.js';
import { IdParams } from './http/schemas.js';

const NoContent = Type.Null();

/** Keys are `METHOD /path` with Fastify's `:param` syntax; `response` is the success status's schema. */
export const routes = {
  'POST /auth/register': { body: RegisterBody, response: SessionSchema },
  'POST /auth/login': { body: LoginBody, response: SessionSchema },
  'POST /auth/refresh': { body: RefreshTokenBody, response: SessionSchema },
  'POST /auth/logout': { body: RefreshTokenBody, response: NoContent },
  'POST /auth/password-reset': { body: PasswordResetBody, response: NoContent },
  'POST /auth/password-reset/confirm': { body: PasswordResetConfirmBody, response: SessionSchema },
  'GET /me': { response: UserSchema },
  'PATCH /me': { body: RenameBody, response: UserSchema },
  'POST /me/password': { body: ChangePasswordBody, response: SessionSchema },
  'POST /me/logout-everywhere': { response: NoContent },
  'GET /venues': { query: VenueListQuery, response: VenueListSchema },
  'POST /venues': { body: NewVenueBody, response: VenueSchema },
  'GET /venues/:id': { params: IdParams, response: VenueSchema },
  'PATCH /venues/:id': { params: IdParams, body: UpdateVenueBody, response: VenueSchema },
  'GET /events': { query: ListEventsQuery, response: EventPageSchema },
  'GET /search/suggest': { query: SuggestQuery, response: SuggestionsSchema },
  'POST /events': { body: CreateEventBody, response: EventSchema },
  'GET /events/:id': { params: IdParams, response: EventSchema },
  'PATCH /events/:id': { params: IdParams, body: UpdateEventBody, response: EventSchema },
  'GET /events/:id/seats': { params: IdParams, response: SeatListSchema },
  'GET /events/:id/stats': { params: IdParams, response: EventStatsSchema },
  'GET /events/:id/sales': { params: IdParams, response: SalesSchema },
  'PATCH /events/:id/sections/:sectionId': { params: SectionParams, body: RaiseCapacityBody, response: SectionAccountingSchema },
  'GET /events/:id/waitlist/summary': { params: IdParams, response: WaitlistSummarySchema },
  'GET /organizer/events': { query: OrganizerEventsQuery, response: OrganizerEventListSchema },
  'POST /holds': { body: HoldBody, response: HoldSchema },
  'GET /holds/:id': { params: IdParams, response: HoldSchema },
  'DELETE /holds/:id': { params: IdParams, response: NoContent },
  'GET /me/holds': { query: MyHoldsQuery, response: HoldListSchema },
  'POST /holds/:id/checkout': { params: IdParams, body: CheckoutBody, response: OrderSchema },
  'GET /orders': { response: OrderListSchema },
  'GET /orders/:id': { params: IdParams, response: OrderSchema },
  'POST /orders/:id/cancel': { params: IdParams, body: CancelBody, response: OrderSchema },
  'GET /events/:id/orders': { params: IdParams, query: DeskOrdersQuery, response: DeskOrderPageSchema },
  'POST /events/:id/orders': { params: IdParams, body: CompOrderBody, response: OrderSchema },
  'POST /events/:id/codes': { params: IdParams, body: CreateCodesBody, response: CodeListSchema },
  'POST /events/:id/codes/check': { params: IdParams, body: CheckCodeBody, response: CheckedCodeSchema },
  'GET /events/:id/codes': { params: IdParams, query: CodeListQuery, response: CodeListSchema },
  'PATCH /events/:id/codes/:codeId': { params: CodeParams, body: ChangeCodeBody, response: CodeSchema },
  'GET /organizations': { response: OrganizationListSchema },
  'GET /organizations/:id/members': { params: IdParams, response: MembersSchema },
  'POST /organizations/:id/members': { params: IdParams, body: MemberBody, response: MemberSchema },
  'PATCH /organizations/:id/members/:userId': { params: MemberParams, body: RoleBody, response: MemberSchema },
  'DELETE /organizations/:id/members/:userId': { params: MemberParams, response: NoContent },
  'DELETE /organizations/:id/invitations/:invitationId': { params: InvitationParams, response: NoContent },
  'POST /organizations/:id/api-keys': { params: IdParams, body: ApiKeyBody, response: NewApiKeySchema },
  'GET /organizations/:id/api-keys': { params: IdParams, response: ApiKeyListSchema },
  'DELETE /organizations/:id/api-keys/:keyId': { params: ApiKeyParams, response: NoContent },
  'POST /invitations/accept': { body: AcceptBody, response: JoinedSchema },
  'GET /events/:id/checkin/key': { params: IdParams, response: PublicKeysSchema },
  'GET /events/:id/checkin/list': { params: IdParams, query: CheckinListQuery, response: CheckinListSchema },
  'POST /events/:id/checkins': { params: IdParams, body: CheckinBody, response: CheckinOkSchema },
  'POST /events/:id/checkins/batch': { params: IdParams, body: OfflineBatchBody, response: OfflineBatchSchema },
  'POST /events/:id/checkin/devices': { params: IdParams, body: DeviceBody, response: NewDeviceSchema },
  'GET /events/:id/checkin/entries': { params: IdParams, query: EntriesQuery, response: EntriesSchema },
  'POST /events/:id/queue': { params: IdParams, response: QueueTicketSchema },
  'GET /events/:id/queue': { params: IdParams, response: QueueStatusSchema },
  'DELETE /events/:id/queue': { params: IdParams, response: NoContent },
  'POST /events/:id/waitlist': { params: IdParams, body: JoinBody, response: WaitlistEntrySchema },
  'GET /events/:id/waitlist': { params: IdParams, response: WaitlistEntrySchema },
  'DELETE /events/:id/waitlist': { params: IdParams, response: NoContent },
  'POST /waitlist/offers/:id/decline': { params: IdParams, response: NoContent },
} as const;

export type Routes = typeof routes;
export type RouteKey = keyof Routes;
