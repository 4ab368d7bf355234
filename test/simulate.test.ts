/**
 * The flash-sale simulator (docs/simulate.md) as a test of the whole on-sale path: a small crowd on two
 * nodes behind nginx must leave every invariant intact and be served fairly; the simulator must work
 * against a deployment started by hand (`--target`) and must stop by itself when the server hangs.
 * Part of `npm test` (`npm run test:simulate` runs it alone); the sale takes about 75 s on a busy machine.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../bench/simulate/cluster.js';
import { resolveOptions, type SimulationOptions } from '../bench/simulate/options.js';
import { runSimulation } from '../bench/simulate/run.js';
import { startChild, type Child } from '../bench/support.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { deleteRedisPrefix, redisUrl } from './support/queue.js';

/** A sale compressed in time: short thinking, holds, windows and tail, so 2,000 buyers finish in about a minute. */
const quick: Partial<SimulationOptions> = {
  buyers: 2000, ga: 160, seats: 40, preQueueSeconds: 5, spikeSeconds: 2, tailSeconds: 8,
  holdThinkSeconds: 0.5, payThinkSeconds: 1, holdTtlSeconds: 8, shoppingWindowSeconds: 10, arrivalGraceSeconds: 10,
  waitlistPatienceSeconds: 8, pollMinSeconds: 1, pollMaxSeconds: 5, requestTimeoutSeconds: 60, redisUrl,
};

describe('a simulated flash sale', () => {
  it('2,000 buyers for 200 tickets on two nodes behind nginx: every invariant holds, the pre-queue is drawn at random, then FIFO', async () => {
    // About a minute on a quiet machine; the bound leaves room for a busy one.
    const report = await runSimulation(resolveOptions({ ...quick, nodes: 2, maxDurationSeconds: 240 }));
    expect(report.verdict.failures, report.verdict.failures.join('\n')).toEqual([]);
    expect(report.invariants.length).toBeGreaterThanOrEqual(10);
    expect(report.invariants.filter((c) => !c.ok)).toEqual([]);
    expect(report.outcome.ticketsSold).toBeGreaterThan(100);
    expect(report.outcome.buyersServed).toBeGreaterThan(40);
    const fairness = report.fairness!;
    expect(fairness.preQueue.buyers).toBeGreaterThan(300);
    expect(Math.abs(fairness.preQueue.spearmanRho)).toBeLessThan(fairness.preQueue.threshold);
    expect(fairness.postOpen.buyers).toBeGreaterThan(1000);
    expect(fairness.postOpen.strictInversions).toBe(0);
    expect(fairness.postOpen.kendallTau).toBe(1);
    expect(fairness.expectations.every((e) => e.ok)).toBe(true);
    expect(report.answers.fiveHundreds + report.answers.unavailable).toBe(0);
  }, 300_000);
});

describe('--target: a deployment started by hand', () => {
  let database: TestDatabase;
  let node: Child;
  const prefix = `test:${randomBytes(4).toString('hex')}:`;
  const secrets = {
    JWT_SECRET: randomBytes(32).toString('hex'), QUEUE_TOKEN_SECRET: randomBytes(32).toString('hex'),
    ADMIN_EMAIL: 'target-admin@example.test', ADMIN_PASSWORD: 'target-admin-password',
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    node = await startChild('onsale', 'src/cli.ts', ['serve'], {
      NODE_ENV: 'production', HOST: '127.0.0.1', DATABASE_URL: database.url, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn',
      SEED_DEMO: 'false', ARGON2_MEMORY_KIB: '1024', QUEUE_JOIN_IP_LIMIT_PER_MINUTE: '1000000', ACCESS_TOKEN_TTL_SECONDS: '3600', ...secrets,
    }, await freePort(), '/readyz');
    // The simulator reads the deployment's secrets from the environment, as the command does.
    Object.assign(process.env, secrets);
  }, 90_000);

  afterAll(async () => {
    for (const name of Object.keys(secrets)) delete process.env[name];
    await node?.stop();
    await deleteRedisPrefix(prefix);
    await database?.drop();
  });

  const small = (overrides: Partial<SimulationOptions>) => resolveOptions({
    ...quick, buyers: 200, ga: 40, seats: 0, preQueueSeconds: 3, tailSeconds: 5, target: node.url, databaseUrl: database.url, ...overrides,
  });

  it('runs a sale against it and checks it', async () => {
    const report = await runSimulation(small({ maxDurationSeconds: 180, waitlist: false }));
    expect(report.verdict.failures, report.verdict.failures.join('\n')).toEqual([]);
    expect(report.outcome.capacity).toBe(40);
    expect(report.outcome.ticketsSold).toBeGreaterThan(0);
    expect(report.invariants.every((c) => c.ok)).toBe(true);
  }, 240_000);

  it('stops by itself within its bound when the server hangs, and reports the run as failed', async () => {
    const started = Date.now();
    let hung = false;
    const report = await runSimulation(small({ maxDurationSeconds: 20, requestTimeoutSeconds: 4, queue: false, preQueueShare: 0 }), {
      started: () => void setTimeout(() => {
        process.kill(node.pid, 'SIGSTOP');
        hung = true;
      }, 2500),
    }).finally(() => process.kill(node.pid, 'SIGCONT'));
    const seconds = (Date.now() - started) / 1000;
    expect(hung).toBe(true);
    expect(report.verdict.ok).toBe(false);
    expect(report.verdict.failures.join('\n')).toMatch(/unexpected answer|stopped/);
    expect(report.answers.timeouts).toBeGreaterThan(0);
    // The run's bound plus the bounded setup, worker hand-in and database checks.
    expect(seconds).toBeLessThan(20 + 45);
  }, 120_000);
});
