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
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
  idleInTransactionTimeout: '25P03',
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

/**
 * Ends of a connection rather than of a statement: an administrator or a crash ended the session, the
 * server is starting or stopping, the session idled in a transaction too long, the socket broke.
 */
const connectionLostCodes = new Set<string>([
  pgErrorCodes.adminShutdown,
  pgErrorCodes.crashShutdown,
  pgErrorCodes.cannotConnectNow,
  pgErrorCodes.idleInTransactionTimeout,
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);
/** Class 08, connection exception: the connection failed or could not be made. */
const connectionExceptionClass = '08';
/**
 * pg reports a connection that ended, a client it no longer trusts and a pool with no connection free
 * in time (`connectionTimeoutMillis`) without any code; these are its messages for them.
 */
const pgConnectionMessages = /^(Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect)/;

/**
 * True when the work failed for want of a working connection, not because of what it asked: it
 * may succeed on another connection in a moment, so the client is told to try again (503).
 */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = pgErrorCode(error);
  if (code === undefined) return pgConnectionMessages.test(error.message);
  return connectionLostCodes.has(code) || code.startsWith(connectionExceptionClass);
}

export const isUniqueViolation = (error: unknown, constraint?: string): boolean =>
  pgErrorCode(error) === pgErrorCodes.uniqueViolation &&
  (constraint === undefined || (error as { constraint?: string }).constraint === constraint);
