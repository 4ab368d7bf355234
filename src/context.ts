import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { createAuthService, type AuthService } from './features/auth/auth.js';
import { createGuards, type Guards } from './features/auth/guard.js';
import { createPasswordHasher } from './features/auth/passwords.js';
import { createAccessTokens } from './features/auth/tokens.js';
import { createCheckoutService, type CheckoutService } from './features/checkout/checkout.js';
import { TestPaymentProvider, type PaymentProvider } from './features/checkout/payments.js';
import { createHoldService, type HoldService } from './features/inventory/holds.js';
import { createStock, type Stock } from './features/inventory/stock.js';
import { devInboxTransport, smtpTransport } from './features/notifications/email.js';
import { createNotificationService, type NotificationService } from './features/notifications/dispatcher.js';
import { createLiveHub, type LiveHub } from './features/notifications/live.js';
import { createMetrics, type Metrics } from './features/ops/metrics.js';
import { waitlistReturnPolicy } from './features/waitlist/offers.js';
import { createWaitlistService, type WaitlistService } from './features/waitlist/waitlist.js';
import { createQueueService, type QueueService } from './features/queue/queue.js';

/** The services every feature's routes are built from; made once per process (or per test app). */
export interface AppContext {
  config: Readonly<Config>;
  db: Database;
  log: FastifyBaseLogger;
  metrics: Metrics;
  guards: Guards;
  /** Every stock change that returns stock, with the waitlist as its return policy. */
  stock: Stock;
  auth: AuthService;
  holds: HoldService;
  checkout: CheckoutService;
  payments: PaymentProvider;
  waitlist: WaitlistService;
  notifications: NotificationService;
  /** The live channel; the WebSocket layer subscribes open sessions to it. */
  live: LiveHub;
  queue: QueueService;
}

export function createContext(config: Readonly<Config>, db: Database, log: FastifyBaseLogger, payments: PaymentProvider = new TestPaymentProvider(db)): AppContext {
  const metrics = createMetrics();
  const accessTokens = createAccessTokens(config.jwtSecret, config.accessTokenTtlSeconds);
  const live = createLiveHub();
  const stock = createStock(waitlistReturnPolicy);
  const email = config.smtpUrl ? smtpTransport(config.smtpUrl, config.emailFrom) : devInboxTransport(db, log);
  if (!config.smtpUrl && config.env === 'production') log.warn('SMTP_URL is not set: emails only go to the log and the dev inbox');
  return {
    config,
    db,
    log,
    metrics,
    payments,
    stock,
    guards: createGuards(accessTokens),
    auth: createAuthService({ db, passwords: createPasswordHasher(config.argon2MemoryKib), accessTokens, refreshTokenTtlSeconds: config.refreshTokenTtlSeconds }),
    holds: createHoldService({ db, stock, metrics, queueLengthMax: config.holdQueueLengthMax }),
    checkout: createCheckoutService({ db, stock, payments, metrics, log, settlement: config.payments }),
    waitlist: createWaitlistService({ db, stock }),
    notifications: createNotificationService({ db, log, metrics, email, live, settings: config.delivery, reminderLeadSeconds: config.reminderLeadSeconds }),
    live,
    queue: createQueueService({ config, db, log }),
  };
}
