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
  /**
   * Connections the kernel holds until the process accepts them. A sale opens with a burst of
   * thousands; past Node's default of 511 the kernel drops or resets them. Linux caps it at
   * net.core.somaxconn (4096 by default).
   */
  listenBacklogMax: 4096,
} as const;
