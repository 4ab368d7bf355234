import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createContext, type AppContext } from './context.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { startPeriodic, type Job } from './jobs.js';
import type { Api } from './http/api.js';
import { limits } from './limits.js';

export function createLogger(config: Pick<Config, 'logLevel' | 'env'>): FastifyBaseLogger {
  return pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers["x-queue-token"]'] });
}

export async function connect(config: Readonly<Config>): Promise<Database> {
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.pgPoolSize });
}

export interface RunningServer {
  app: Api;
  context: AppContext;
  url: string;
  close(): Promise<void>;
}

/**
 * Background work every node runs: returning lapsed holds (and offering them to the waitlist),
 * finishing half-done payments, delivering notifications, reminding holders, and the waitlist's
 * safety net for units that should be on offer but are not, and advancing the waiting rooms.
 */
async function startJobs(context: AppContext): Promise<Job[]> {
  const { config, holds, checkout, waitlist, notifications, queue, log } = context;
  return [
    startPeriodic('hold-sweeper', config.sweepIntervalMs, () => holds.sweepLapsed(), log),
    startPeriodic('payment-reconciler', 30_000, () => checkout.reconcilePayments(), log),
    startPeriodic('outbox-dispatcher', config.outboxIntervalMs, () => notifications.dispatch(), log),
    startPeriodic('hold-reminders', config.sweepIntervalMs, () => notifications.sendReminders(), log),
    startPeriodic('waitlist-rebalance', config.sweepIntervalMs * 5, () => waitlist.rebalance(), log),
    await queue.start(),
  ];
}

/** Opens the database, migrates, ensures the admin account, starts the jobs and listens. */
export async function startServer(config: Readonly<Config>, options: { db?: Database; log?: FastifyBaseLogger } = {}): Promise<RunningServer> {
  const log = options.log ?? createLogger(config);
  const db = options.db ?? (await connect(config));
  await migrate(db);
  const context = createContext(config, db, log);
  await context.auth.ensureAdmin(config.admin.email, config.admin.password);
  const app = await buildApp(context);
  const jobs = await startJobs(context);
  await app.listen({ host: config.host, port: config.port, backlog: limits.listenBacklogMax });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closing: Promise<void> | undefined;
  return {
    app,
    context,
    url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`,
    close() {
      closing ??= (async () => {
        await app.close();
        await Promise.all(jobs.map((job) => job.stop()));
        context.notifications.close();
        if (!options.db) await db.close();
      })();
      return closing;
    },
  };
}
