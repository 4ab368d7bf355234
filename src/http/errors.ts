import type { Socket } from 'node:net';
import type { Static } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorCatalogue, type ErrorCode } from '../errors.js';
import { isConnectionFailure, isTransientDbError } from '../db/pg-errors.js';
import { limits } from '../limits.js';
import { isRedisUnavailable } from '../redis/client.js';
import type { ErrorResponse } from './schemas.js';
import { describeValidationErrors } from './validation.js';

/** Fastify's own client errors, renamed into our catalogue. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
};

export type ErrorBody = Static<typeof ErrorResponse>;

export const errorBody = (code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorBody => ({
  error: { code, message, details },
});

/**
 * The router's own refusals (a path that is not valid URL encoding, a path parameter longer than
 * maxParamLength) happen before any route is chosen, so the error handler never sees them.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(400).send(errorBody('bad_request', 'The request path is not valid.', { reason: error.code }));
}

/**
 * Failures Node reports on the socket, outside any route (a request that did not arrive whole
 * within HTTP_REQUEST_TIMEOUT_MS, headers too large, bytes that are not HTTP), answered in the
 * error shape before the connection is closed.
 */
export function clientErrors(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, body] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'Request Timeout', errorBody('request_timeout', 'The request did not arrive in time.')]
    : error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', errorBody('headers_too_large', 'The request headers are too large.')]
      : [400, 'Bad Request', errorBody('bad_request', 'The request is not valid HTTP.')];
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
  }
  socket.destroy(error);
}

const sendUnavailable = (reply: FastifyReply, body: ErrorBody) =>
  reply.status(503).header('retry-after', String(limits.unavailableRetryAfterSeconds)).send(body);

/**
 * Every failure leaves as `{ error: { code, message, details } }`. Client errors say what was wrong;
 * server errors say nothing internal (the log has the details).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      const body = errorBody(error.code, error.message, error.details);
      return error.statusCode === 503 ? sendUnavailable(reply, body) : reply.status(error.statusCode).send(body);
    }
    if (error.validation) {
      const fields = describeValidationErrors(error.validation as never, error.validationContext);
      return reply.status(400).send(errorBody('validation_failed', 'The request is not valid.', { fields }));
    }
    // JSON syntax errors thrown by the parser arrive as SyntaxError with a 400 status.
    if (error instanceof SyntaxError || (error.code && fastifyCodes[error.code])) {
      const code = fastifyCodes[error.code] ?? 'invalid_json';
      return reply.status(errorCatalogue[code]).send(errorBody(code, error.message));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send(errorBody(status === 429 ? 'too_many_requests' : 'bad_request', error.message));
    }
    if (isTransientDbError(error) || isConnectionFailure(error) || isRedisUnavailable(error)) {
      request.log.warn({ err: error }, 'database busy');
      return sendUnavailable(reply, errorBody('unavailable', 'The service is busy; try again in a moment.'));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send(errorBody('internal_error', 'Something went wrong on our side.'));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('not_found', `No route ${request.method} ${request.url.split('?')[0]}.`)),
  );
}
