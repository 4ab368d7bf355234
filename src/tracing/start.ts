/**
 * Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. The SDK must be running before Fastify,
 * pg and ioredis are first imported (ESM modules are instrumented as they load, through a loader hook
 * the SDK module registers), so the process entry (`cli.ts`) calls `startTracing` before it imports
 * anything else; with tracing off, the SDK is never imported and the default path costs nothing.
 */
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig } from '../config.js';

let running: { shutdown(): Promise<void> } | undefined;

/** Starts the OpenTelemetry SDK when the configuration names a collector; an invalid configuration is left to the command to report. */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let endpoint: string | undefined;
  try {
    endpoint = loadConfig(env).otlpEndpoint;
  } catch {
    return;
  }
  if (!endpoint) return;
  const { startSdk } = await import('./sdk.js');
  running = startSdk();
}

/**
 * Sends the spans still buffered (before the process exits) and stops the SDK; nothing to do when
 * tracing is off. A collector that cannot be reached loses those spans, and the process still stops cleanly.
 */
export async function stopTracing(log: Pick<FastifyBaseLogger, 'warn'>): Promise<void> {
  await running?.shutdown().catch((error: unknown) => log.warn({ err: error }, 'the last spans could not be sent'));
  running = undefined;
}
