import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.js';
import { openTestPostgres } from '../../../test/support/postgres.js';
import { insertEvent } from '../../../test/support/queue.js';
import { eventHasStockNow, sectionAccounting, sectionAvailability } from './availability.js';

describe('availability of a GA section with a lapsed hold not yet swept', () => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => ({ db, drop } = await openTestPostgres(2)));
  afterAll(() => drop?.());

  const user = async () => (await db.query<{ id: string }>(`insert into users (email, name, password_hash) values ($1, 'Fan', 'x') returning id`, [`fan-${randomUUID()}@example.org`])).rows[0]!.id;
  const figures = async (eventId: string) => {
    const [accounting] = await sectionAccounting(db, eventId);
    const [shown] = await sectionAvailability(db, [eventId]);
    const { rows } = await db.query<{ onSale: boolean }>(`select ${eventHasStockNow('e')} as "onSale" from events e where e.id = $1`, [eventId]);
    return { ...accounting!, shown: shown!.available, onSale: rows[0]!.onSale };
  };

  /** 10 tickets: 7 back in stock (on sale, or held back for the waitlist), 3 in a hold that lapsed a second ago. */
  async function saleWithLapsedHold(heldBackForWaitlist: boolean) {
    const { eventId, sectionId } = await insertEvent(db, { capacity: 10 });
    await db.query('update sections set available = $2, reserved_for_waitlist = $3 where id = $1', [sectionId, heldBackForWaitlist ? 0 : 7, heldBackForWaitlist ? 7 : 0]);
    const holdId = randomUUID();
    await db.query(`insert into holds (id, event_id, user_id, status, expires_at, total, currency) values ($1, $2, $3, 'active', now() - interval '1 second', 3000, 'EUR')`, [holdId, eventId, await user()]);
    await db.query('insert into hold_items (hold_id, section_id, quantity, price) values ($1, $2, 3, 1000)', [holdId, sectionId]);
    if (heldBackForWaitlist) await db.query(`insert into waitlist_entries (event_id, user_id, section_id, quantity, status) values ($1, $2, $3, 4, 'waiting')`, [eventId, await user(), sectionId]);
    return eventId;
  }

  it('nobody waiting: the lapsed units are on sale (a hold reclaims them)', async () => {
    expect(await figures(await saleWithLapsedHold(false))).toMatchObject({ capacity: 10, held: 0, reserved: 0, available: 10, shown: 10, onSale: true });
  });

  it('a waitlist entry the section could serve is waiting: the lapsed units are held back for it, not shown on sale (a hold would answer sold_out)', async () => {
    const eventId = await saleWithLapsedHold(true);
    const f = await figures(eventId);
    expect(f).toMatchObject({ capacity: 10, held: 0, offered: 0, reserved: 10, available: 0, shown: 0, onSale: false });
    expect(f.sold + f.held + f.offered + f.reserved + f.available).toBe(f.capacity);
  });
});
