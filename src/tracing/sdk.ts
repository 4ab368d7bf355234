/**
 * The OpenTelemetry Node SDK, loaded only when tracing is on (start.ts). Spans for incoming (and
 * outgoing) HTTP, each Fastify route and hook, every pg query and every ioredis command go to the
 * OTLP/HTTP collector that OTEL_EXPORTER_OTLP_ENDPOINT names, JSON-encoded; the exporter and the SDK read
 * the other standard OTEL_* variables themselves. Only traces: metrics stay on /metrics (Prometheus).
 */
import { register } from 'node:module';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';

/** Probes and scrapes, every few seconds from every balancer and Prometheus: noise in a trace store. */
const untracedPaths = new Set(['/healthz', '/readyz', '/metrics']);

export function startSdk(): NodeSDK {
  // ESM imports are patched by import-in-the-middle's loader hook, which sees only modules loaded after it.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  process.env['OTEL_SERVICE_NAME'] ??= 'onsale';
  const sdk = new NodeSDK({
    traceExporter: new OTLPTraceExporter(),
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => untracedPaths.has((request.url ?? '').split('?', 1)[0]!) }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true, ignorePaths: (route) => untracedPaths.has(route.url) }),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
    ],
  });
  sdk.start();
  return sdk;
}
