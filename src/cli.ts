#!/usr/bin/env node
/**
 * The process entry: starts tracing when it is configured (src/tracing/start.ts) before the commands
 * and everything they import are loaded, so Fastify, pg and ioredis load instrumented.
 */
import { startTracing } from './tracing/start.js';

await startTracing();
await import('./commands.js');
