import type { Queryable } from '../../src/db/database.js';
import { sectionAccounting, type SectionAccounting } from '../../src/features/inventory/availability.js';
import { sleep } from './app.js';

/** Every unit of a section is in exactly one of these; their sum must be the capacity. */
export const accountedUnits = (s: Pick<SectionAccounting, 'sold' | 'held' | 'offered' | 'reserved' | 'setAside' | 'available'>) =>
  s.sold + s.held + s.offered + s.reserved + s.setAside + s.available;

/**
 * Samples the event's per-section accounting over and over while a race runs. Call the returned
 * function when the race is over: it stops, takes one last sample and returns them all.
 */
export function watchAccounting(db: Queryable, eventId: string): () => Promise<SectionAccounting[][]> {
  const samples: SectionAccounting[][] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push(await sectionAccounting(db, eventId));
      await sleep(2);
    }
  })();
  return async () => {
    running = false;
    await loop;
    samples.push(await sectionAccounting(db, eventId));
    return samples;
  };
}

/** Per ticket type of the event: its `taken` counter, and its units counted from active holds and valid tickets (they must agree). */
export async function ticketTypeCounts(db: Queryable, eventId: string) {
  const { rows } = await db.query<{ name: string; quota: number | null; taken: number; held: number; sold: number }>(
    `select tt.name, tt.quota, tt.taken,
            (select coalesce(sum(i.quantity), 0) from hold_items i join holds h on h.id = i.hold_id where i.ticket_type_id = tt.id and h.status = 'active')::int as held,
            (select count(*) from tickets t where t.ticket_type_id = tt.id and t.status = 'valid')::int as sold
       from ticket_types tt join sections s on s.id = tt.section_id where s.event_id = $1 order by tt.position`,
    [eventId],
  );
  return rows;
}
