import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Query parameters whose values are credentials: the live sockets take a queue token or a
 * single-use ticket in the URL (browsers cannot set headers on a WebSocket), and an old client may
 * still send `accessToken`. Matched on the decoded name, in any case.
 */
const credentialName = /token|ticket|secret|password/i;

const decodedName = (part: string) => {
  const name = part.split('=', 1)[0]!;
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
};

/** The URL with the value of every credential-bearing query parameter replaced by `[REDACTED]`. */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt === -1) return url;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((part) => (credentialName.test(decodedName(part)) ? `${part.split('=', 1)[0]}=[REDACTED]` : part))
    .join('&');
  return `${url.slice(0, queryAt)}?${query}`;
}

/**
 * The `req` of each log line: Fastify's default fields with the URL redacted. Headers are left out
 * on purpose: `Authorization` and `X-Queue-Token` are bearer credentials.
 */
export function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/**
 * Routes asked many times a second by machines (the balancer's probes, the metrics scraper) or that
 * serve the web app's files: their requests are not logged (their route's level is warn), so the log
 * shows what people and API clients do. Their failures still reach the log through the error handler.
 */
const quietRoutes = new Set(['/healthz', '/readyz', '/metrics', '/*', '/docs/static/*']);

const isQuietRoute = (url: string) => quietRoutes.has(url);

/** Registers the quiet routes' log level; call before any route is added. */
export function quietenProbesAndFiles(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (isQuietRoute(route.url)) route.logLevel = 'warn';
  });
}
