import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { SessionTimeouts } from './db/database.js';
import { limits } from './limits.js';

const developmentSecret = 'onsale-development-secret-do-not-use-in-production';
const developmentAdminPassword = 'onsale-admin';
const developmentQueueSecret = 'onsale-development-queue-secret-do-not-use';

const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  HOST: Type.String({ default: '0.0.0.0' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATA_DIR: Type.String({ default: './data' }),
  PG_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 20 }),
  PG_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: limits.statementTimeoutMsDefault }),
  PG_LOCK_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 3_600_000, default: limits.lockTimeoutMsDefault }),
  PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: Type.Integer({ minimum: 1_000, maximum: 3_600_000, default: limits.idleInTransactionTimeoutMsDefault }),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1_000, maximum: 600_000, default: 30_000 }),
  HTTP_CONNECTION_TIMEOUT_MS: Type.Integer({ minimum: 1_000, maximum: 3_600_000, default: 120_000 }),
  HOLD_QUEUE_LENGTH_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 5_000 }),
  JWT_SECRET: Type.String({ minLength: 32, default: developmentSecret }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 86_400, default: 900 }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 90 * 86_400, default: 30 * 86_400 }),
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 1024, maximum: 1_048_576, default: 19_456 }),
  ADMIN_EMAIL: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', default: 'admin@onsale.local' }),
  ADMIN_PASSWORD: Type.String({ minLength: 8, default: developmentAdminPassword }),
  SEED_DEMO: Type.Boolean({ default: true }),
  SWEEP_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
  PAYMENT_RECONCILE_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 3_600_000, default: 30_000 }),
  PAYMENT_STALE_AFTER_MS: Type.Integer({ minimum: 100, maximum: 86_400_000, default: 60_000 }),
  WEB_DIST_DIR: Type.String({ default: 'web/dist', description: 'The built web app served at /' }),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  EMAIL_FROM: Type.String({ default: 'Onsale <no-reply@onsale.local>' }),
  OUTBOX_INTERVAL_MS: Type.Integer({ minimum: 20, maximum: 60_000, default: 500 }),
  DELIVERY_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  DELIVERY_BACKOFF_BASE_MS: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 5_000 }),
  DELIVERY_BACKOFF_MAX_MS: Type.Integer({ minimum: 1, maximum: 86_400_000, default: 3_600_000 }),
  WEBHOOK_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000 }),
  WEBHOOK_ALLOW_PRIVATE: Type.Boolean({ default: false }),
  REMINDER_LEAD_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 120 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.String({ pattern: '^[A-Za-z0-9:_-]{1,64}$', default: 'onsale:' }),
  QUEUE_TOKEN_SECRET: Type.String({ minLength: 32, default: developmentQueueSecret }),
  QUEUE_TICK_MS: Type.Integer({ minimum: 20, maximum: 10_000, default: 1000 }),
  QUEUE_LEASE_MS: Type.Integer({ minimum: 500, maximum: 60_000, default: 3000 }),
  QUEUE_SEQ_BLOCK: Type.Integer({ minimum: 1, maximum: 100_000, default: 100 }),
  QUEUE_JOIN_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 30 }),
  QUEUE_JOIN_IP_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 1200 }),
  AUTH_IP_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 300 }),
  LOGIN_EMAIL_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 10_000, default: 10 }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
});

export type Env = Static<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  host: string;
  port: number;
  databaseUrl: string | undefined;
  dataDir: string;
  pgPoolSize: number;
  /** Per-connection PostgreSQL bounds (not applied to the embedded PGlite). */
  pgSession: SessionTimeouts;
  /** A request must arrive whole within requestTimeoutMs; a socket with no traffic for connectionTimeoutMs is closed. */
  http: { requestTimeoutMs: number; connectionTimeoutMs: number };
  /** Hold requests that may wait for one section on one node; more are refused with 503. */
  holdQueueLengthMax: number;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  argon2MemoryKib: number;
  admin: { email: string; password: string };
  seedDemo: boolean;
  sweepIntervalMs: number;
  /**
   * The payment reconciler's pass interval (also its first backoff), and the age after which a
   * payment a checkout is still authorizing or capturing counts as abandoned by a crash.
   */
  payments: { reconcileIntervalMs: number; staleAfterMs: number };
  /** Unset: emails go to the log and the dev inbox (GET /api/v1/me/inbox). */
  smtpUrl: string | undefined;
  emailFrom: string;
  outboxIntervalMs: number;
  delivery: { maxAttempts: number; backoffBaseMs: number; backoffMaxMs: number; webhookTimeoutMs: number; webhookAllowPrivate: boolean };
  reminderLeadSeconds: number;
  logLevel: Env['LOG_LEVEL'];
  webDistDir: string;
  /** Without a Redis URL the waiting room runs on the single-node PostgreSQL backend. */
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  queue: { tokenSecret: string; tickMs: number; leaseMs: number; seqBlock: number; joinLimitPerMinute: number; joinIpLimitPerMinute: number };
  /** Logins and registrations per client IP, and logins per email address, per minute. */
  authLimits: { perIpPerMinute: number; loginPerEmailPerMinute: number };
  /** Behind a load balancer: take the client's IP from X-Forwarded-For (rate limits are per IP). */
  trustProxy: boolean;
  /** Set: `/metrics` answers only `Authorization: Bearer <metricsToken>`; unset: anyone who can reach it. */
  metricsToken: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once, with defaults; throws a ConfigError that names every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const raw = Object.fromEntries(Object.keys(EnvSchema.properties).filter((k) => source[k] !== undefined && source[k] !== '').map((k) => [k, source[k]]));
  const env = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw));
  const problems = [...Value.Errors(EnvSchema, env)].map((e) => `${e.path.slice(1)}: ${e.message}`);
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  const parsed = env as Env;
  if (parsed.NODE_ENV === 'production') {
    if (parsed.JWT_SECRET === developmentSecret) throw new ConfigError('JWT_SECRET must be set to a secret of your own in production.');
    if (parsed.QUEUE_TOKEN_SECRET === developmentQueueSecret) throw new ConfigError('QUEUE_TOKEN_SECRET must be set to a secret of your own in production.');
    if (parsed.ADMIN_PASSWORD === developmentAdminPassword) throw new ConfigError('ADMIN_PASSWORD must be set in production.');
  }
  return Object.freeze({
    env: parsed.NODE_ENV,
    host: parsed.HOST,
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    dataDir: parsed.DATA_DIR,
    pgPoolSize: parsed.PG_POOL_SIZE,
    pgSession: Object.freeze({
      statementTimeoutMs: parsed.PG_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: parsed.PG_LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs: parsed.PG_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    }),
    http: Object.freeze({ requestTimeoutMs: parsed.HTTP_REQUEST_TIMEOUT_MS, connectionTimeoutMs: parsed.HTTP_CONNECTION_TIMEOUT_MS }),
    holdQueueLengthMax: parsed.HOLD_QUEUE_LENGTH_MAX,
    jwtSecret: parsed.JWT_SECRET,
    accessTokenTtlSeconds: parsed.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: parsed.REFRESH_TOKEN_TTL_SECONDS,
    argon2MemoryKib: parsed.ARGON2_MEMORY_KIB,
    admin: { email: parsed.ADMIN_EMAIL, password: parsed.ADMIN_PASSWORD },
    seedDemo: parsed.SEED_DEMO,
    sweepIntervalMs: parsed.SWEEP_INTERVAL_MS,
    payments: Object.freeze({ reconcileIntervalMs: parsed.PAYMENT_RECONCILE_INTERVAL_MS, staleAfterMs: parsed.PAYMENT_STALE_AFTER_MS }),
    smtpUrl: parsed.SMTP_URL,
    emailFrom: parsed.EMAIL_FROM,
    outboxIntervalMs: parsed.OUTBOX_INTERVAL_MS,
    delivery: {
      maxAttempts: parsed.DELIVERY_MAX_ATTEMPTS,
      backoffBaseMs: parsed.DELIVERY_BACKOFF_BASE_MS,
      backoffMaxMs: parsed.DELIVERY_BACKOFF_MAX_MS,
      webhookTimeoutMs: parsed.WEBHOOK_TIMEOUT_MS,
      webhookAllowPrivate: parsed.WEBHOOK_ALLOW_PRIVATE,
    },
    reminderLeadSeconds: parsed.REMINDER_LEAD_SECONDS,
    logLevel: parsed.LOG_LEVEL,
    webDistDir: parsed.WEB_DIST_DIR,
    redisUrl: parsed.REDIS_URL,
    redisKeyPrefix: parsed.REDIS_KEY_PREFIX,
    queue: Object.freeze({
      tokenSecret: parsed.QUEUE_TOKEN_SECRET,
      tickMs: parsed.QUEUE_TICK_MS,
      leaseMs: parsed.QUEUE_LEASE_MS,
      seqBlock: parsed.QUEUE_SEQ_BLOCK,
      joinLimitPerMinute: parsed.QUEUE_JOIN_LIMIT_PER_MINUTE,
      joinIpLimitPerMinute: parsed.QUEUE_JOIN_IP_LIMIT_PER_MINUTE,
    }),
    authLimits: Object.freeze({ perIpPerMinute: parsed.AUTH_IP_LIMIT_PER_MINUTE, loginPerEmailPerMinute: parsed.LOGIN_EMAIL_LIMIT_PER_MINUTE }),
    trustProxy: parsed.TRUST_PROXY,
    metricsToken: parsed.METRICS_TOKEN,
  });
}
