import fp from 'fastify-plugin';
import type { Queryable } from '../../db/database.js';
import { databaseAnswers, type Lifecycle } from './health.js';
import type { Metrics } from './metrics.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { errorResponses } from '../../http/schemas.js';
import { AppError } from '../../errors.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * With METRICS_TOKEN set, /metrics wants `Authorization: Bearer <token>`; compared as digests in
 * constant time, so neither the token's length nor its prefix leaks through response timing.
 */
function requireMetricsToken(metricsToken: string | undefined) {
  const expected = metricsToken === undefined ? undefined : digest(`Bearer ${metricsToken}`);
  return async (request: FastifyRequest) => {
    if (expected === undefined) return;
    const header = request.headers.authorization;
    if (header === undefined) throw new AppError('unauthorized', 'Send "Authorization: Bearer <METRICS_TOKEN>".');
    if (!timingSafeEqual(digest(header), expected)) throw new AppError('invalid_token', 'The metrics token is wrong.');
  };
}

/** Not encapsulated (fastify-plugin): its response hook times every route of the app. */
export const opsRoutes = fp<{ db: Queryable; metrics: Metrics; metricsToken: string | undefined; lifecycle: Lifecycle }>(async (app, { db, metrics, metricsToken, lifecycle }) => {
  // While draining, every answer ends its connection, so a balancer's keep-alive connection moves to another node.
  // Callback hooks, not async ones: every request of the app runs them, and an async hook costs a
  // promise and a microtask turn each (docs/benchmarks.md, the door's profile).
  app.addHook('onRequest', (_request, reply, done) => {
    if (lifecycle.draining) reply.header('connection', 'close');
    done();
  });

  app.get('/healthz', {
    schema: { tags: ['ops'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: { tags: ['ops'], summary: 'Readiness: the node is not shutting down and the database answers', response: { 200: Type.Object({ status: Type.Literal('ready') }), ...errorResponses(503) } },
  }, async () => {
    if (lifecycle.draining) throw new AppError('unavailable', 'The node is shutting down.');
    if (!(await databaseAnswers(db))) throw new AppError('unavailable', 'The database does not answer.');
    return { status: 'ready' as const };
  });

  app.get('/metrics', { schema: { hide: true }, onRequest: requireMetricsToken(metricsToken) }, async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}, { name: 'ops' });
