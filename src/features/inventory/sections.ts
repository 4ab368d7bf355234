import type { Tx } from '../../db/database.js';
import { insertTicketTypes, type NewTicketType } from './ticket-types.js';

export interface NewSection {
  id: string;
  name: string;
  kind: 'ga' | 'seated';
  price: number;
  capacity: number;
  ticketTypes?: readonly NewTicketType[] | undefined;
}

export interface NewSeat {
  sectionId: string;
  row: string;
  number: number;
  label: string;
  x: number;
  y: number;
}

/** Puts an event's sections on sale: a GA section's whole capacity available, every seat available, with their ticket types. */
export async function createSections(tx: Tx, eventId: string, sections: readonly NewSection[], seats: readonly NewSeat[]): Promise<void> {
  await tx.query(
    `insert into sections (id, event_id, name, kind, price, capacity, available, position)
     select id, $1, name, kind, price, capacity, case when kind = 'ga' then capacity end, position
       from unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::int[]) with ordinality as t(id, name, kind, price, capacity, position)`,
    [eventId, sections.map((s) => s.id), sections.map((s) => s.name), sections.map((s) => s.kind), sections.map((s) => s.price), sections.map((s) => s.capacity)],
  );
  await insertTicketTypes(tx, sections.flatMap((s) => (s.ticketTypes ?? []).map((type, i) => ({ ...type, sectionId: s.id, position: i + 1 }))));
  if (seats.length === 0) return;
  await tx.query(
    `insert into seats (section_id, event_id, row_label, number, label, x, y)
     select section_id, $1, row_label, number, label, x, y
       from unnest($2::uuid[], $3::text[], $4::int[], $5::text[], $6::real[], $7::real[]) as t(section_id, row_label, number, label, x, y)`,
    [eventId, seats.map((s) => s.sectionId), seats.map((s) => s.row), seats.map((s) => s.number), seats.map((s) => s.label), seats.map((s) => s.x), seats.map((s) => s.y)],
  );
}
