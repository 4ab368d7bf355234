import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../context.js';
import type { Api } from '../../http/api.js';
import { errorResponses } from '../../http/schemas.js';
import { AppError } from '../../errors.js';

export async function opsRoutes(app: Api, { db, metrics }: AppContext): Promise<void> {
  app.get('/healthz', {
    schema: { tags: ['ops'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: { tags: ['ops'], summary: 'Readiness: the database answers', response: { 200: Type.Object({ status: Type.Literal('ready') }), ...errorResponses(503) } },
  }, async () => {
    try {
      await db.query('select 1');
    } catch {
      throw new AppError('unavailable', 'The database does not answer.');
    }
    return { status: 'ready' as const };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}
