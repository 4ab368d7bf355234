import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import type { Config } from '../config.js';
import { limits } from '../limits.js';
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
  queue_join_one: [number, number];
  queue_join_limited: [number, number];
  queue_refill: number;
  queue_freeze: [number, number, number];
  queue_admit: number;
  queue_leave: [number, number];
  queue_active: number;
  queue_arrive: ArriveAnswer | typeof scriptCode.metaMissing;
  queue_arrive_many: ArriveAnswer[] | typeof scriptCode.metaMissing;
  queue_claim: number;
  queue_figures: [number, number];
  queue_place_reserve: [number, string];
  queue_place_settle: [number, number];
  queue_place_take: number;
  queue_place_keep: number;
  lease_acquire: number;
  lease_release: number;
}

/** One place's answer to an arrival: [window end ms or '', 1 when it must be claimed first], or pending. */
export type ArriveAnswer = [string, number] | typeof scriptCode.admissionPending;

export type ScriptName = keyof ScriptResults;

/** One Redis (`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_NODES`): the same commands, routed by slot on a cluster. */
export type RedisConnection = Redis | Cluster;

/** Where Redis is, from the configuration: a URL, or a cluster's seeds; undefined without Redis. */
export interface RedisTarget {
  url?: string;
  /** `host:port,host:port`: seeds of a Redis Cluster. */
  clusterNodes?: string;
  /** Replicas that must acknowledge a durable write before it is answered (WAIT); 0 = none. */
  waitReplicas?: number;
}

export const redisTarget = (config: Pick<Config, 'redisUrl' | 'redisClusterNodes' | 'redisWaitReplicas'>): RedisTarget | undefined =>
  config.redisClusterNodes ? { clusterNodes: config.redisClusterNodes, waitReplicas: config.redisWaitReplicas }
    : config.redisUrl ? { url: config.redisUrl, waitReplicas: config.redisWaitReplicas } : undefined;

export interface RedisClient {
  redis: RedisConnection;
  /** A Redis Cluster: no script may touch keys of two hash tags. */
  cluster: boolean;
  /**
   * Runs a script by name (EVALSHA, loading it on first use). Every key of one call must share a
   * cluster slot (keys.ts puts them under one hash tag). `durable`: a write whose loss in a failover
   * could give a place twice or a second place to an account; with `waitReplicas`, answered only once
   * that many replicas of its shard acknowledge it (WAIT on the same connection, bounded by
   * limits.redisWaitMsMax), else RedisBusyError (503).
   */
  run<N extends ScriptName>(name: N, keys: string[], args: (string | number)[], options?: { durable?: boolean }): Promise<ScriptResults[N]>;
  /** A second connection for SUBSCRIBE (a subscribed connection can do nothing else). */
  subscriber(): RedisConnection;
  /** Every key under a pattern, over every master of a cluster (tests and tools only: KEYS is O(n)). */
  keys(pattern: string): Promise<string[]>;
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

/**
 * How many keys a script takes: the highest `KEYS[n]` it names. Declared to ioredis per script so
 * that keys come first in each call, which is what a cluster client (and its auto-pipelining, which
 * groups commands by the slot of their first key) routes by; `run` checks every call against it.
 */
export const keyCountOf = (lua: string): number => Math.max(0, ...[...lua.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));

const scriptSources = readScripts();
const scriptKeyCounts = new Map([...scriptSources].map(([name, lua]) => [name, keyCountOf(lua)]));

const clientOptions = { maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: false } as const;

/** `host:port,…` as ioredis' cluster seeds. */
const clusterSeeds = (nodes: string) => nodes.split(',').map((node) => {
  const at = node.lastIndexOf(':');
  return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
});

function connect(target: RedisTarget): RedisConnection {
  if (target.clusterNodes) {
    // Requests wait for a failover within the same bounds as a lost connection: a few retries, then 503.
    return new Cluster(clusterSeeds(target.clusterNodes), { ...clientOptions, redisOptions: { maxRetriesPerRequest: clientOptions.maxRetriesPerRequest } });
  }
  return new Redis(target.url!, clientOptions);
}

type Commands = Record<string, (...args: (string | number)[]) => Promise<unknown>>;

export function createRedisClient(where: string | RedisTarget): RedisClient {
  const target = typeof where === 'string' ? { url: where } : where;
  const redis = connect(target);
  redis.on('error', () => undefined); // ioredis reconnects by itself; requests fail meanwhile and are answered 503.
  for (const [name, lua] of scriptSources) redis.defineCommand(name, { lua, numberOfKeys: scriptKeyCounts.get(name)! });
  const subscribers: RedisConnection[] = [];
  const waitReplicas = target.waitReplicas ?? 0;

  /**
   * The script and, in the same pipeline (so on a cluster the same node), WAIT for the replicas.
   * ioredis follows a redirection of a pipeline only when no command in it succeeded, and WAIT
   * always does: a script refused with MOVED (a failover or a resharding moved its slot; it did not
   * run) is sent again once the slot map is fresh.
   */
  async function runAcknowledged(name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const pipeline = redis.pipeline();
      (pipeline as unknown as Commands)[name]!(...keys, ...args);
      const [[scriptError, result], [waitError, acknowledged]] = (await pipeline.wait(waitReplicas, limits.redisWaitMsMax).exec()) as [[Error | null, unknown], [Error | null, unknown]];
      if (scriptError && redirected(scriptError) && redis instanceof Cluster && attempt < limits.redisRedirectionsMax) {
        await new Promise<void>((resolve) => redis.refreshSlotsCache(() => resolve()));
        continue;
      }
      if (scriptError) throw scriptError;
      if (waitError) throw waitError;
      if (Number(acknowledged) < waitReplicas) throw new RedisBusyError(`Redis: ${acknowledged} of ${waitReplicas} replicas acknowledged the write within ${limits.redisWaitMsMax} ms.`);
      return result;
    }
  }

  return {
    redis,
    cluster: redis instanceof Cluster,
    run(name, keys, args, options = {}) {
      const command = (redis as unknown as Commands)[name];
      if (!command) throw new Error(`no Redis script ${name}`);
      if (keys.length !== scriptKeyCounts.get(name)) throw new Error(`Redis script ${name} takes ${scriptKeyCounts.get(name)} keys, not ${keys.length}`);
      if (options.durable && waitReplicas > 0) return runAcknowledged(name, keys, args) as Promise<never>;
      return command.call(redis, ...keys, ...args) as Promise<never>;
    },
    subscriber() {
      const sub = redis.duplicate();
      sub.on('error', () => undefined);
      subscribers.push(sub);
      return sub;
    },
    async keys(pattern) {
      const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
      return (await Promise.all(nodes.map((node) => node.keys(pattern)))).flat();
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

/** A cluster node refused a command because another node serves its slot now. */
const redirected = (error: Error) => /^(MOVED|ASK) /.test(error.message);

/** True when a request failed because Redis is unreachable or busy (answered 503: try again shortly). */
export const isRedisUnavailable = (error: unknown): boolean =>
  error instanceof RedisBusyError ||
  (error instanceof Error && (error.name === 'MaxRetriesPerRequestError' || redirected(error) || /Connection is closed|ECONNREFUSED|Stream isn't writeable|Command aborted due to connection close|CLUSTERDOWN|TRYAGAIN|Failed to refresh slots cache|None of startup nodes is available|Too many Cluster redirections/.test(error.message)));
