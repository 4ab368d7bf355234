import { readFileSync } from 'node:fs';
import { Type, type Static, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { limits } from './limits.js';

/**
 * Every setting is declared once, here: the environment variable it is read from, its default, its
 * bounds and the sentence the README's configuration table shows (`npm run docs:config` regenerates
 * the table; test/readme-config.test.ts fails when it is stale). `Config` is derived from this schema.
 */

/**
 * Options every leaf carries: `env` names the variable; `refusedInProduction` marks a development-only
 * default; `secret` lets the value come from a file named by `<env>_FILE` instead (container platforms
 * mount secrets as files), so it need not sit in the environment.
 */
interface LeafOptions {
  env: string;
  description: string;
  refusedInProduction?: true;
  secret?: true;
}

const integer = (options: LeafOptions & { minimum: number; maximum: number; default: number }) => Type.Integer(options);
const boolean = (options: LeafOptions & { default: boolean }) => Type.Boolean(options);
const string = (options: LeafOptions & { default: string; pattern?: string; minLength?: number }) => Type.String(options);
/** An unset optional value is `undefined`; a set one must match its bounds. */
const optionalString = (options: LeafOptions & { pattern?: string; minLength?: number; maxLength?: number }) => Type.Optional(Type.String(options));
const oneOf = <const T extends readonly string[]>(values: T, options: LeafOptions & { default: T[number] }) =>
  Type.Union(values.map((v) => Type.Literal(v)), options) as unknown as TUnion<TLiteral<T[number]>[]>;

export const ConfigSchema = Type.Object({
  env: oneOf(['development', 'production', 'test'], {
    env: 'NODE_ENV', default: 'development', description: '`production` refuses to start with any default marked "refused in production"',
  }),
  host: string({ env: 'HOST', default: '0.0.0.0', description: 'the address to listen on' }),
  port: integer({ env: 'PORT', minimum: 0, maximum: 65535, default: 3000, description: 'the port to listen on' }),
  publicBaseUrl: optionalString({
    env: 'PUBLIC_BASE_URL', pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$', maxLength: 500,
    description: 'where buyers reach the web app (`https://tickets.example.com`): links in emails to an order or an offer start with it; unset = `http://localhost:PORT`, or `http://HOST:PORT` when HOST is one address',
  }),
  databaseUrl: optionalString({ env: 'DATABASE_URL', secret: true, pattern: '^postgres(ql)?://', description: 'PostgreSQL connection string; unset = embedded PGlite' }),
  dataDir: string({ env: 'DATA_DIR', default: './data', description: "PGlite's data directory" }),
  migrateOnStart: boolean({
    env: 'MIGRATE_ON_START', default: true,
    description: "apply pending migrations when a node starts; `false` where `onsale migrate` runs as a step of its own before the nodes roll (docs/deploy.md): a node then refuses a schema newer than it knows and warns about an older one",
  }),
  pgPoolSize: integer({ env: 'PG_POOL_SIZE', minimum: 1, maximum: 500, default: 20, description: 'PostgreSQL connections per node' }),
  /** Per-connection PostgreSQL bounds (not applied to the embedded PGlite). */
  pgSession: Type.Object({
    statementTimeoutMs: integer({
      env: 'PG_STATEMENT_TIMEOUT_MS', minimum: 100, maximum: 3_600_000, default: limits.statementTimeoutMsDefault,
      description: 'per-connection bound on one PostgreSQL statement; past it the request gets 503 with `Retry-After` (migrations run with longer bounds; not applied to PGlite)',
    }),
    lockTimeoutMs: integer({
      env: 'PG_LOCK_TIMEOUT_MS', minimum: 10, maximum: 3_600_000, default: limits.lockTimeoutMsDefault,
      description: 'per-connection bound on one PostgreSQL lock wait (503 with `Retry-After` past it)',
    }),
    idleInTransactionTimeoutMs: integer({
      env: 'PG_IDLE_IN_TRANSACTION_TIMEOUT_MS', minimum: 1_000, maximum: 3_600_000, default: limits.idleInTransactionTimeoutMsDefault,
      description: 'per-connection bound on a PostgreSQL transaction left idle',
    }),
  }),
  /** A request must arrive whole within requestTimeoutMs; a socket with no traffic for connectionTimeoutMs is closed. */
  http: Type.Object({
    requestTimeoutMs: integer({
      env: 'HTTP_REQUEST_TIMEOUT_MS', minimum: 1_000, maximum: 600_000, default: 30_000,
      description: 'a request (headers and body) must arrive whole within this, else 408 and the connection is closed',
    }),
    connectionTimeoutMs: integer({
      env: 'HTTP_CONNECTION_TIMEOUT_MS', minimum: 1_000, maximum: 3_600_000, default: 120_000,
      description: 'a connection with no traffic is closed after this',
    }),
  }),
  shutdownDrainMs: integer({
    env: 'SHUTDOWN_DRAIN_MS', minimum: 0, maximum: 600_000, default: 5_000,
    description: 'after `SIGTERM` a node fails readiness and stops accepting connections at once, then serves its open connections this long (each closed after its next answer) so the balancer moves off it, then finishes in-flight work and exits; keep the balancer\'s upstream keep-alive timeout shorter',
  }),
  /** Hold requests that may wait for one section on one node; more are refused with 503. */
  holdQueueLengthMax: integer({
    env: 'HOLD_QUEUE_LENGTH_MAX', minimum: 1, maximum: 1_000_000, default: 5_000,
    description: 'hold requests that may wait for one section on one node; more get 503 with `Retry-After` at once',
  }),
  jwtSecret: string({
    env: 'JWT_SECRET', secret: true, minLength: 32, default: 'onsale-development-secret-do-not-use-in-production', refusedInProduction: true,
    description: 'HS256 key for access tokens',
  }),
  accessTokenTtlSeconds: integer({ env: 'ACCESS_TOKEN_TTL_SECONDS', minimum: 30, maximum: 86_400, default: 900, description: 'access token lifetime' }),
  refreshTokenTtlSeconds: integer({
    env: 'REFRESH_TOKEN_TTL_SECONDS', minimum: 60, maximum: 90 * 86_400, default: 30 * 86_400, description: 'refresh token lifetime (rotated on every use)',
  }),
  argon2MemoryKib: integer({ env: 'ARGON2_MEMORY_KIB', minimum: 1024, maximum: 1_048_576, default: 19_456, description: 'argon2id memory cost for password hashes' }),
  admin: Type.Object({
    email: string({ env: 'ADMIN_EMAIL', pattern: '^[^@\\s]+@[^@\\s]+$', default: 'admin@onsale.local', description: 'the platform admin account ensured at start (it may do everything and manages organizations)' }),
    password: string({ env: 'ADMIN_PASSWORD', secret: true, minLength: 8, default: 'onsale-admin', refusedInProduction: true, description: "the organizer account's password" }),
  }),
  organizerSignup: oneOf(['open', 'closed'], {
    env: 'ORGANIZER_SIGNUP', default: 'closed',
    description: '`open` lets any logged-in user create an organization (`POST /organizations`) and become its owner; `closed`: only the platform admin (the `ADMIN_EMAIL` account) creates them',
  }),
  seedDemo: boolean({ env: 'SEED_DEMO', default: true, description: 'seed the demo on-sale when the database has no events' }),
  sweepIntervalMs: integer({ env: 'SWEEP_INTERVAL_MS', minimum: 50, maximum: 60_000, default: 1000, description: 'how often lapsed holds are returned to sale' }),
  payments: Type.Object({
    reconcileIntervalMs: integer({
      env: 'PAYMENT_RECONCILE_INTERVAL_MS', minimum: 50, maximum: 3_600_000, default: 30_000,
      description: 'how often the reconciler settles payments left half-way (a failing one is retried with backoff from this interval, then parked for an admin)',
    }),
    staleAfterMs: integer({
      env: 'PAYMENT_STALE_AFTER_MS', minimum: 100, maximum: 86_400_000, default: 60_000,
      description: 'a payment still being authorized or captured after this long counts as abandoned by a crash: captured if its order exists, voided if not',
    }),
  }),
  smtpUrl: optionalString({ env: 'SMTP_URL', secret: true, pattern: '^smtps?://', description: '`smtp://…` for real email; unset = emails go to the log and the dev inbox (`GET /api/v1/me/inbox`)' }),
  emailFrom: string({ env: 'EMAIL_FROM', default: 'Onsale <no-reply@onsale.local>', description: 'sender of notification emails' }),
  outboxIntervalMs: integer({ env: 'OUTBOX_INTERVAL_MS', minimum: 20, maximum: 60_000, default: 500, description: 'how often the notification dispatcher runs' }),
  delivery: Type.Object({
    maxAttempts: integer({ env: 'DELIVERY_MAX_ATTEMPTS', minimum: 1, maximum: 100, default: 10, description: 'delivery attempts before a notification is parked' }),
    backoffBaseMs: integer({ env: 'DELIVERY_BACKOFF_BASE_MS', minimum: 1, maximum: 3_600_000, default: 5_000, description: 'first wait of the exponential backoff between delivery attempts' }),
    backoffMaxMs: integer({ env: 'DELIVERY_BACKOFF_MAX_MS', minimum: 1, maximum: 86_400_000, default: 3_600_000, description: 'longest wait between delivery attempts' }),
    webhookTimeoutMs: integer({ env: 'WEBHOOK_TIMEOUT_MS', minimum: 100, maximum: 60_000, default: 5_000, description: 'timeout of one webhook call' }),
    webhookAllowPrivate: boolean({
      env: 'WEBHOOK_ALLOW_PRIVATE', default: false,
      description: '`true` lets webhooks target loopback, private and link-local addresses (local development, receivers inside your network); off, such URLs are refused when registered and every delivery checks the address it connects to',
    }),
  }),
  outboxRetentionDays: integer({
    env: 'OUTBOX_RETENTION_DAYS', minimum: 1, maximum: 3650, default: 30,
    description: 'dispatched outbox rows and finished deliveries older than this are deleted, in bounded batches, as are refresh tokens and ended holds past it',
  }),
  reminderLeadSeconds: integer({
    env: 'REMINDER_LEAD_SECONDS', minimum: 1, maximum: 86_400, default: 120, description: '"your hold / offer is about to expire" is sent this long before',
  }),
  logLevel: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { env: 'LOG_LEVEL', default: 'info', description: 'pino level' }),
  logFormat: oneOf(['auto', 'pretty', 'json'], {
    env: 'LOG_FORMAT', default: 'auto',
    description: '`pretty`: one readable line per request and message; `json`: one JSON object per line (pino) for log collectors; `auto`: pretty when stdout is a terminal, JSON otherwise',
  }),
  webDistDir: string({ env: 'WEB_DIST_DIR', default: 'web/dist', description: 'the built web app served at `/` (`npm run build` builds it; `npm start` builds it when missing or stale)' }),
  /** Without a Redis URL the waiting room runs on the single-node PostgreSQL backend. */
  redisUrl: optionalString({ env: 'REDIS_URL', secret: true, pattern: '^rediss?://', description: 'Redis for the waiting room across many nodes; unset (and no `REDIS_CLUSTER_NODES`) = the single-node PostgreSQL backend' }),
  redisClusterNodes: optionalString({
    env: 'REDIS_CLUSTER_NODES', pattern: '^[^\\s,:]+:[0-9]{1,5}(,[^\\s,:]+:[0-9]{1,5})*$', maxLength: 4096,
    description: 'comma-separated `host:port` seeds of a Redis Cluster (several masters) for the waiting room and rate limits, instead of `REDIS_URL` (set one of the two): ioredis\' cluster client finds the other nodes and follows failovers; the key layout is in docs/scaling.md',
  }),
  redisWaitReplicas: integer({
    env: 'REDIS_WAIT_REPLICAS', minimum: 0, maximum: 5, default: 0,
    description: 'a join, leave or re-claimed place is answered only once this many replicas of each Redis shard it wrote acknowledge the writes (`WAIT`, bounded; 503 otherwise), so a master that dies and is replaced by its replica loses no place given (docs/scaling.md); 0 = no wait (a single Redis, or a cluster without replicas)',
  }),
  redisKeyPrefix: string({ env: 'REDIS_KEY_PREFIX', pattern: '^[A-Za-z0-9:_-]{1,64}$', default: 'onsale:', description: 'prefix of every Redis key' }),
  queue: Type.Object({
    tokenSecret: string({
      env: 'QUEUE_TOKEN_SECRET', secret: true, minLength: 32, default: 'onsale-development-queue-secret-do-not-use', refusedInProduction: true,
      description: 'HMAC key of queue tokens',
    }),
    tickMs: integer({ env: 'QUEUE_TICK_MS', minimum: 20, maximum: 10_000, default: 1000, description: 'admission tick of the waiting room' }),
    leaseMs: integer({ env: 'QUEUE_LEASE_MS', minimum: 500, maximum: 60_000, default: 3000, description: "lease of the node that advances the waiting room's line" }),
    seqBlock: integer({ env: 'QUEUE_SEQ_BLOCK', minimum: 1, maximum: 100_000, default: 100, description: 'queue sequence numbers reserved per block' }),
    joinLimitPerMinute: integer({
      env: 'QUEUE_JOIN_LIMIT_PER_MINUTE', minimum: 1, maximum: 1_000_000, default: 30, description: 'queue joins per account per minute (429 with `Retry-After`)',
    }),
    joinIpLimitPerMinute: integer({
      env: 'QUEUE_JOIN_IP_LIMIT_PER_MINUTE', minimum: 1, maximum: 10_000_000, default: 1200, description: 'queue joins per client IP per minute (429 with `Retry-After`)',
    }),
  }),
  authLimits: Type.Object({
    perIpPerMinute: integer({
      env: 'AUTH_IP_LIMIT_PER_MINUTE', minimum: 1, maximum: 10_000_000, default: 300, description: 'logins and sign-ups per client IP per minute (429 with `Retry-After`)',
    }),
    loginPerEmailPerMinute: integer({
      env: 'LOGIN_EMAIL_LIMIT_PER_MINUTE', minimum: 1, maximum: 10_000, default: 10, description: 'logins per email address per minute (429 with `Retry-After`)',
    }),
  }),
  trustProxy: boolean({
    env: 'TRUST_PROXY', default: false, description: 'behind a load balancer, take the client IP from `X-Forwarded-For` (rate limits are per IP)',
  }),
  corsOrigins: optionalString({
    env: 'CORS_ORIGINS', pattern: '^https?://[^,\\s]+(,https?://[^,\\s]+)*$', maxLength: 4096,
    description: 'comma-separated origins (`https://shop.example.com`) whose browser scripts may call the API; unset = none (the web app is served from the same origin and needs none)',
  }),
  otlpEndpoint: optionalString({
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT', pattern: '^https?://', maxLength: 2048,
    description: "OpenTelemetry tracing to this OTLP/HTTP collector (`http://collector:4318`: spans go to `/v1/traces`, JSON-encoded), with spans for HTTP, Fastify routes, pg and ioredis and the trace id on every log line; unset = off, and no SDK is loaded. The SDK's other standard variables apply (`OTEL_SERVICE_NAME`, default `onsale`; `OTEL_TRACES_SAMPLER`; `OTEL_EXPORTER_OTLP_HEADERS`); docs/deploy.md",
  }),
  metricsToken: optionalString({
    env: 'METRICS_TOKEN', secret: true, minLength: 16, maxLength: 512,
    description: 'when set, `/metrics` answers only `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise); unset = public, so keep it off the internet',
  }),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** One setting: where it sits in `Config`, and its schema (which names its variable). */
export interface ConfigLeaf {
  path: string[];
  schema: TSchema & LeafOptions & { default?: unknown };
}

/** The settings in declaration order, found by walking the schema down to the leaves that name a variable. */
export function configLeaves(schema: TSchema = ConfigSchema, path: string[] = []): ConfigLeaf[] {
  if (typeof schema['env'] === 'string') return [{ path, schema: schema as ConfigLeaf['schema'] }];
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  return Object.entries(properties).flatMap(([key, child]) => configLeaves(child, [...path, key]));
}

/** A set variable's value (an empty string counts as unset); a secret may instead come from the file `<env>_FILE` names. */
function readVariable(source: NodeJS.ProcessEnv, schema: ConfigLeaf['schema']): string | undefined {
  const value = source[schema.env] || undefined;
  const file = schema.secret ? source[`${schema.env}_FILE`] || undefined : undefined;
  if (file === undefined) return value;
  if (value !== undefined) throw new ConfigError(`Set ${schema.env} or ${schema.env}_FILE, not both.`);
  try {
    // Files written by `echo` or an editor end with a newline that is no part of the secret.
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(`${schema.env}_FILE=${JSON.stringify(file)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/** The variables that are set, placed at their paths in the config's shape. */
function readEnvironment(source: NodeJS.ProcessEnv): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const { path, schema } of configLeaves()) {
    // Every group exists, even with none of its variables set, so Value.Default can fill its leaves.
    const parent = path.slice(0, -1).reduce<Record<string, unknown>>((group, key) => (group[key] ??= {}) as Record<string, unknown>, raw);
    const value = readVariable(source, schema);
    if (value !== undefined) parent[path.at(-1)!] = value;
  }
  return raw;
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) deepFreeze(child);
  return Object.freeze(value);
}

/** A development default left in place in production is a known secret or password: refuse to start. */
function assertNoDevelopmentDefaultsInProduction(config: Config): void {
  if (config.env !== 'production') return;
  const leftAtDefault = configLeaves()
    .filter(({ path, schema }) => schema.refusedInProduction && Value.Equal(path.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], config), schema.default))
    .map(({ schema }) => schema.env);
  if (leftAtDefault.length > 0) throw new ConfigError(`${leftAtDefault.join(', ')} must be set to a value of your own in production.`);
}

/** Parses the environment once, with defaults; throws a ConfigError that names every bad variable and its bound. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const candidate = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, readEnvironment(source)));
  // A union's branch errors repeat its own error, so one line per variable is kept.
  const problems = new Map<string, string>();
  for (const error of Value.Errors(ConfigSchema, candidate)) {
    const name = typeof error.schema['env'] === 'string' ? error.schema['env'] : error.path;
    if (!problems.has(name)) problems.set(name, `${name}=${JSON.stringify(error.value)}: ${error.message}`);
  }
  if (problems.size > 0) throw new ConfigError(`Invalid configuration:\n  ${[...problems.values()].join('\n  ')}`);
  const config = candidate as Config;
  if (config.redisUrl && config.redisClusterNodes) throw new ConfigError('Set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both.');
  assertNoDevelopmentDefaultsInProduction(config);
  return deepFreeze(config);
}

/** The web app's address for links sent to people: PUBLIC_BASE_URL, else the listen address (without a trailing slash). */
export function publicBaseUrl(config: Pick<Config, 'publicBaseUrl' | 'host' | 'port'>): string {
  if (config.publicBaseUrl) return config.publicBaseUrl.replace(/\/+$/, '');
  const anyAddress = config.host === '0.0.0.0' || config.host === '::';
  const host = anyAddress ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}
