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
  /** Payments one reconciler pass claims, settled one by one in a stable order. */
  paymentReconcileBatchSizeMax: 100,
  /** Reconciler attempts at one payment failing in a row before it is parked for an admin. */
  paymentAttemptsMax: 8,
  /** Longest pause between two attempts at one payment; the first is PAYMENT_RECONCILE_INTERVAL_MS, doubling. */
  paymentBackoffMsMax: 60 * 60 * 1000,
  /** Runs of one PostgreSQL transaction that was aborted for a deadlock or a serialization failure. */
  transactionAttemptsMax: 3,
  /** Longest random pause before such a transaction runs again, per attempt made. */
  transactionRetryPauseMsMax: 20,
  admitPerMinuteMax: 1_000_000,
  activeShoppersMax: 10_000_000,
  shoppingWindowSecondsMax: 24 * 60 * 60,
  /** Shorter would call people who merely reload slowly no-shows. */
  arrivalGraceSecondsMin: 10,
  queueTokenLengthMax: 200,
} as const;
