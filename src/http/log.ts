import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';

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

const warnLevel = 40;

/**
 * Registers the quiet routes' log level; call before any route is added. Not through the route's
 * `logLevel`: Fastify then passes the level to each request's child logger, and pino rebuilds every log
 * method of a child whose level is given (a profile showed it on every probe, and with a logger at
 * `error` it even made the probes more verbose than the rest). Instead a quiet route's requests are
 * children of one warn-level logger made once per parent; with the logger at warn or above already, the
 * quiet routes are left alone and cost nothing.
 */
export function quietenProbesAndFiles(app: FastifyInstance): void {
  const quietParents = new WeakMap<FastifyBaseLogger, FastifyBaseLogger>();
  const quietChild = (logger: FastifyBaseLogger, bindings: Record<string, unknown>, options: object): FastifyBaseLogger => {
    let parent = quietParents.get(logger);
    if (!parent) {
      parent = logger.child({}, { level: 'warn' });
      quietParents.set(logger, parent);
    }
    return parent.child(bindings, options);
  };
  const levelOf = (logger: FastifyBaseLogger) => (logger as unknown as { levels?: { values: Record<string, number> } }).levels?.values[logger.level] ?? 0;
  app.addHook('onRoute', (route) => {
    if (!isQuietRoute(route.url) || route.childLoggerFactory) return;
    if (levelOf(app.log) >= warnLevel) return;
    route.childLoggerFactory = quietChild as unknown as NonNullable<RouteOptions['childLoggerFactory']>;
  });
}
