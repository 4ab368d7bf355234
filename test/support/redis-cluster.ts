import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * A real Redis Cluster on this machine, for tests and the bench: `redis-server --cluster-enabled yes`
 * on free loopback ports (client and cluster-bus ports both chosen free, so files running side by
 * side never meet), each in a temporary directory of its own, no persistence. Slots are split evenly
 * over the masters (CLUSTER ADDSLOTSRANGE; one master is a cluster too, which redis-cli --cluster
 * create refuses; each announces 127.0.0.1, which a lone node would not know), each master gets `replicas` replicas (CLUSTER REPLICATE). `stop()` kills every
 * process it started and removes the directory.
 */
export interface RedisClusterNode {
  host: string;
  port: number;
  process: ChildProcess;
  /** The master's port this node replicates when the cluster was created (undefined for a master). */
  replicaOf?: number;
}

export interface RedisCluster {
  nodes: RedisClusterNode[];
  /** `host:port,host:port` of the masters as created: what REDIS_CLUSTER_NODES takes. */
  seeds: string;
  /** A direct connection to one node (not a cluster client): for CLUSTER commands in a test. */
  connect(port: number): Redis;
  /** Waits until every live node reports the cluster ok and every slot has a master that answers. */
  waitHealthy(): Promise<void>;
  /** SIGKILLs one node (a master dying mid-sale). */
  kill(port: number): void;
  stop(): Promise<void>;
}

const host = '127.0.0.1';
const slotCount = 16_384;
/** A failed master is noticed after this (ms); short, so a failover test waits seconds, not a minute. */
const nodeTimeoutMs = 1000;
const readyBoundMs = 60_000;

const freePort = () => new Promise<number>((resolve, reject) => {
  const server = createServer().once('error', reject).listen(0, host, () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it is true, within a bound (a process or the cluster bus may take a moment). */
async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + readyBoundMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} not within ${readyBoundMs} ms`);
    await sleep(100);
  }
}

async function withNode<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

export async function startRedisCluster(options: { masters: number; replicas?: number }): Promise<RedisCluster> {
  const replicas = options.replicas ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'onsale-redis-cluster-'));
  const nodes: RedisClusterNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => new Promise<void>((resolve) => {
      if (node.process.exitCode !== null || node.process.signalCode !== null) return resolve();
      node.process.once('exit', () => resolve());
      node.process.kill('SIGKILL');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const count = options.masters * (1 + replicas);
    for (let i = 0; i < count; i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      const child = spawn('redis-server', [
        '--bind', host, '--port', String(port), '--cluster-announce-ip', host, '--cluster-enabled', 'yes', '--cluster-port', String(busPort),
        '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', String(nodeTimeoutMs),
        '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning',
      ], { stdio: 'ignore' });
      nodes.push({ host, port, process: child });
    }
    for (const node of nodes) await until(`node ${node.port} answering`, () => withNode(node.port, async (r) => (await r.ping()) === 'PONG'));

    const masters = nodes.slice(0, options.masters);
    const ids = new Map<number, string>();
    for (const node of nodes) ids.set(node.port, await withNode(node.port, (r) => r.call('CLUSTER', 'MYID') as Promise<string>));
    await withNode(masters[0]!.port, async (r) => {
      for (const node of nodes.slice(1)) await r.call('CLUSTER', 'MEET', host, String(node.port), String(await busPortOf(node.port)));
    });
    await Promise.all(masters.map((master, i) => withNode(master.port, (r) => {
      const from = Math.floor((i * slotCount) / masters.length);
      const to = Math.floor(((i + 1) * slotCount) / masters.length) - 1;
      return r.call('CLUSTER', 'ADDSLOTSRANGE', String(from), String(to));
    })));
    const replicaNodes = nodes.slice(options.masters);
    for (const [i, replica] of replicaNodes.entries()) {
      const master = masters[i % masters.length]!;
      replica.replicaOf = master.port;
      // A replica must know its master before it may follow it: wait for the MEET to reach it.
      await until(`node ${replica.port} knowing ${master.port}`, () => withNode(replica.port, async (r) => String(await r.call('CLUSTER', 'NODES')).includes(ids.get(master.port)!)));
      await withNode(replica.port, (r) => r.call('CLUSTER', 'REPLICATE', ids.get(master.port)!));
    }
    const cluster: RedisCluster = {
      nodes,
      seeds: masters.map((m) => `${host}:${m.port}`).join(','),
      connect: (port) => new Redis({ host, port }),
      async waitHealthy() {
        const live = nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
        for (const node of live) {
          await until(`node ${node.port} cluster ok`, () => withNode(node.port, async (r) => String(await r.call('CLUSTER', 'INFO')).includes('cluster_state:ok')));
        }
        for (const node of live.filter((n) => n.replicaOf !== undefined)) {
          await until(`replica ${node.port} in sync`, () => withNode(node.port, async (r) => {
            const info = await r.info('replication');
            return info.includes('role:master') || info.includes('master_link_status:up');
          }));
        }
      },
      kill(port) {
        nodes.find((n) => n.port === port)!.process.kill('SIGKILL');
      },
      stop,
    };
    await cluster.waitHealthy();
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }

  async function busPortOf(port: number): Promise<number> {
    return withNode(port, async (r) => Number((await r.config('GET', 'cluster-port') as string[])[1]));
  }
}
