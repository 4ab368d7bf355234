import type { Database } from '../db/database.js';
import { defaultOrganizationId } from '../features/auth/access.js';
import { createEvent } from '../features/events/events.js';
import { seedCatalogue } from './catalogue.js';

const hour = 3_600_000;

/**
 * Seeds the demo on-sale when the database has no events: one venue, one event on sale now with a
 * 200-seat reserved section (10 rows of 20) and a 1,000-ticket general-admission section; and a
 * catalogue of a few dozen events in several cities to search (catalogue.ts).
 */
export async function seedDemo(db: Database, now = new Date()): Promise<{ eventId: string } | undefined> {
  const existing = await db.query('select 1 from events limit 1');
  if (existing.rowCount > 0) return undefined;
  const venue = await db.query<{ id: string }>(
    `insert into venues (name, city, address, latitude, longitude, time_zone, organization_id)
     values ('Riverside Arena', 'Lisbon', 'Avenida Infante Dom Henrique 1', 38.7223, -9.1393, 'Europe/Lisbon', $1) returning id`,
    [defaultOrganizationId],
  );
  const rowLabels = 'ABCDEFGHIJ'.split('');
  const eventId = await createEvent(db, {
    title: 'Onsale Demo Night',
    description: 'A demo on-sale: pick a seat on the map or grab general-admission tickets.',
    category: 'concert',
    performers: ['The Onsale House Band'],
    tags: ['demo'],
    venueId: venue.rows[0]!.id,
    startsAt: new Date(now.getTime() + 30 * 24 * hour).toISOString(),
    endsAt: new Date(now.getTime() + 30 * 24 * hour + 3 * hour).toISOString(),
    currency: 'EUR',
    status: 'published',
    maxTicketsPerOrder: 8,
    holdTtlSeconds: 600,
    sections: [
      { name: 'Reserved', price: 8_500, rows: rowLabels.map((label) => ({ label, seats: 20 })) },
      { name: 'General Admission', price: 4_500, capacity: 1_000 },
    ],
  }, defaultOrganizationId);
  await seedCatalogue(db, now);
  return { eventId };
}
