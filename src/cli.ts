#!/usr/bin/env node
import { ConfigError, loadConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { seedDemo } from './seed/demo.js';
import { connect, createLogger, startServer } from './server.js';

const usage = 'usage: onsale serve | migrate | seed';

async function main(command: string | undefined): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config);
  switch (command ?? 'serve') {
    case 'serve': {
      const server = await startServer(config, { log });
      if (config.seedDemo) {
        const seeded = await seedDemo(server.context.db);
        if (seeded) log.info({ eventId: seeded.eventId }, 'seeded the demo on-sale');
      }
      const backend = config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${config.dataDir}`;
      console.log(`\nOnsale is running on ${backend}\n  app:      ${server.url}/\n  API docs: ${server.url}/docs\n  admin:    ${config.admin.email} / ${config.admin.password}\n`);
      const shutdown = (signal: string) => {
        log.info({ signal }, 'shutting down');
        const forced = setTimeout(() => process.exit(1), 10_000);
        forced.unref();
        server.close().then(() => process.exit(0), (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
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
      const seeded = await seedDemo(db);
      console.log(seeded ? `seeded the demo event ${seeded.eventId}` : 'the database already has events; nothing seeded');
      await db.close();
      return;
    }
    default:
      console.error(usage);
      process.exitCode = 2;
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
