import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const scriptsDir = fileURLToPath(new URL('./scripts/', import.meta.url));

/** The Lua scripts, by file name; each is one atomic operation (see its header for KEYS/ARGV). */
export type ScriptName =
  | 'queue_join' | 'queue_refill' | 'queue_freeze' | 'queue_admit' | 'queue_leave' | 'queue_active' | 'queue_arrive' | 'queue_claim' | 'queue_figures'
  | 'lease_acquire' | 'lease_release';

export interface RedisClient {
  redis: Redis;
  /** Runs a script by name (EVALSHA, loading it on first use). */
  run<T = unknown>(name: ScriptName, keys: string[], args: (string | number)[]): Promise<T>;
  /** A second connection for SUBSCRIBE (a subscribed connection can do nothing else). */
  subscriber(): Redis;
  close(): Promise<void>;
}

const scriptSources = new Map(
  readdirSync(scriptsDir).filter((f) => f.endsWith('.lua')).map((f) => [f.slice(0, -4), readFileSync(scriptsDir + f, 'utf8')]),
);

export function createRedisClient(url: string): RedisClient {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: false });
  redis.on('error', () => undefined); // ioredis reconnects by itself; requests fail meanwhile and are answered 503.
  for (const [name, lua] of scriptSources) redis.defineCommand(name, { lua });
  const subscribers: Redis[] = [];
  return {
    redis,
    run(name, keys, args) {
      const command = (redis as unknown as Record<string, (n: number, ...a: (string | number)[]) => Promise<unknown>>)[name];
      if (!command) throw new Error(`no Redis script ${name}`);
      return command.call(redis, keys.length, ...keys, ...args) as Promise<never>;
    },
    subscriber() {
      const sub = redis.duplicate();
      sub.on('error', () => undefined);
      subscribers.push(sub);
      return sub;
    },
    async close() {
      await Promise.all([redis, ...subscribers].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/**
 * Work on Redis state that could not finish within its bounds (`limits.ts`): another node's rebuild
 * outlasted the wait, or retries ran out. Answered 503 like an unreachable Redis: try again shortly.
 */
export class RedisBusyError extends Error {
  override readonly name = 'RedisBusyError';
}

/** True when a request failed because Redis is unreachable or busy (answered 503: try again shortly). */
export const isRedisUnavailable = (error: unknown): boolean =>
  error instanceof RedisBusyError ||
  (error instanceof Error && (error.name === 'MaxRetriesPerRequestError' || /Connection is closed|ECONNREFUSED|Stream isn't writeable/.test(error.message)));
