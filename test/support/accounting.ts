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
