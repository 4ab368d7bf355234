/** Every bound the service enforces, in one place. Units last in the name. */
export const limits = {
  bodyBytesMax: 256 * 1024,
  textLengthMax: 200,
  descriptionLengthMax: 5_000,
  passwordLengthMin: 8,
  passwordLengthMax: 256,
  ticketsPerOrderMax: 100,
  ticketsPerOrderDefault: 8,
  /** An event's maxTicketsPerUser when its organizer gives none (or its maxTicketsPerOrder, if larger). */
  ticketsPerUserDefault: 8,
  /** An event's maxHoldsPerUser when its organizer gives none: one open hold (basket) per buyer. */
  holdsPerUserDefault: 1,
  holdsPerUserMax: 100,
  /** `GET /me/holds` lists at most this many live holds (a basket per event; a buyer shops a few events at once). */
  activeHoldsListedMax: 200,
  sectionsPerEventMax: 100,
  /** Ticket types one section sells (adult, child, VIP, a presale price...). */
  ticketTypesPerSectionMax: 20,
  /** A presale, unlock or discount code as typed; codes generated in one request. */
  codeLengthMax: 64,
  codesGeneratedMax: 5_000,
  /** `GET /events/:id/codes` (and its CSV) list at most this many, newest first: a batch's `batchId` narrows them. */
  codesListedMax: 20_000,
  /** Holds with a code one account may try per minute: guessing codes is throttled (429). */
  codeAttemptsPerMinuteMax: 20,
  rowsPerSectionMax: 200,
  seatsPerRowMax: 500,
  seatsPerEventMax: 1_000_000,
  seatsPerHoldMax: 100,
  sectionCapacityMax: 1_000_000,
  /** 200,000.00 in a two-decimal currency: times ticketsPerOrderMax, a total still fits PostgreSQL's integer. */
  priceMinorMax: 20_000_000,
  /** What one hold or order may cost, fees and tax included (PostgreSQL's integer); past it a hold is refused. */
  orderTotalMax: 2_147_483_647,
  /** Fees one event may charge on each ticket (docs/fees.md). */
  feesPerEventMax: 10,
  /** A percent fee's and a tax's rate, in percent (taken to three decimals). */
  feePercentMax: 100,
  taxRatePercentMax: 100,
  holdTtlSecondsMax: 24 * 60 * 60,
  pageSizeMax: 100,
  pageSizeDefault: 20,
  /** The organizer's event list pages by offset; past this, narrow the list with a filter. */
  organizerListOffsetMax: 100_000,
  idempotencyKeyLengthMax: 200,
  /** Hold requests for one section gathered into one transaction. */
  holdBatchSizeMax: 256,
  /** Retention (OUTBOX_RETENTION_DAYS): how often each node prunes, rows per delete, deletes per table and run. */
  retentionIntervalMs: 10 * 60_000,
  retentionBatchSizeMax: 1_000,
  retentionBatchesPerRunMax: 100,
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
  /** Tries of one join at the Redis sequence (each after a block reservation or a rebuild) before 503. */
  queueJoinAttemptsMax: 20,
  /** The lock of a rebuild of a queue's Redis state lapses after this, should its node die mid-rebuild. */
  queueRebuildLockTtlMs: 5_000,
  /** How long a node waits for another node's rebuild of a queue before answering 503. */
  queueRebuildWaitMsMax: 5_000,
  queueRebuildPollMs: 10,
  /**
   * A join's mark on its account's place (and the seq it was given on the event's slot) lives this
   * long: a join that dies between its steps leaves nothing that outlives it (docs/scaling.md).
   */
  queueJoinPendingMs: 30_000,
  /** How long a durable Redis write waits for its replicas' acknowledgement (REDIS_WAIT_REPLICAS) before 503. */
  redisWaitMsMax: 1_000,
  /** Sends of one acknowledged write whose slot moved (MOVED) before 503 (ioredis' own commands follow up to 16). */
  redisRedirectionsMax: 5,
  /** Reads of a claimed place's admission when the line keeps moving past it meanwhile, before 503. */
  queueClaimAttemptsMax: 3,
  /** Places per Redis call when a tick admits a node's live sockets (each call runs as one Lua script: bounded, so Redis stays responsive). */
  queueArriveBatchMax: 500,
  /** A live-socket ticket opens one socket within this long of being issued. */
  liveTicketTtlSeconds: 30,
  /** Expired tickets deleted by each new ticket, so the table stays small without a sweeper. */
  liveTicketSweepBatchMax: 100,
  liveTicketLengthMax: 64,
  /** A QR payload is about 180 characters (docs/checkin.md); anything much longer is not one. */
  qrPayloadLengthMax: 400,
  clientScanIdLengthMax: 100,
  /** Scans one offline upload may carry (each is its own transaction); a scanner sends more in several. */
  offlineScanBatchMax: 500,
  /** Confirmation emails one account may ask to be sent again per minute (POST /orders/:id/resend). */
  confirmationResendsPerMinute: 3,
  /** The door dashboard's window: entries per minute over at most a day. */
  entriesWindowMinutesMax: 24 * 60,
  /** How far ahead of this node's clock another node's may be: an access token's `iat` may be this far in the future. */
  accessTokenClockSkewSecondsMax: 30,
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
  /**
   * After a shutdown's drain (SHUTDOWN_DRAIN_MS): in-flight requests and hold batches finishing, the
   * jobs stopping (the waiting-room lease handed back), the pool closing. Past it the process exits anyway.
   */
  shutdownMsMax: 15_000,
  /** How often a draining node looks whether its last connection has closed. */
  shutdownPollMs: 50,
  /** How often the HTTP server looks for requests past HTTP_REQUEST_TIMEOUT_MS (Node's default is 30 s). */
  httpTimeoutCheckIntervalMs: 1_000,
  /**
   * Connections the kernel holds until the process accepts them. A sale opens with a burst of
   * thousands; past Node's default of 511 the kernel drops or resets them. Linux caps it at
   * net.core.somaxconn (4096 by default).
   */
  listenBacklogMax: 4096,
  /**
   * How stale a waiter's place in the waitlist may be: each node reads an event's line at most this
   * often while its waiters check (their status and offer are always read fresh).
   */
  waitlistLineMaxAgeMs: 1_000,
  /**
   * Drawing one PDF (tickets, a receipt) in the PDF thread, its wait in the queue apart; past it the
   * thread is taken for wedged and ended, and the draw fails (an email is retried). An order of
   * ticketsPerOrderMax tickets draws in about a second.
   */
  pdfDrawMsMax: 60_000,
  /** PDFs waiting for the PDF thread per node; past it a download answers 503 and an email is retried. */
  pdfDrawsQueuedMax: 1_000,
  /** Search (features/search): the longest `q`; performers and tags per event (checked by migration 010 too). */
  searchQueryLengthMax: 100,
  performersPerEventMax: 50,
  tagsPerEventMax: 20,
  tagLengthMax: 50,
  /** Typo tolerance joins in when the exact full-text search finds fewer events than this. */
  searchExactHitsEnough: 5,
  suggestionsMax: 8,
  /** Half the Earth's circumference: every venue is within it. */
  searchRadiusKmMax: 20_038,
  /** Organizations (issue 14): an API key's lastUsedAt is written at most this often, so a busy key costs one write a minute, not one per request. */
  apiKeyLastUsedWriteIntervalSeconds: 60,
  apiKeyLengthMax: 100,
  /** How long an invitation link works; members, invitations and keys listed per organization. */
  invitationTtlSeconds: 7 * 24 * 60 * 60,
  invitationTokenLengthMax: 100,
  /** How long a password-reset link works (a leaked mailbox copy is worthless after it), and reset emails one address gets per minute. */
  passwordResetTtlSeconds: 60 * 60,
  passwordResetsPerEmailPerMinute: 3,
  passwordResetTokenLengthMax: 100,
  membersListedMax: 1_000,
  apiKeysListedMax: 200,
  organizationsListedMax: 200,
  /** Comp and manual orders: the longest reason. */
  orderReasonLengthMax: 500,
  /** The order desk's search box. */
  orderSearchLengthMax: 200,
  /** CSV export: tickets read from the database per round trip while streaming. */
  csvExportBatchSize: 250,
} as const;
