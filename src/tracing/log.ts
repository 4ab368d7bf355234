/**
 * What ties a log line to its request and trace. Fastify's request logger already binds `reqId`; with
 * tracing on, `traceFields` (the logger's pino mixin) adds the active span's `traceId` and `spanId`, and
 * the request id to lines a service writes through the process logger while serving a request.
 * Without the SDK the API's context is the empty root one, so the mixin finds nothing and adds nothing.
 */
import { context, createContextKey, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

const requestIdKey = createContextKey('onsale.reqId');

interface TraceFields {
  reqId?: string;
  traceId?: string;
  spanId?: string;
}

export function traceFields(_merge: object, _level: number, logger: Logger): TraceFields {
  const active = context.active();
  const fields: TraceFields = {};
  const span = trace.getSpan(active)?.spanContext();
  if (span) {
    fields.traceId = span.traceId;
    fields.spanId = span.spanId;
  }
  const reqId = active.getValue(requestIdKey);
  // A request's own logger has it bound already; written twice, the key would repeat in the JSON.
  if (typeof reqId === 'string' && !('reqId' in logger.bindings())) fields.reqId = reqId;
  return fields;
}

/** Carries each request's id in the tracing context from its first hook on, so the mixin finds it in whatever the request calls. */
export function bindRequestIds(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => context.with(context.active().setValue(requestIdKey, request.id), done));
}
