import type { ErrorCode } from '../api/types.js';

/**
 * What a person reads for each error code the server can answer (and the client's own
 * `network_error`): the server's messages are written for API clients and may name headers, fields
 * or timestamps. Typed by the catalogue, so a new code fails the type check until it has a sentence;
 * test/web-errors.test.ts walks the catalogue too.
 */
export const errorMessages: Record<ErrorCode, string> = {
  validation_failed: 'Some of the details are not valid. Check the form and try again.',
  invalid_json: 'Something went wrong sending that. Reload the page and try again.',
  invalid_quantity: 'That number of tickets is not allowed here.',
  bad_request: 'Something went wrong sending that. Reload the page and try again.',
  webhook_address_not_allowed: 'That address cannot receive notifications: use a public web address.',
  unauthorized: 'Please log in to continue.',
  invalid_credentials: 'That email and password do not match.',
  wrong_password: 'That is not your current password.',
  invalid_token: 'Your session has ended. Please log in again.',
  invalid_queue_token: 'We could not find your place in line. Reload the page to take a new one.',
  payment_declined: 'Your card was declined. Nothing was charged; try another card.',
  forbidden: 'Your account cannot do that.',
  not_admitted: "It isn't your turn yet: stay in the line and we'll let you in.",
  admission_expired: 'Your shopping window has ended. Join the line again to continue.',
  queue_token_mismatch: 'This place in line belongs to another account. Reload the page to take your own.',
  not_found: 'We could not find that. It may have been removed.',
  email_taken: 'There is already an account with this email. Log in instead.',
  sold_out: 'There are not enough tickets left for that many. Try fewer, or another section.',
  seats_unavailable: 'Some of those seats were just taken by someone else. Please pick others.',
  not_on_sale: 'Tickets for this event are not on sale.',
  limit_reached: 'You already have as many tickets for this event as one person may buy.',
  hold_limit_reached: 'You already have tickets on hold for this event. Finish that checkout or release them first.',
  hold_not_active: 'These tickets are no longer on hold for you.',
  checkout_in_progress: 'Your payment is already being processed. Wait a moment, then check My tickets.',
  not_cancellable: 'This order can no longer be cancelled.',
  queue_not_open: 'The waiting room is not open yet.',
  queue_not_enabled: 'This event has no waiting room.',
  invalid_status_change: 'The event cannot be changed that way from its current status.',
  invalid_capacity: 'A section cannot have fewer tickets than are already sold or held.',
  invalid_quota: 'A ticket type cannot have a quota below the tickets of that type already sold or held.',
  code_taken: 'This event already has that code.',
  code_exhausted: 'This code has been used up.',
  code_invalid: 'This code is not valid for this event. Check it and try again.',
  code_expired: 'This code is not valid at this time.',
  tickets_available: 'Good news: tickets are available again. Pick them above.',
  already_waitlisted: 'You are already on the waitlist for this event.',
  offer_not_active: 'This offer has ended: the tickets went to the next person in line.',
  delivery_not_parked: 'This notification is not waiting for a retry.',
  payment_not_parked: 'This payment is not waiting for a retry.',
  request_timeout: 'That took too long. Check your connection and try again.',
  hold_expired: 'Your hold expired and the tickets went back on sale. Nothing was charged.',
  body_too_large: 'That is too much to send at once.',
  unsupported_media_type: 'Something went wrong sending that. Reload the page and try again.',
  idempotency_key_reused: 'Something went wrong sending that. Reload the page and try again.',
  too_many_requests: 'Too many tries in a short time. Wait a minute and try again.',
  headers_too_large: 'Something went wrong sending that. Reload the page and try again.',
  internal_error: 'Something went wrong on our side. Please try again in a moment.',
  unavailable: 'We are very busy right now. Please try again in a moment.',
  invalid_ticket_signature: 'This ticket code is not genuine: it was not issued by Onsale.',
  already_checked_in: 'This ticket has already been used to enter.',
  ticket_void: 'This ticket is no longer valid: it was cancelled, refunded or passed on to someone else.',
  wrong_event: 'This ticket is for another event.',
  transfers_not_allowed: 'The organizer does not allow passing tickets on for this event.',
  ticket_checked_in: 'This ticket has already been used to enter, so it can no longer be changed or passed on.',
  event_started: 'The event has started, so this ticket can no longer be changed or passed on.',
  last_owner: 'This is the only owner of the organization. Make someone else an owner first.',
  already_member: 'This person is already a member. Change their role instead.',
  invitation_used: 'This invitation link was already used. Log in, or ask for a new invitation.',
  invitation_expired: 'This invitation link has expired. Ask the organization for a new one.',
  reset_token_invalid: 'This password reset link is not valid; a newer link replaces older ones. Ask for a new link.',
  reset_token_expired: 'This password reset link has expired. Ask for a new one.',
  reset_token_used: 'This password reset link was already used. Log in, or ask for a new link.',
  network_error: 'Could not reach Onsale. Check your connection and try again.',
};

/** The sentence for an error, with the one figure some codes carry (the most tickets allowed). */
export function humanMessage(code: ErrorCode, details: Record<string, unknown>): string {
  if (code === 'invalid_quantity' && typeof details.max === 'number') return `You can have at most ${details.max} ticket${details.max === 1 ? '' : 's'} here.`;
  return errorMessages[code] ?? errorMessages.internal_error;
}
