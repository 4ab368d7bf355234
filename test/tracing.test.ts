/**
 * Issue 16, observability: with OTEL_EXPORTER_OTLP_ENDPOINT set, a real server process sends the spans
 * of a request (HTTP, the Fastify route, pg, ioredis) in one trace to an OTLP/HTTP collector, and its
 * log lines carry the request id and that trace id; with it unset, no SDK is loaded.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { deleteRedisPrefix, redisUrl, testRedisPrefix } from './support/queue.js';
import { call, exitOf, killServers, serve, type ServeProcess } from './support/serve.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string } }[];
}
interface Span extends ExportedSpan {
  scope: string;
}
interface TraceExport {
  resourceSpans: { scopeSpans: { scope: { name: string }; spans: ExportedSpan[] }[] }[];
}
interface LogLine {
  msg: string;
  reqId?: string;
  traceId?: string;
  spanId?: string;
  req?: { url?: string };
}

/** A tiny OTLP/HTTP collector: keeps every span posted (JSON encoding) to /v1/traces. */
async function startCollector(): Promise<{ server: Server; url: string; spans: Span[] }> {
  const spans: Span[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces' && request.headers['content-type']?.startsWith('application/json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as TraceExport;
        for (const resource of body.resourceSpans) for (const { scope, spans: scoped } of resource.scopeSpans) for (const span of scoped) spans.push({ ...span, scope: scope.name });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}`, spans };
}

const attribute = (span: Span, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;
const logLines = (server: ServeProcess) => server.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);

let database: TestDatabase;
let collector: Awaited<ReturnType<typeof startCollector>>;
let scratch: string;
const redisPrefix = testRedisPrefix();

beforeAll(async () => {
  [database, collector, scratch] = await Promise.all([createTestDatabase(), startCollector(), mkdtemp(join(tmpdir(), 'onsale-tracing-'))]);
});

afterAll(async () => {
  killServers();
  collector?.server.close();
  await database?.drop();
  await deleteRedisPrefix(redisPrefix);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Serves on this file's PostgreSQL database and Redis prefix, recording the modules the process loads. */
async function serveRecorded(name: string, env: Record<string, string>): Promise<{ server: ServeProcess; modules: () => Promise<string[]> }> {
  const file = join(scratch, `${name}.modules`);
  const server = await serve({
    DATABASE_URL: database.url, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: redisPrefix, SEED_DEMO: 'false', LOG_LEVEL: 'info',
    NODE_OPTIONS: `--import=${join(import.meta.dirname, 'support/module-recorder.mjs')}`, ONSALE_TEST_MODULES_FILE: file, ...env,
  });
  return { server, modules: async () => (await readFile(file, 'utf8')).split('\n') };
}

async function stop(server: ServeProcess): Promise<void> {
  const exited = exitOf(server.child);
  server.child.kill('SIGTERM');
  expect(await exited).toBe(0);
}

describe('OpenTelemetry tracing', () => {
  it('exports a request\'s HTTP, route, pg and ioredis spans in one trace, whose id its log lines carry', async () => {
    const { server, modules } = await serveRecorded('on', { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '100' });
    expect(await modules()).toContainEqual(expect.stringContaining('/@opentelemetry/sdk-node/'));
    // Registering passes the per-IP rate limit (Redis) and writes the account (PostgreSQL).
    const registered = await call(server.url, 'POST', '/api/v1/auth/register', { email: 'traced@example.test', password: 'long enough', name: 'Traced' });
    expect(registered.status).toBe(201);

    const isRequestSpan = (span: Span) => span.scope === '@opentelemetry/instrumentation-http' && span.kind === 2 && attribute(span, 'http.route') === '/api/v1/auth/register';
    await expect.poll(() => collector.spans.some(isRequestSpan)).toBe(true);
    const traceId = collector.spans.find(isRequestSpan)!.traceId;
    const scopesOfTrace = () => new Set(collector.spans.filter((span) => span.traceId === traceId).map((span) => span.scope));
    await expect.poll(() => [...scopesOfTrace()].sort()).toEqual(expect.arrayContaining(['@fastify/otel', '@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-ioredis', '@opentelemetry/instrumentation-pg']));
    const ofTrace = collector.spans.filter((span) => span.traceId === traceId);
    expect(ofTrace.some((span) => span.scope === '@opentelemetry/instrumentation-pg' && /insert into users/i.test(attribute(span, 'db.query.text') ?? attribute(span, 'db.statement') ?? ''))).toBe(true);

    const lines = logLines(server);
    const incoming = lines.find((line) => line.msg === 'incoming request' && line.req?.url === '/api/v1/auth/register');
    expect(incoming?.reqId).toBeDefined();
    const ofRequest = lines.filter((line) => line.reqId === incoming!.reqId);
    expect(ofRequest.map((line) => line.msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    expect(ofRequest.map((line) => line.traceId)).toEqual(ofRequest.map(() => traceId));
    expect(ofRequest.every((line) => /^[0-9a-f]{16}$/.test(line.spanId ?? ''))).toBe(true);
    await stop(server);
  }, 300_000);

  it('loads no SDK and writes no trace id when OTEL_EXPORTER_OTLP_ENDPOINT is unset', async () => {
    const { server, modules } = await serveRecorded('off', { OTEL_EXPORTER_OTLP_ENDPOINT: '' });
    expect((await call(server.url, 'GET', '/api/v1/events')).status).toBe(200);
    const loaded = await modules();
    expect(loaded).toContainEqual(expect.stringContaining('/node_modules/fastify/'));
    expect(loaded.filter((url) => /@opentelemetry\/(sdk-|instrumentation)|@fastify\/otel|import-in-the-middle/.test(url))).toEqual([]);
    const lines = logLines(server).filter((line) => line.msg === 'incoming request');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line.reqId !== undefined && line.traceId === undefined)).toBe(true);
    await stop(server);
  }, 300_000);
});
