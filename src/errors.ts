/**
 * The catalogue of error codes clients may branch on, with their HTTP status. Every error response
 * has the shape `{ error: { code, message, details } }`; docs/errors.md lists the same table.
 */
export const errorCatalogue = {
  validation_failed: 400,
  invalid_json: 400,
  invalid_quantity: 400,
  bad_request: 400,
  webhook_address_not_allowed: 400,
  invalid_ticket_signature: 400,
  reset_token_invalid: 400,
  reset_token_expired: 400,
  reset_token_used: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  wrong_password: 403,
  invalid_token: 401,
  invalid_queue_token: 401,
  payment_declined: 402,
  forbidden: 403,
  not_admitted: 403,
  admission_expired: 403,
  queue_token_mismatch: 403,
  not_found: 404,
  email_taken: 409,
  sold_out: 409,
  seats_unavailable: 409,
  not_on_sale: 409,
  limit_reached: 409,
  hold_limit_reached: 409,
  hold_not_active: 409,
  checkout_in_progress: 409,
  not_cancellable: 409,
  queue_not_open: 409,
  queue_not_enabled: 409,
  invalid_status_change: 409,
  invalid_capacity: 409,
  invalid_quota: 409,
  code_taken: 409,
  code_exhausted: 409,
  tickets_available: 409,
  already_waitlisted: 409,
  offer_not_active: 409,
  delivery_not_parked: 409,
  payment_not_parked: 409,
  already_checked_in: 409,
  ticket_void: 409,
  wrong_event: 409,
  transfers_not_allowed: 409,
  ticket_checked_in: 409,
  event_started: 409,
  last_owner: 409,
  already_member: 409,
  invitation_used: 409,
  request_timeout: 408,
  hold_expired: 410,
  invitation_expired: 410,
  body_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  code_invalid: 422,
  code_expired: 422,
  too_many_requests: 429,
  headers_too_large: 431,
  internal_error: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class AppError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.statusCode = errorCatalogue[code];
  }
}

export const notFound = (what = 'resource') => new AppError('not_found', `The ${what} does not exist.`);
