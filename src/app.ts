import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { AppContext } from './context.js';
import { authRoutes } from './features/auth/routes.js';
import { checkinRoutes } from './features/checkin/routes.js';
import { orderRoutes, paymentAdminRoutes, ticketRoutes } from './features/checkout/routes.js';
import { orderDeskRoutes } from './features/checkout/desk-routes.js';
import { eventRevenue } from './features/checkout/desk.js';
import { eventRoutes } from './features/events/routes.js';
import { EventSchema } from './features/events/schemas.js';
import { holdRoutes } from './features/inventory/routes.js';
import { codeRoutes } from './features/inventory/code-routes.js';
import { notificationRoutes } from './features/notifications/routes.js';
import { opsRoutes } from './features/ops/routes.js';
import { venueRoutes } from './features/venues/routes.js';
import { organizationRoutes } from './features/orgs/routes.js';
import { salesRoutes } from './features/organizer/routes.js';
import { searchRoutes } from './features/search/routes.js';
import { webApp } from './features/web/static.js';
import { waitlistRoutes } from './features/waitlist/routes.js';
import { liveRoutes } from './features/queue/live.js';
import { queueRoutes } from './features/queue/routes.js';
import websocket from '@fastify/websocket';
import type { Api } from './http/api.js';
import { createRedisClient, redisTarget } from './redis/client.js';
import { rateLimitPlugin } from './features/ratelimit/plugin.js';
import { clientErrors, frameworkErrors, installErrorHandling } from './http/errors.js';
import { ErrorResponse } from './http/schemas.js';
import { createValidatorCompiler } from './http/validation.js';
import { quietenProbesAndFiles } from './http/log.js';
import { installSecurityHeaders } from './http/security.js';
import { limits } from './limits.js';
import { bindRequestIds } from './tracing/log.js';

/** Builds the HTTP application; never listens (the process entry in server.ts does). */
export async function buildApp(context: AppContext): Promise<Api> {
  const app = Fastify({
    loggerInstance: context.log as FastifyBaseLogger,
    bodyLimit: limits.bodyBytesMax,
    // Keep-alive sockets left idle by load balancers should not hold shutdown forever.
    forceCloseConnections: 'idle',
    // Slow clients: a request (headers and body) must arrive whole within requestTimeout, and a
    // socket on which nothing moves is closed after connectionTimeout.
    requestTimeout: context.config.http.requestTimeoutMs,
    connectionTimeout: context.config.http.connectionTimeoutMs,
    // Node looks for late requests every connectionsCheckingInterval (30 s by default), and caps
    // headersTimeout (60 s) at requestTimeout only when the server is created. Fastify sets
    // requestTimeout afterwards, and Node then allows the larger of the two: so Node gets it too.
    http: { requestTimeout: context.config.http.requestTimeoutMs, connectionsCheckingInterval: limits.httpTimeoutCheckIntervalMs },
    clientErrorHandler: clientErrors,
    trustProxy: context.config.trustProxy,
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(createValidatorCompiler());
  quietenProbesAndFiles(app);
  installErrorHandling(app);
  // Only tracing carries the id anywhere (without the SDK the context API is a no-op): no hook otherwise.
  if (context.config.otlpEndpoint) bindRequestIds(app);
  await installSecurityHeaders(app, { production: context.config.env === 'production', corsOrigins: context.config.corsOrigins });
  app.decorateRequest('principal', null);
  app.decorateRequest('caller', null);
  app.addSchema(ErrorResponse);
  app.addSchema(EventSchema);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Onsale API', version: '1', description: 'Ticket on-sale platform: events, timed holds, checkout. Errors are always `{ error: { code, message, details } }`.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(websocket, { options: { maxPayload: 4096 } });

  const { config, db, guards, access, queue } = context;
  const redis = redisTarget(config);
  const rateLimitRedis = redis ? createRedisClient(redis) : undefined;
  if (rateLimitRedis) app.addHook('onClose', () => rateLimitRedis.close());
  await app.register(rateLimitPlugin, { redis: rateLimitRedis?.redis, keyPrefix: config.redisKeyPrefix });

  await app.register(opsRoutes, { db, metrics: context.metrics, metricsToken: config.metricsToken, lifecycle: context.lifecycle });
  await app.register(async (api) => {
    await api.register(authRoutes, { auth: context.auth, guards, rateLimits: config.authLimits });
    await api.register(organizationRoutes, { organizations: context.organizations, apiKeys: context.apiKeys, guards, signupOpen: config.organizerSignup === 'open' });
    await api.register(venueRoutes, { venues: context.venues, guards, access });
    await api.register(eventRoutes, { events: context.events, guards, access, queueFigures: (eventId) => queue.figures(eventId), revenueOf: (eventId) => eventRevenue(db, eventId), checkedInBySection: (eventId) => context.checkin.checkedInBySection(eventId) });
    await api.register(holdRoutes, { holds: context.holds, guards, admission: queue });
    await api.register(codeRoutes, { db, guards, stock: context.stock });
    await api.register(orderRoutes, { checkout: context.checkout, guards, access });
    await api.register(orderDeskRoutes, { db, stock: context.stock, checkout: context.checkout, guards });
    await api.register(paymentAdminRoutes, { checkout: context.checkout, guards });
    await api.register(ticketRoutes, { tickets: context.tickets, guards });
    await api.register(checkinRoutes, { checkin: context.checkin, signer: context.signer, guards, access });
    await api.register(salesRoutes, { db, guards, access });
    await api.register(searchRoutes, { db });
    await api.register(waitlistRoutes, { waitlist: context.waitlist, guards });
    await api.register(notificationRoutes, { notifications: context.notifications, guards, access, live: context.live, liveTickets: context.liveTickets });
    await api.register(queueRoutes, { queue, guards, joinLimits: { perIpPerMinute: config.queue.joinIpLimitPerMinute, perUserPerMinute: config.queue.joinLimitPerMinute } });
    await api.register(liveRoutes, { db, queue });
  }, { prefix: '/api/v1' });
  await app.register(webApp, { root: config.webDistDir });

  return app;
}
