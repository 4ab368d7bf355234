import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { Api } from './api.js';

/**
 * The Content-Security-Policy of every answer: the web app loads only its own scripts, styles, fonts
 * and images (the tickets' QR codes are `data:` images it draws), talks only to its own origin
 * (`'self'` includes its WebSockets), and may not be framed. test/e2e/security.test.ts drives the app
 * in Chromium and requires no violation.
 */
export const contentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * The API docs page (Swagger UI, /docs) styles its elements inline; it gets that, and nothing else does.
 * Paths under it only: the app's own pages keep the strict policy.
 */
const docsStyleSrc = ["'self'", "'unsafe-inline'"];

/**
 * Security headers (`@fastify/helmet`) on every answer, `Strict-Transport-Security` in production (a
 * deployment serves HTTPS at its balancer), and CORS for browser scripts of the listed origins only
 * (none by default: the web app is served from the API's own origin).
 */
export async function installSecurityHeaders(app: Api, options: { production: boolean; corsOrigins: string | undefined }): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { ...contentSecurityPolicy, ...(options.production ? { upgradeInsecureRequests: [] } : {}) } },
    hsts: options.production ? { maxAge: 365 * 86_400, includeSubDomains: true } : false,
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/docs' || request.url.startsWith('/docs/')) {
      const directives = { ...contentSecurityPolicy, styleSrc: docsStyleSrc };
      reply.header('content-security-policy', Object.entries(directives).map(([name, values]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${values.join(' ')}`).join(';'));
    }
  });
  const allowed = options.corsOrigins?.split(',') ?? [];
  await app.register(cors, { origin: allowed.length > 0 ? allowed : false, credentials: false, maxAge: 600 });
}
