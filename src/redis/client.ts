import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { scriptCode } from './codes.js';

// Beside this file both in src/ (under tsx) and in dist/ (compiled), so the build must copy scripts/.
const scriptsDir = fileURLToPath(new URL('./scripts/', import.meta.url));
const includesDir = `${scriptsDir}includes/`;

/**
 * What each Lua script answers, by file name: every `*.lua` at the top of scripts/ becomes a command,
 * and each needs a line here (scripts.test.ts fails when a file and this list disagree).
 */
export interface ScriptResults {
  queue_join: [number, number];
  queue_refill: number;
  queue_freeze: [number, number, number];
  queue_admit: number;
  queue_leave: [number, number];
  queue_active: number;
  queue_arrive: ArriveAnswer | typeof scriptCode.metaMissing;
  queue_arrive_many: ArriveAnswer[] | typeof scriptCode.metaMissing;
  queue_claim: number;
  queue_figures: [number, number];
  lease_acquire: number;
  lease_release: number;
}

/** One place's answer to an arrival: [window end ms or '', 1 when it must be claimed first], or pending. */
export type ArriveAnswer = [string, number] | typeof scriptCode.admissionPending;

export type ScriptName = keyof ScriptResults;

export interface RedisClient {
  redis: Redis;
  /** Runs a script by name (EVALSHA, loading it on first use). */
  run<N extends ScriptName>(name: N, keys: string[], args: (string | number)[]): Promise<ScriptResults[N]>;
  /** A second connection for SUBSCRIBE (a subscribed connection can do nothing else). */
  subscriber(): Redis;
  close(): Promise<void>;
}

const includeLine = /^-- @include "([a-z_]+)"$/gm;

/**
 * A script's source with each `-- @include "name"` line replaced by scripts/includes/name.lua, so
 * shared fragments stay in one file while every script is still sent, and runs, as one atomic unit.
 */
export const expandIncludes = (lua: string): string =>
  lua.replace(includeLine, (_line, name: string) => readFileSync(`${includesDir}${name}.lua`, 'utf8').trimEnd());

/** The script files at the top of scripts/ (includes/ holds fragments, not commands), by command name. */
export const readScripts = (): Map<string, string> =>
  new Map(
    readdirSync(scriptsDir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.lua'))
      .map((entry) => [entry.name.slice(0, -'.lua'.length), expandIncludes(readFileSync(scriptsDir + entry.name, 'utf8'))]),
  );

const scriptSources = readScripts();

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
