/** The `onsale` commands, loaded by the process entry (cli.ts) once tracing, when on, has started. */
import { parseArgs } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, loadConfig } from './config.js';
import { migrate, SchemaTooNewError } from './db/migrate.js';
import { createPasswordHasher } from './features/auth/passwords.js';
import { createAccessTokens } from './features/auth/tokens.js';
import { limits } from './limits.js';
import { seedBuyers } from './seed/buyers.js';
import { seedDemo } from './seed/demo.js';
import { connect, createLogger, startServer } from './server.js';
import { stopTracing } from './tracing/start.js';
import { createContext, type AppContext } from './context.js';

const usage = 'usage: onsale serve | migrate | seed | seed-buyers --count N [--email-prefix P] | simulate [options] (from a development checkout; see docs/simulate.md)';

/**
 * The flash-sale simulator lives with the other load tools in bench/, TypeScript outside the build
 * (tsconfig.build.json compiles src/ only). It runs through tsx, so `onsale simulate` needs a
 * development checkout (`npm ci` installs tsx); the path is a variable so that tsc does not follow it.
 */
async function simulate(args: string[]): Promise<number> {
  const { register } = await import('tsx/esm/api');
  register();
  const simulatorUrl = new URL('../bench/simulate/main.ts', import.meta.url).href;
  const simulator = (await import(simulatorUrl)) as { main: (args: string[]) => Promise<number> };
  return simulator.main(args);
}

/** Resolves once the logger has written what it buffered (pino's `flush`). */
const flushed = (log: FastifyBaseLogger) => new Promise<void>((resolve) => (log as FastifyBaseLogger & Pick<Logger, 'flush'>).flush(() => resolve()));

async function main(command: string | undefined): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config);
  switch (command ?? 'serve') {
    case 'serve': {
      // Seeded before the jobs start, so none of them acts on a half-made demo.
      const seed = async (context: AppContext) => {
        const seeded = await seedDemo(context);
        if (seeded) log.info({ eventId: seeded.eventId }, 'seeded the demo on-sale');
      };
      const server = await startServer(config, { log, ...(config.seedDemo && { prepare: seed }) });
      // The banner comes last, so it is not buried: pino writes a pipe asynchronously, so flush it first.
      await flushed(log);
      const backend = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`;
      console.log(`\nOnsale is running on ${backend}\n  app:      ${server.url}/\n  API docs: ${server.url}/docs\n  admin:    ${config.admin.email} / ${config.admin.password}\n`);
      // SIGTERM (a deploy, `docker stop`, Kubernetes) drains without failing a request; Ctrl-C stops at once.
      const stop = (signal: string, how: 'shutdown' | 'close', boundMs: number) => {
        log.info({ signal }, 'shutting down');
        const forced = setTimeout(() => {
          log.error({ signal, boundMs }, 'shutdown took too long: exiting');
          process.exit(1);
        }, boundMs);
        forced.unref();
        // The spans of the last requests are still buffered until the tracing SDK is stopped.
        server[how]().then(() => stopTracing(log)).then(() => process.exit(0), (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.once('SIGINT', () => stop('SIGINT', 'close', limits.shutdownMsMax));
      process.once('SIGTERM', () => stop('SIGTERM', 'shutdown', config.shutdownDrainMs + limits.shutdownMsMax));
      return;
    }
    case 'migrate': {
      const db = await connect(config);
      const applied = await migrate(db);
      console.log(applied.length ? `applied migrations ${applied.join(', ')}` : 'the schema is up to date');
      await db.close();
      return;
    }
    case 'seed': {
      const db = await connect(config);
      await migrate(db);
      // The demo sells through the services; seeding needs no Redis (nothing is advanced or pushed), so none is opened.
      const context = createContext({ ...config, redisUrl: undefined, redisClusterNodes: undefined }, db, log);
      const seeded = await seedDemo(context);
      context.notifications.close();
      console.log(seeded ? `seeded the demo event ${seeded.eventId}` : 'the database already has events; nothing seeded');
      await db.close();
      return;
    }
    case 'seed-buyers': {
      // One JSON line per account on stdout: {"userId", "accessToken"} (docs/simulate.md, "Buyers' accounts").
      const { values } = parseArgs({ args: process.argv.slice(3), options: { count: { type: 'string' }, 'email-prefix': { type: 'string', default: `sim-${Date.now()}` } } });
      const count = Number(values.count);
      if (!Number.isInteger(count) || count < 1) throw new ConfigError('seed-buyers needs --count N (a positive integer)');
      const db = await connect(config);
      const buyers = await seedBuyers(db, {
        passwords: createPasswordHasher(config.argon2MemoryKib),
        accessTokens: createAccessTokens(config.jwtSecret, config.accessTokenTtlSeconds),
      }, { count, emailPrefix: values['email-prefix'] });
      process.stdout.write(buyers.map((b) => JSON.stringify(b)).join('\n') + '\n');
      await db.close();
      return;
    }
    case 'simulate': {
      process.exitCode = await simulate(process.argv.slice(3));
      return;
    }
    default:
      console.error(usage);
      process.exitCode = 2;
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof SchemaTooNewError ? error.message : error);
  process.exit(1);
});
