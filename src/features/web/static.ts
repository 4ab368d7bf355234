import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** Paths the web app never answers: their 404s keep the JSON error shape. */
const serverOwned = /^\/(api|docs|metrics|healthz|readyz)(\/|$)/;
/** Vite names built assets by content hash, so browsers may keep them forever. */
const hashedAssets = /^\/assets\//;
const looksLikeFile = /\/[^/]+\.[a-z0-9]+$/i;

/**
 * Serves the built web app (`npm run build:web` -> web/dist) at `/`. Any other GET that is not a file
 * and not a server path gets index.html, so the app's own routes (/events/…, /tickets) survive a reload.
 * Without a build the API runs alone.
 */
export const webApp: FastifyPluginAsync<{ root: string }> = async (app, options) => {
  const root = resolve(options.root);
  if (!existsSync(resolve(root, 'index.html'))) {
    app.log.warn({ root }, 'web app not built (npm run build:web); serving the API only');
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });
  app.get('/*', { schema: { hide: true } }, (request, reply) => {
    const path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    if (serverOwned.test(path)) return reply.callNotFound();
    if (hashedAssets.test(path)) return reply.sendFile(path, { maxAge: '365d', immutable: true });
    if (looksLikeFile.test(path)) return reply.sendFile(path, { maxAge: '1h' });
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  });
};
