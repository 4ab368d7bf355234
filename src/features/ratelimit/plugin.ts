import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import type { RedisConnection } from '../../redis/client.js';

/** One limit: at most `perMinute` requests per key in a fixed one-minute window. */
export interface RateLimit {
  /** Names the limit; keys of different scopes never meet. */
  scope: string;
  perMinute: number;
  /** What is counted: an IP address, an account, an email... (a scope keeps the key function of its first use) */
  key: (request: FastifyRequest) => string;
}

/**
 * The Redis counters of one request's limits, for a caller that counts them inside a script of its own
 * (the waiting room's join: limits and join in one round trip). The script must count as this plugin's
 * store does: INCR each key, PEXPIRE it to `windowMs` when new, over when the count exceeds its max.
 */
export interface RateCounters {
  keys: string[];
  max: number[];
  windowMs: number;
  /** Answers 429 with Retry-After, as the hook would, for a count over its max that `waitMs` from now resets. */
  throttled(waitMs: number): never;
}

/** A preHandler that counts one hit against every limit and answers 429 with Retry-After when any is over. */
export type RateLimitHook = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & {
  /** The same limits as Redis counters, to count in a script; undefined without Redis (each process counts). */
  counters(request: FastifyRequest, reply: FastifyReply): RateCounters | undefined;
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Builds the hook for a route; `message` is what a throttled caller reads. */
    limitRate(message: string, limits: readonly RateLimit[]): RateLimitHook;
  }
}

export interface RateLimitPluginOptions {
  /** Shared counters for every node; without Redis each process counts on its own (one-node default). */
  redis: RedisConnection | undefined;
  /** Prefixes every counter key, so deployments (and test runs) sharing a Redis do not meet. */
  keyPrefix: string;
}

const windowMs = 60_000;

/**
 * Rate limiting for every feature, on `@fastify/rate-limit` (its Redis store: one INCR script per
 * limit, pipelined; one Redis or a Redis Cluster). Routes opt in with `app.limitRate(...)`; nothing is limited globally.
 */
export const rateLimitPlugin = fp<RateLimitPluginOptions>(async (app, { redis, keyPrefix }) => {
  await app.register(rateLimit, { global: false, timeWindow: windowMs, ...(redis ? { redis, nameSpace: `${keyPrefix}rl:` } : {}) });

  // One counter per scope, shared by every route that names it (login and sign-up share `auth-ip`).
  const checks = new Map<string, { perMinute: number; check: ReturnType<typeof app.createRateLimit>; key: RateLimit['key'] }>();
  const checkKey = (scope: string) => checks.get(scope)!.key;
  const checkFor = ({ scope, perMinute, key }: RateLimit) => {
    const known = checks.get(scope);
    if (known && known.perMinute !== perMinute) throw new Error(`rate limit ${scope} is defined twice with different limits`);
    if (known) return known.check;
    // The counted value (an IP, an account) is the key's hash tag: on a Redis Cluster the counters
    // spread by IP and by account, and an account's counters share a slot with its places (keys.ts).
    const check = app.createRateLimit({ max: perMinute, timeWindow: windowMs, keyGenerator: (request) => counterKey(scope, key(request)) });
    checks.set(scope, { perMinute, check, key });
    return check;
  };

  const nameSpace = `${keyPrefix}rl:`;
  // Where @fastify/rate-limit's store counts a `createRateLimit` check: its namespace, then the route
  // info such a check has none of (`${method}${url}-`, both undefined), then the key generator's answer.
  // queue.api.test.ts counts one limit through the hook and through the join script, as one counter.
  const storeKeyPrefix = `${nameSpace}undefinedundefined-`;
  const counterKey = (scope: string, value: string) => `${scope}:{${value}}`;

  app.decorate('limitRate', (message: string, limits: readonly RateLimit[]): RateLimitHook => {
    const routeChecks = limits.map(checkFor);
    const throttled = (reply: FastifyReply, waitMs: number): never => {
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      reply.header('retry-after', String(retryAfterSeconds));
      throw new AppError('too_many_requests', message, { retryAfterSeconds });
    };
    const hook = async (request: FastifyRequest, reply: FastifyReply) => {
      const results = await Promise.all(routeChecks.map((check) => check(request)));
      const waits = results.flatMap((r) => (!r.isAllowed && r.isExceeded ? [r.ttl] : []));
      if (waits.length > 0) throttled(reply, Math.max(...waits));
    };
    // The key each check's store would count (its namespace, then the key generator's `scope:{value}`),
    // and its scope's limit (checkFor: one limit per scope).
    const counters = (request: FastifyRequest, reply: FastifyReply): RateCounters | undefined => redis && {
      keys: limits.map(({ scope }) => storeKeyPrefix + counterKey(scope, checkKey(scope)(request))),
      max: limits.map(({ scope }) => checks.get(scope)!.perMinute),
      windowMs,
      throttled: (waitMs) => throttled(reply, waitMs),
    };
    return Object.assign(hook, { counters });
  });
}, { name: 'rate-limit', fastify: '5.x' });
