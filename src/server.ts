import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { WebSocket } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createContext, type AppContext } from './context.js';
import { openDatabase, type Database, type Queryable } from './db/database.js';
import { assertSchemaKnown, migrate, schemaVersions } from './db/migrate.js';
import { startPeriodic, type Job } from './jobs.js';
import { requestForLog } from './http/log.js';
import { prettyDestination } from './http/pretty-log.js';
import type { Api } from './http/api.js';
import { limits } from './limits.js';
import type { Lifecycle } from './features/ops/health.js';
import { pruneRefreshTokens } from './features/auth/auth.js';
import { pruneEndedHolds } from './features/inventory/stock.js';
import { outboxBacklog, pruneOutbox } from './features/notifications/outbox.js';
import { registerStateGauges } from './features/ops/metrics.js';
import { traceFields } from './tracing/log.js';

/**
 * The process's logger; `destination` defaults to stdout (tests pass a stream to read the lines back).
 * JSON lines, or readable ones (`LOG_FORMAT`; by default when stdout is a terminal, so a developer
 * reads them and a log collector gets JSON). Requests are logged without headers and with
 * credentials in the query string redacted; with tracing on, each line carries its trace and span ids
 * (src/tracing/log.ts).
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'env'> & Partial<Pick<Config, 'logFormat'>>, destination?: pino.DestinationStream): FastifyBaseLogger {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && !destination && process.stdout.isTTY === true);
  const options = { level: config.logLevel, serializers: { req: requestForLog }, mixin: traceFields };
  return pretty ? pino(options, prettyDestination(destination ?? process.stdout)) : pino(options, destination);
}

export async function connect(config: Readonly<Config>): Promise<Database> {
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.pgPoolSize, session: config.pgSession });
}

export interface RunningServer {
  app: Api;
  context: AppContext;
  url: string;
  /** Stops at once: open connections are cut (tests, Ctrl-C). */
  close(): Promise<void>;
  /** Leaves without failing a request (SIGTERM): drains for SHUTDOWN_DRAIN_MS, then closes. */
  shutdown(): Promise<void>;
}

/** WebSocket close code 1012, "service restart": the client should reconnect, and will reach another node. */
const serviceRestart = 1012;

/**
 * The first half of a graceful shutdown. Readiness fails and every answer from now on closes its
 * connection; the listening socket closes, so a balancer's new connections go to other nodes (a
 * refused connection is one it may safely retry elsewhere); live sockets are told to reconnect. Then
 * the open connections are served until they have all closed, or `drainMs` has passed: `http.Server`'s
 * own close would cut the idle keep-alive ones at once, racing a request the balancer is sending on
 * one, so only the listening socket is closed here.
 */
async function drain(app: Api, lifecycle: Lifecycle, drainMs: number): Promise<void> {
  lifecycle.draining = true;
  NetServer.prototype.close.call(app.server);
  const reconnectElsewhere = (socket: WebSocket) => socket.close(serviceRestart, 'The server restarts: reconnect.');
  app.websocketServer.clients.forEach(reconnectElsewhere);
  // A balancer may still send an upgrade on a keep-alive connection it opened before: that socket too.
  app.websocketServer.on('connection', reconnectElsewhere);
  const connections = () => new Promise<number>((resolve) => app.server.getConnections((error, count) => resolve(error ? 0 : count)));
  const deadline = Date.now() + drainMs;
  while (Date.now() < deadline && (await connections()) > 0) await sleep(limits.shutdownPollMs);
}

/** The pruners of retention, one per table family, each deleting a bounded batch per call. */
const pruners = { outbox: pruneOutbox, refreshTokens: pruneRefreshTokens, endedHolds: pruneEndedHolds };

/**
 * Deletes what is older than OUTBOX_RETENTION_DAYS, a bounded batch per statement (each its own short
 * transaction, so no lock is held long), and at most limits.retentionBatchesPerRunMax batches per
 * table per run; a backlog larger than that is finished by later runs. Returns the rows deleted.
 */
export async function pruneExpired(db: Queryable, days: number, batch: number = limits.retentionBatchSizeMax): Promise<Record<keyof typeof pruners, number>> {
  const deleted = { outbox: 0, refreshTokens: 0, endedHolds: 0 };
  for (const [table, prune] of Object.entries(pruners) as [keyof typeof pruners, typeof pruneOutbox][]) {
    for (let run = 0; run < limits.retentionBatchesPerRunMax; run++) {
      const count = await prune(db, days, batch);
      deleted[table] += count;
      if (count < batch) break;
    }
  }
  return deleted;
}

/**
 * Background work every node runs: returning lapsed holds (and offering them to the waitlist),
 * finishing half-done payments and event cancellations, delivering notifications, reminding
 * holders, and the waitlist's safety net for units that should be on offer but are not, and
 * advancing the waiting rooms.
 */
async function startJobs(context: AppContext): Promise<Job[]> {
  const { config, holds, checkout, events, waitlist, notifications, queue, log } = context;
  return [
    startPeriodic('hold-sweeper', config.sweepIntervalMs, () => holds.sweepLapsed(), log),
    startPeriodic('payment-reconciler', config.payments.reconcileIntervalMs, () => checkout.reconcilePayments(), log),
    startPeriodic('event-cancellations', config.payments.reconcileIntervalMs, () => events.finishInterruptedCancellations(), log),
    startPeriodic('outbox-dispatcher', config.outboxIntervalMs, () => notifications.dispatch(), log),
    startPeriodic('hold-reminders', config.sweepIntervalMs, () => notifications.sendReminders(), log),
    startPeriodic('waitlist-rebalance', config.sweepIntervalMs * 5, () => waitlist.rebalance(), log),
    startPeriodic('retention', limits.retentionIntervalMs, () => pruneExpired(context.db, config.outboxRetentionDays), log),
    await queue.start(),
  ];
}

/**
 * With MIGRATE_ON_START off, `onsale migrate` is a deploy step of its own: the node only checks that
 * it knows the schema, and warns when migrations it ships were not applied (the step was skipped).
 */
async function checkSchema(db: Database, log: FastifyBaseLogger): Promise<void> {
  const versions = await schemaVersions(db);
  assertSchemaKnown(versions);
  if (versions.pending.length > 0) {
    log.warn({ schemaVersion: versions.database, releaseVersion: versions.release, pending: versions.pending }, 'the database schema is older than this release: run `onsale migrate`');
  }
}

/** Opens the database, migrates (or checks the schema), ensures the admin account, starts the jobs and listens. */
/** `prepare` runs once the services exist and before the background jobs start (the demo seed). */
export async function startServer(config: Readonly<Config>, options: { db?: Database; log?: FastifyBaseLogger; prepare?: (context: AppContext) => Promise<void> } = {}): Promise<RunningServer> {
  const log = options.log ?? createLogger(config);
  const db = options.db ?? (await connect(config));
  if (config.migrateOnStart) await migrate(db);
  else await checkSchema(db, log);
  const context = createContext(config, db, log);
  await context.auth.ensureAdmin(config.admin.email, config.admin.password);
  const app = await buildApp(context);
  registerStateGauges(context.metrics.registry, {
    queues: () => context.queue.activeFigures(),
    outbox: () => outboxBacklog(db),
    liveSockets: () => app.websocketServer.clients.size,
    pool: () => db.poolUsage?.(),
  });
  await options.prepare?.(context);
  const jobs = await startJobs(context);
  await app.listen({ host: config.host, port: config.port, backlog: limits.listenBacklogMax });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // In-flight requests finish (and with them the hold batches they wait on) before the jobs stop
      // and hand back the waiting-room lease to a node that stays.
      await app.close();
      await Promise.all(jobs.map((job) => job.stop()));
      context.notifications.close();
      await context.pdfs.close();
      if (!options.db) await db.close();
    })();
    return closing;
  };
  return {
    app,
    context,
    url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`,
    close,
    async shutdown() {
      if (!closing) await drain(app, context.lifecycle, config.shutdownDrainMs);
      await close();
    },
  };
}
