import type { FastifyBaseLogger } from 'fastify';
import { createDomainEventBus, type DomainEventBus } from './bus.js';
import { publicBaseUrl, type Config } from './config.js';
import type { Database } from './db/database.js';
import { limits } from './limits.js';
import { createAuthService, type AuthService } from './features/auth/auth.js';
import { createAccess, type Access } from './features/auth/access.js';
import { createApiKeys, type ApiKeys } from './features/auth/api-keys.js';
import { createGuards, type Guards } from './features/auth/guard.js';
import { createLiveTickets, type LiveTickets } from './features/auth/live-tickets.js';
import { createPasswordHasher } from './features/auth/passwords.js';
import { createAccessTokens } from './features/auth/tokens.js';
import { createCheckinService, type CheckinService } from './features/checkin/checkin.js';
import { createTicketSigner, type TicketSigner } from './features/checkin/signing.js';
import { createCheckoutService, type CheckoutService } from './features/checkout/checkout.js';
import { createPdfRenderer, type PdfRenderer } from './features/checkout/pdf-renderer.js';
import { createTicketService, type TicketService } from './features/checkout/tickets.js';
import { TestPaymentProvider, type PaymentProvider } from './features/checkout/payments.js';
import { createEventService, type EventService } from './features/events/events.js';
import { createHoldService, type HoldService } from './features/inventory/holds.js';
import { createStock, type Stock } from './features/inventory/stock.js';
import { devInboxTransport, smtpTransport } from './features/notifications/email.js';
import { createNotificationService, type NotificationService } from './features/notifications/dispatcher.js';
import { createLiveHub, type LiveHub } from './features/notifications/live.js';
import { enqueue } from './features/notifications/outbox.js';
import { createMetrics, type Metrics } from './features/ops/metrics.js';
import { createLifecycle, type Lifecycle } from './features/ops/health.js';
import { createQueueService, type QueueService } from './features/queue/queue.js';
import { createOrganizationService, type OrganizationService } from './features/orgs/organizations.js';
import { createVenueService, type VenueService } from './features/venues/venues.js';
import { waitlistReturnPolicy } from './features/waitlist/offers.js';
import { createWaitlistService, type WaitlistService } from './features/waitlist/waitlist.js';

/**
 * The composition root's services, made once per process (or per test app). Each feature's routes
 * are handed only the services they name (app.ts); nothing below app.ts sees this object.
 */
export interface AppContext {
  config: Readonly<Config>;
  db: Database;
  log: FastifyBaseLogger;
  metrics: Metrics;
  /** Set when the node starts shutting down (readiness fails from then on). */
  lifecycle: Lifecycle;
  /** What one feature tells the others after a commit. */
  bus: DomainEventBus;
  guards: Guards;
  /** Who may do what in which organization (features/auth/access.ts). */
  access: Access;
  apiKeys: ApiKeys;
  auth: AuthService;
  organizations: OrganizationService;
  liveTickets: LiveTickets;
  /** Every stock change that returns stock, with the waitlist as its return policy. */
  stock: Stock;
  venues: VenueService;
  events: EventService;
  holds: HoldService;
  checkout: CheckoutService;
  /** The PDF thread (tickets, receipts): closed with the process. */
  pdfs: PdfRenderer;
  /** Attendee names and transfers of tickets. */
  tickets: TicketService;
  /** Signs tickets' QR payloads (checkout shows them, check-in verifies them). */
  signer: TicketSigner;
  checkin: CheckinService;
  payments: PaymentProvider;
  waitlist: WaitlistService;
  notifications: NotificationService;
  /** The live channel; the WebSocket layer subscribes open sessions to it. */
  live: LiveHub;
  queue: QueueService;
}

export function createContext(config: Readonly<Config>, db: Database, log: FastifyBaseLogger, payments: PaymentProvider = new TestPaymentProvider(db)): AppContext {
  const metrics = createMetrics();
  const bus = createDomainEventBus(log);
  const accessTokens = createAccessTokens(config.jwtSecret, config.accessTokenTtlSeconds);
  const live = createLiveHub();
  const access = createAccess(db);
  const auth = createAuthService({
    db, passwords: createPasswordHasher(config.argon2MemoryKib), accessTokens, refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    // Auth cannot import notifications (they depend on it): the reset email reaches the outbox from here.
    passwordResets: {
      publicUrl: publicBaseUrl(config),
      ttlSeconds: limits.passwordResetTtlSeconds,
      send: (tx, { userId, link, expiresAt }) => enqueue(tx, { type: 'account.password_reset', userId, payload: { link, expiresAt: expiresAt.toISOString() } }),
    },
  });
  const apiKeys = createApiKeys(db);
  const stock = createStock(waitlistReturnPolicy);
  const signer = createTicketSigner(db);
  const pdfs = createPdfRenderer();
  const checkout = createCheckoutService({ db, stock, bus, payments, metrics, log, settlement: config.payments, signQr: (tickets) => signer.sign(tickets), pdfs });
  const email = config.smtpUrl ? smtpTransport(config.smtpUrl, config.emailFrom) : devInboxTransport(db, log);
  if (!config.smtpUrl && config.env === 'production') log.warn('SMTP_URL is not set: emails only go to the log and the dev inbox');
  return {
    config,
    db,
    log,
    metrics,
    lifecycle: createLifecycle(),
    bus,
    payments,
    stock,
    guards: createGuards(accessTokens, apiKeys, access),
    access,
    apiKeys,
    auth,
    organizations: createOrganizationService({ db, auth, publicUrl: publicBaseUrl(config) }),
    liveTickets: createLiveTickets(db),
    venues: createVenueService(db),
    events: createEventService({ db, stock, bus }),
    holds: createHoldService({ db, stock, metrics, queueLengthMax: config.holdQueueLengthMax }),
    checkout,
    pdfs,
    tickets: createTicketService(db),
    signer,
    checkin: createCheckinService({ db, signer }),
    // Joins queue per section like holds do, under the same bound.
    waitlist: createWaitlistService({ db, stock, queueLengthMax: config.holdQueueLengthMax }),
    notifications: createNotificationService({
      db, log, metrics, email, live, settings: config.delivery, reminderLeadSeconds: config.reminderLeadSeconds, baseUrl: publicBaseUrl(config),
      attachments: async (type, payload) => (type === 'order.confirmed' && typeof payload.orderId === 'string' ? checkout.confirmationAttachments(payload.orderId) : []),
    }),
    live,
    queue: createQueueService({ config, db, log, bus }),
  };
}
