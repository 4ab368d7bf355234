import cors from '@fastify/cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
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
 * The headers helmet sets for these options, computed once. Helmet's answer depends only on its options
 * (none of our directives is a per-request function), and `@fastify/helmet` rebuilds the middleware and
 * re-parses every directive on each request: 12 % of a trivial request's CPU in a profile
 * (docs/benchmarks.md, "Waiting room"). Running helmet once against a recording response gives the same
 * headers for the cost of copying them.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/**
 * Security headers (helmet's) on every answer, `Strict-Transport-Security` in production (a deployment
 * serves HTTPS at its balancer), and CORS for browser scripts of the listed origins only (none by default:
 * the web app is served from the API's own origin).
 */
export async function installSecurityHeaders(app: Api, options: { production: boolean; corsOrigins: string | undefined }): Promise<void> {
  const helmetOptions = (styleSrc: string[]): HelmetOptions => ({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...contentSecurityPolicy, styleSrc, ...(options.production ? { upgradeInsecureRequests: [] } : {}) },
    },
    hsts: options.production ? { maxAge: 365 * 86_400, includeSubDomains: true } : false,
  });
  const appHeaders = helmetHeaders(helmetOptions(contentSecurityPolicy.styleSrc));
  const docsHeaders = helmetHeaders(helmetOptions(docsStyleSrc));
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url === '/docs' || request.url.startsWith('/docs/') ? docsHeaders : appHeaders);
    done();
  });
  const allowed = options.corsOrigins?.split(',') ?? [];
  // No origin listed: no CORS at all. Registered with `origin: false` the plugin still ran a hook on every
  // request (copying its options, resolving the origin) to add nothing (docs/benchmarks.md, the door's profile).
  if (allowed.length > 0) await app.register(cors, { origin: allowed, credentials: false, maxAge: 600 });
}
