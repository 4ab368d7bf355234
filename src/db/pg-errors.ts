/** PostgreSQL error codes the service reacts to, by name. */
export const pgErrorCodes = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  tooManyConnections: '53300',
} as const;

const transientCodes = new Set<string>([
  pgErrorCodes.serializationFailure,
  pgErrorCodes.deadlockDetected,
  pgErrorCodes.lockNotAvailable,
  pgErrorCodes.queryCanceled,
  pgErrorCodes.tooManyConnections,
]);

export const pgErrorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;

/** True for failures that say "try again shortly" (the server is busy), not "your request is wrong". */
export const isTransientDbError = (error: unknown): boolean => transientCodes.has(pgErrorCode(error) ?? '');

export const isUniqueViolation = (error: unknown, constraint?: string): boolean =>
  pgErrorCode(error) === pgErrorCodes.uniqueViolation &&
  (constraint === undefined || (error as { constraint?: string }).constraint === constraint);
