/** Every bound the service enforces, in one place. Units last in the name. */
export const limits = {
  bodyBytesMax: 256 * 1024,
  textLengthMax: 200,
  descriptionLengthMax: 5_000,
  passwordLengthMin: 8,
  passwordLengthMax: 256,
  ticketsPerOrderMax: 100,
  sectionsPerEventMax: 100,
  rowsPerSectionMax: 200,
  seatsPerRowMax: 500,
  seatsPerEventMax: 1_000_000,
  seatsPerHoldMax: 100,
  sectionCapacityMax: 1_000_000,
  /** 200,000.00 in a two-decimal currency: times ticketsPerOrderMax, a total still fits PostgreSQL's integer. */
  priceMinorMax: 20_000_000,
  holdTtlSecondsMax: 24 * 60 * 60,
  pageSizeMax: 100,
  pageSizeDefault: 20,
  idempotencyKeyLengthMax: 200,
  /** Hold requests for one section gathered into one transaction. */
  holdBatchSizeMax: 256,
  /** Expired holds returned to sale per sweeper transaction. */
  sweepBatchSizeMax: 500,
  admitPerMinuteMax: 1_000_000,
  activeShoppersMax: 10_000_000,
  shoppingWindowSecondsMax: 24 * 60 * 60,
  /** Shorter would call people who merely reload slowly no-shows. */
  arrivalGraceSecondsMin: 10,
  queueTokenLengthMax: 200,
  /** Retry-After on a 503: the pool reconnects, a lock frees or a queue drains within about this long. */
  unavailableRetryAfterSeconds: 1,
  /** PostgreSQL session bounds (PG_STATEMENT_TIMEOUT_MS, PG_LOCK_TIMEOUT_MS, PG_IDLE_IN_TRANSACTION_TIMEOUT_MS). */
  statementTimeoutMsDefault: 30_000,
  lockTimeoutMsDefault: 10_000,
  idleInTransactionTimeoutMsDefault: 60_000,
  /** Migrations build indexes on full tables and wait for other nodes' migrations: longer bounds. */
  migrationStatementTimeoutMs: 30 * 60_000,
  migrationLockTimeoutMs: 5 * 60_000,
  /** Waiting for a pooled PostgreSQL connection, or for a new one to open. */
  dbConnectionWaitMsMax: 30_000,
  /** How often the HTTP server looks for requests past HTTP_REQUEST_TIMEOUT_MS (Node's default is 30 s). */
  httpTimeoutCheckIntervalMs: 1_000,
} as const;
