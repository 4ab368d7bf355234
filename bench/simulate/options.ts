/**
 * Every knob of a simulated on-sale, with its default and a line of help. `--flag-name` on the command
 * line is the kebab-case of the field; docs/simulate.md lists the same table.
 */
import { parseArgs } from 'node:util';

export const defaults = {
  // Where
  target: '',
  databaseUrl: '',
  nodes: 2,
  postgresUrl: process.env.SIMULATE_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.SIMULATE_REDIS_URL ?? 'redis://127.0.0.1:6379',
  // The sale
  buyers: 20_000,
  ga: 1_600,
  seats: 400,
  queue: true,
  preQueueSeconds: 10,
  admitPerMinute: 6_000,
  maxActive: 1_000,
  stockAware: true,
  shoppingWindowSeconds: 90,
  arrivalGraceSeconds: 15,
  holdTtlSeconds: 45,
  maxTicketsPerUser: 8,
  waitlist: true,
  // The crowd
  preQueueShare: 0.3,
  spikeShare: 0.4,
  spikeSeconds: 5,
  tailSeconds: 45,
  quantityWeights: '40,30,15,15',
  seatedShare: 0.2,
  namedSeatShare: 0.4,
  holdThinkSeconds: 2,
  payThinkSeconds: 6,
  declineShare: 0.05,
  retryAfterDeclineShare: 0.6,
  abandonShare: 0.08,
  cancelShare: 0.03,
  waitlistShare: 0.5,
  waitlistPatienceSeconds: 60,
  watchShare: 0.3,
  pollMinSeconds: 2,
  pollMaxSeconds: 20,
  // The run
  seed: 1,
  workers: 2,
  requestTimeoutSeconds: 15,
  maxDurationSeconds: 280,
  out: '.',
  nodeCpuProfile: '',
};

export type SimulationOptions = typeof defaults;

export const help: Record<keyof SimulationOptions, string> = {
  target: 'URL of a running deployment (any number of nodes behind a balancer); empty: start our own',
  databaseUrl: 'with --target: its PostgreSQL (seeding buyers, the final checks); also needs JWT_SECRET, QUEUE_TOKEN_SECRET, ADMIN_EMAIL, ADMIN_PASSWORD',
  nodes: 'Onsale nodes to start behind nginx (1: no balancer)',
  postgresUrl: 'PostgreSQL server on which a fresh database is created (own cluster)',
  redisUrl: 'Redis server (own cluster: a random key prefix)',
  buyers: 'people in the crowd',
  ga: 'general-admission tickets (one section)',
  seats: 'reserved seats (one section, rows of 20)',
  queue: 'waiting room on or off (off: everyone holds on arrival)',
  preQueueSeconds: 'the pre-queue opens this long before the sale (0: no pre-queue)',
  admitPerMinute: 'waiting room: admissions per minute',
  maxActive: 'waiting room: most shoppers at once',
  stockAware: 'waiting room: admit no more than the stock can serve',
  shoppingWindowSeconds: 'waiting room: how long an admission lasts',
  arrivalGraceSeconds: 'waiting room: how long an admitted no-show takes a shopper place',
  holdTtlSeconds: 'how long a hold lasts (also the waitlist offer time)',
  maxTicketsPerUser: 'event cap per buyer',
  waitlist: 'buyers told sold-out may join the waitlist',
  preQueueShare: 'share of the crowd arriving during the pre-queue (uniformly)',
  spikeShare: 'share arriving in the spike at opening (exponential, mean --spike-seconds)',
  spikeSeconds: 'mean arrival delay of the spike after opening',
  tailSeconds: 'the rest arrive in a decaying tail (exponential, mean a third of this, cut at this)',
  quantityWeights: 'relative weights of wanting 1,2,3,4 tickets',
  seatedShare: 'share of buyers who want reserved seats',
  namedSeatShare: 'of those, share who pick named seats from the live map (the rest: best available)',
  holdThinkSeconds: 'median think time from admission to hold (log-normal)',
  payThinkSeconds: 'median think time from hold to payment (log-normal; its tail can outlast the hold)',
  declineShare: 'share whose first card is declined',
  retryAfterDeclineShare: 'of those, share who retry with another card (the rest release the hold)',
  abandonShare: 'share who hold and walk away (the hold expires)',
  cancelShare: 'share who cancel their order a little later',
  waitlistShare: 'share of those told sold-out who join the waitlist',
  waitlistPatienceSeconds: 'how long a buyer told sold out waits on the waitlist for an offer (from the news, joining included)',
  watchShare: 'share watching the line over WebSocket (the rest poll)',
  pollMinSeconds: 'pollers check at about half their estimated wait, at least this often…',
  pollMaxSeconds: '…and at most this rarely (each interval jittered ±30%)',
  seed: 'random seed of the crowd (same seed, same crowd)',
  workers: 'load-generating worker threads',
  requestTimeoutSeconds: 'a request unanswered this long counts as a timeout',
  maxDurationSeconds: 'the run stops by itself after this long and reports a failure',
  out: 'directory for simulate-report.json and simulate-report.html',
  nodeCpuProfile: 'own deployment: directory where each node writes its V8 CPU profile at the end (open in Chrome DevTools)',
};

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export class OptionError extends Error {
  override name = 'OptionError';
}

function convert(name: string, raw: string, example: unknown): unknown {
  if (typeof example === 'boolean') {
    if (['on', 'true', 'yes', '1'].includes(raw)) return true;
    if (['off', 'false', 'no', '0'].includes(raw)) return false;
    throw new OptionError(`--${kebab(name)} must be on or off`);
  }
  if (typeof example === 'number') {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new OptionError(`--${kebab(name)} must be a number >= 0`);
    if (name.endsWith('Share') && value > 1) throw new OptionError(`--${kebab(name)} is a share between 0 and 1`);
    return value;
  }
  return raw;
}

/** Options from defaults and overrides, checked for what would make a run meaningless. */
export function resolveOptions(overrides: Partial<SimulationOptions> = {}): SimulationOptions {
  const options = { ...defaults, ...overrides };
  const wholes = ['buyers', 'ga', 'seats', 'nodes', 'workers', 'admitPerMinute', 'maxActive', 'holdTtlSeconds', 'maxTicketsPerUser'] as const;
  for (const name of wholes) if (!Number.isInteger(options[name])) throw new OptionError(`--${kebab(name)} must be a whole number`);
  if (options.buyers < 1 || options.ga + options.seats < 1 || options.workers < 1 || options.nodes < 1) throw new OptionError('a sale needs buyers, tickets, a node and a worker');
  if (options.seats % 20 !== 0) throw new OptionError('--seats must be a multiple of 20 (rows of 20)');
  if (options.preQueueShare + options.spikeShare > 1) throw new OptionError('--pre-queue-share + --spike-share must not exceed 1');
  if (options.preQueueShare > 0 && (!options.queue || options.preQueueSeconds === 0)) throw new OptionError('a pre-queue share needs --queue on and --pre-queue-seconds > 0');
  if (options.target && !options.databaseUrl) throw new OptionError('--target needs --database-url (seeding buyers and the final checks read it)');
  if (quantityWeights(options).length !== 4) throw new OptionError('--quantity-weights takes four weights, for 1, 2, 3 and 4 tickets');
  return options;
}

export function quantityWeights(options: Pick<SimulationOptions, 'quantityWeights'>): number[] {
  return options.quantityWeights.split(',').map(Number).filter((w) => Number.isFinite(w) && w >= 0);
}

/** Options from the command line over `base` (another tool's own defaults) over the defaults. */
export function parseOptions(argv: string[], base: Partial<SimulationOptions> = {}): SimulationOptions | 'help' {
  const flags = Object.fromEntries(Object.keys(defaults).map((name) => [kebab(name), { type: 'string' as const }]));
  const { values } = parseArgs({ args: argv, options: { ...flags, help: { type: 'boolean' } }, strict: true }) as { values: Record<string, string | boolean | undefined> };
  if (values.help) return 'help';
  const overrides: Record<string, unknown> = {};
  for (const [name, example] of Object.entries(defaults)) {
    const raw = values[kebab(name)];
    if (typeof raw === 'string') overrides[name] = convert(name, raw, example);
  }
  return resolveOptions({ ...base, ...overrides });
}

export function usage(): string {
  const lines = Object.entries(help).map(([name, text]) => `  --${kebab(name).padEnd(28)} ${text} (default ${JSON.stringify(defaults[name as keyof SimulationOptions])})`);
  return `usage: npm run simulate -- [options]   (or: onsale simulate [options])\n${lines.join('\n')}`;
}
