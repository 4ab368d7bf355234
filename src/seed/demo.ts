import type { AppContext } from '../context.js';
import { createPasswordHasher } from '../features/auth/passwords.js';
import { createAccessTokens } from '../features/auth/tokens.js';
import { defaultOrganizationId } from '../features/auth/access.js';
import { createEvent } from '../features/events/events.js';
import type { CreateEventBody } from '../features/events/schemas.js';
import { seedBuyers } from './buyers.js';
import { seedCatalogue } from './catalogue.js';
import { venueEvening } from './zoned.js';

const minute = 60_000;
const lisbon = 'Europe/Lisbon';

/** What the demo needs: it sells and waitlists through the same services as a buyer would. */
export type DemoServices = Pick<AppContext, 'db' | 'config' | 'holds' | 'checkout' | 'waitlist'>;

/** The demo's own events, all at Riverside Arena (Lisbon); the catalogue adds the other cities. */
export const demoEvents = {
  main: 'Onsale Demo Night',
  queued: 'Aurora Skies: Arena Tour',
  soldOut: 'The Quiet Tides: Candlelight Session',
} as const;

/** Tickets of the sold-out event; fans who bought them, two each; fans on its waitlist. */
const soldOutCapacity = 6;
const soldOutFans = 3;
const waitlistFans = 2;

/**
 * Seeds the demo when the database has no events, so a newcomer sees every feature within minutes of
 * `npm start`: an event on sale now with a seat map (200 reserved seats in 10 rows of 20) and 1,000
 * general-admission tickets; an event whose waiting room opens a minute after the start (its sale two
 * minutes later); an event sold out with a waitlist; and the catalogue of a few dozen events in eight
 * cities (catalogue.ts). Every event starts at an evening hour in its venue's time zone.
 */
export async function seedDemo(services: DemoServices, now = new Date()): Promise<{ eventId: string } | undefined> {
  const { db } = services;
  const existing = await db.query('select 1 from events limit 1');
  if (existing.rowCount > 0) return undefined;
  const venue = await db.query<{ id: string }>(
    `insert into venues (name, city, address, latitude, longitude, time_zone, organization_id)
     values ('Riverside Arena', 'Lisbon', 'Avenida Infante Dom Henrique 1', 38.7223, -9.1393, $1, $2) returning id`,
    [lisbon, defaultOrganizationId],
  );
  const venueId = venue.rows[0]!.id;
  const evening = (days: number, time: string) => venueEvening(now, days, time, lisbon);
  const rowLabels = 'ABCDEFGHIJ'.split('');
  const eventId = await createEvent(db, {
    title: demoEvents.main,
    description: 'A demo on-sale: pick a seat on the map or grab general-admission tickets.',
    category: 'concert',
    performers: ['The Onsale House Band'],
    tags: ['demo'],
    venueId,
    // The three demo events come first in the soonest-first list (the catalogue starts in 5 days),
    // so a newcomer sees the seat map, the waiting room and the waitlist without paging.
    startsAt: evening(3, '21:00').toISOString(),
    endsAt: new Date(evening(3, '21:00').getTime() + 180 * minute).toISOString(),
    currency: 'EUR',
    status: 'published',
    maxTicketsPerOrder: 8,
    holdTtlSeconds: 600,
    sections: [
      { name: 'Reserved', price: 8_500, rows: rowLabels.map((label) => ({ label, seats: 20 })) },
      { name: 'General Admission', price: 4_500, capacity: 1_000 },
    ],
  }, defaultOrganizationId);
  await createEvent(db, queuedEvent(venueId, evening(4, '20:30'), now), defaultOrganizationId);
  await seedSoldOut(services, venueId, evening(2, '21:30'));
  await seedCatalogue(db, now);
  return { eventId };
}

/** A big show whose line opens a minute after the seed and whose sale opens two minutes after that. */
function queuedEvent(venueId: string, startsAt: Date, now: Date): CreateEventBody {
  return {
    title: demoEvents.queued,
    description: 'The most wanted tickets of the season: join the waiting room before the sale opens, and get a random place in line.',
    category: 'pop',
    performers: ['Aurora Skies'],
    tags: ['demo', 'waiting room'],
    venueId,
    startsAt: startsAt.toISOString(),
    currency: 'EUR',
    status: 'published',
    maxTicketsPerOrder: 4,
    sections: [{ name: 'Floor', price: 6_500, capacity: 2_000 }],
    onsale: {
      startsAt: new Date(now.getTime() + 3 * minute).toISOString(),
      queue: { enabled: true, preQueueOpensAt: new Date(now.getTime() + minute).toISOString(), admitPerMinute: 60, maxActiveShoppers: 50 },
    },
  };
}

/** A small room sold out through the real checkout, with fans on its waitlist for returned tickets. */
async function seedSoldOut(services: DemoServices, venueId: string, startsAt: Date): Promise<void> {
  const { db, config, holds, checkout, waitlist } = services;
  const eventId = await createEvent(db, {
    title: demoEvents.soldOut,
    description: 'Six seats by candlelight, long sold out. Join the waitlist: returned tickets are offered to it first.',
    category: 'folk',
    performers: ['The Quiet Tides'],
    tags: ['demo', 'acoustic'],
    venueId,
    startsAt: startsAt.toISOString(),
    currency: 'EUR',
    status: 'published',
    sections: [{ name: 'Candlelight', price: 3_000, capacity: soldOutCapacity }],
  }, defaultOrganizationId);
  const { rows } = await db.query<{ id: string }>('select id from sections where event_id = $1', [eventId]);
  const sectionId = rows[0]!.id;
  // Accounts nobody logs into (a random, discarded password), as the simulator's buyers are.
  const fans = await seedBuyers(db, {
    passwords: createPasswordHasher(config.argon2MemoryKib),
    accessTokens: createAccessTokens(config.jwtSecret, config.accessTokenTtlSeconds),
  }, { count: soldOutFans + waitlistFans, emailPrefix: 'demo-fan' });
  const perFan = soldOutCapacity / soldOutFans;
  for (const fan of fans.slice(0, soldOutFans)) {
    const { hold } = await holds.place({ userId: fan.userId, eventId, target: { sectionId, quantity: perFan } });
    await checkout.checkout(fan.userId, hold.id, '4242424242424242');
  }
  for (const fan of fans.slice(soldOutFans)) await waitlist.join(fan.userId, eventId, { sectionId, quantity: 1 });
  // Invented fans at addresses that cannot exist: nothing is sent to them (their outbox rows count as delivered).
  await db.query('update outbox set dispatched_at = now() where user_id = any($1::uuid[]) and dispatched_at is null', [fans.map((f) => f.userId)]);
}
