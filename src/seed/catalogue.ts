import type { Database } from '../db/database.js';
import { defaultOrganizationId } from '../features/auth/access.js';
import { createEvent } from '../features/events/events.js';
import { createVenueService } from '../features/venues/venues.js';
import { venueEvening } from './zoned.js';


/** Venues of the demo catalogue, with real coordinates (so "near me" has something to find) and their time zones. */
const venues = [
  { name: 'Coliseu dos Recreios', city: 'Lisbon', address: 'Rua das Portas de Santo Antão 96', latitude: 38.7155, longitude: -9.1404, timeZone: 'Europe/Lisbon' },
  { name: 'Casa da Música', city: 'Porto', address: 'Avenida da Boavista 604', latitude: 41.1589, longitude: -8.6307, timeZone: 'Europe/Lisbon' },
  { name: 'WiZink Center', city: 'Madrid', address: 'Avenida Felipe II', latitude: 40.424, longitude: -3.6718, timeZone: 'Europe/Madrid' },
  { name: 'Palau Sant Jordi', city: 'Barcelona', address: 'Passeig Olímpic 5-7', latitude: 41.3634, longitude: 2.1527, timeZone: 'Europe/Madrid' },
  { name: 'Accor Arena', city: 'Paris', address: '8 Boulevard de Bercy', latitude: 48.8386, longitude: 2.3786, timeZone: 'Europe/Paris' },
  { name: 'Brixton Academy', city: 'London', address: '211 Stockwell Road', latitude: 51.4652, longitude: -0.1149, timeZone: 'Europe/London' },
  { name: 'Columbiahalle', city: 'Berlin', address: 'Columbiadamm 13-21', latitude: 52.4849, longitude: 13.3911, timeZone: 'Europe/Berlin' },
  { name: 'Allianz Parque', city: 'São Paulo', address: 'Avenida Francisco Matarazzo 1705', latitude: -23.5275, longitude: -46.6784, timeZone: 'America/Sao_Paulo' },
];

interface CatalogueEvent {
  title: string;
  performers: string[];
  category: string;
  tags: string[];
  /** Index into `venues`. */
  venue: number;
  inDays: number;
  price: number;
  description?: string;
}

/** A few dozen invented acts across the cities, for trying search, suggestions and facets. */
const events: CatalogueEvent[] = [
  { title: 'Midnight Owls: Nocturne Tour', performers: ['Midnight Owls', 'Lua Branca'], category: 'rock', tags: ['indie'], venue: 0, inDays: 12, price: 3_500 },
  { title: 'Midnight Owls: Nocturne Tour', performers: ['Midnight Owls'], category: 'rock', tags: ['indie'], venue: 2, inDays: 15, price: 3_800 },
  { title: 'Midnight Owls: Nocturne Tour', performers: ['Midnight Owls'], category: 'rock', tags: ['indie'], venue: 4, inDays: 19, price: 4_200 },
  { title: 'Noite de Fado', performers: ['Mariza Lopes', 'Camané Reis'], category: 'fado', tags: ['acoustic', 'portuguese'], venue: 0, inDays: 8, price: 2_500, description: 'Fado, guitarra portuguesa and a glass of port.' },
  { title: 'Fado no Porto', performers: ['Ana Sofia Moura'], category: 'fado', tags: ['acoustic'], venue: 1, inDays: 22, price: 2_200 },
  { title: 'Iron Lanterns World Tour', performers: ['Iron Lanterns', 'Hollow Crown'], category: 'metal', tags: ['heavy'], venue: 2, inDays: 40, price: 7_500 },
  { title: 'Iron Lanterns World Tour', performers: ['Iron Lanterns', 'Hollow Crown'], category: 'metal', tags: ['heavy'], venue: 6, inDays: 44, price: 7_900 },
  { title: 'Iron Lanterns World Tour', performers: ['Iron Lanterns'], category: 'metal', tags: ['heavy'], venue: 7, inDays: 60, price: 9_000 },
  { title: 'Sofía Valverde en Concierto', performers: ['Sofía Valverde'], category: 'pop', tags: ['latin'], venue: 2, inDays: 25, price: 5_500 },
  { title: 'Sofía Valverde en Concierto', performers: ['Sofía Valverde'], category: 'pop', tags: ['latin'], venue: 3, inDays: 27, price: 5_500 },
  { title: 'Sofía Valverde ao Vivo', performers: ['Sofía Valverde', 'DJ Sabiá'], category: 'pop', tags: ['latin'], venue: 7, inDays: 33, price: 6_000 },
  { title: 'Blue Harbour Jazz Night', performers: ['Elena Marsh Quartet'], category: 'jazz', tags: ['late night'], venue: 1, inDays: 10, price: 3_000 },
  { title: 'Blue Harbour Jazz Night', performers: ['Elena Marsh Quartet'], category: 'jazz', tags: ['late night'], venue: 5, inDays: 18, price: 3_200 },
  { title: 'Berlin Techno Marathon', performers: ['Kaiser Puls', 'Nachtfalter', 'Ostkreuz Collective'], category: 'electronic', tags: ['all night', 'club'], venue: 6, inDays: 14, price: 4_000 },
  { title: 'Paris Électro Festival', performers: ['Nachtfalter', 'Les Lumières'], category: 'electronic', tags: ['festival'], venue: 4, inDays: 30, price: 6_500 },
  { title: 'The Quiet Tides', performers: ['The Quiet Tides'], category: 'folk', tags: ['acoustic'], venue: 5, inDays: 9, price: 2_800 },
  { title: 'The Quiet Tides', performers: ['The Quiet Tides'], category: 'folk', tags: ['acoustic'], venue: 1, inDays: 35, price: 2_600 },
  { title: 'Orquestra Sinfónica: Beethoven 9', performers: ['Orquestra Sinfónica de Lisboa'], category: 'classical', tags: ['orchestra'], venue: 0, inDays: 45, price: 4_500 },
  { title: 'Philharmonie: Mahler 2', performers: ['Berliner Stadtorchester'], category: 'classical', tags: ['orchestra'], venue: 6, inDays: 52, price: 6_000 },
  { title: 'Stand-up: Rita Gomes', performers: ['Rita Gomes'], category: 'comedy', tags: ['portuguese'], venue: 1, inDays: 6, price: 1_800 },
  { title: 'London Laughs', performers: ['Sam Okafor', 'Priya Shah'], category: 'comedy', tags: ['english'], venue: 5, inDays: 11, price: 2_000 },
  { title: 'Samba de Raiz', performers: ['Grupo Bamba', 'Zeca Oliveira'], category: 'samba', tags: ['brazilian'], venue: 7, inDays: 16, price: 3_000 },
  { title: 'Festival de Verão', performers: ['Grupo Bamba', 'Sofía Valverde', 'Lua Branca'], category: 'festival', tags: ['outdoor', 'summer'], venue: 7, inDays: 75, price: 12_000 },
  { title: 'Primavera Nights', performers: ['Les Lumières', 'The Quiet Tides', 'Midnight Owls'], category: 'festival', tags: ['outdoor'], venue: 3, inDays: 70, price: 11_000 },
  { title: 'Hollow Crown: Acoustic', performers: ['Hollow Crown'], category: 'rock', tags: ['acoustic'], venue: 5, inDays: 28, price: 3_300 },
  { title: 'Lua Branca', performers: ['Lua Branca'], category: 'pop', tags: ['portuguese'], venue: 0, inDays: 20, price: 2_900 },
  { title: 'Les Lumières', performers: ['Les Lumières'], category: 'pop', tags: ['french'], venue: 4, inDays: 23, price: 4_800 },
  { title: 'Flamenco Puro', performers: ['Carmen Heredia', 'Paco del Río'], category: 'flamenco', tags: ['acoustic', 'spanish'], venue: 2, inDays: 13, price: 3_500 },
  { title: 'Flamenco Puro', performers: ['Carmen Heredia'], category: 'flamenco', tags: ['acoustic', 'spanish'], venue: 3, inDays: 17, price: 3_500 },
  { title: 'Derby Night Live Screening', performers: [], category: 'sport', tags: ['football'], venue: 1, inDays: 5, price: 1_000, description: 'The derby on the big screen, with the supporters’ choir.' },
  { title: 'Basketball Cup Final', performers: [], category: 'sport', tags: ['basketball'], venue: 2, inDays: 38, price: 4_000 },
  { title: 'Kaiser Puls Live', performers: ['Kaiser Puls'], category: 'electronic', tags: ['club'], venue: 4, inDays: 48, price: 3_900 },
  { title: 'Elena Marsh Quartet plays Coltrane', performers: ['Elena Marsh Quartet'], category: 'jazz', tags: ['tribute'], venue: 6, inDays: 55, price: 3_400 },
  { title: 'Ostkreuz Collective', performers: ['Ostkreuz Collective'], category: 'electronic', tags: ['club'], venue: 3, inDays: 65, price: 3_000 },
];

export const demoCatalogueSize = events.length;

/** When doors open for each kind of night, in the venue's own clock (20:00 otherwise). */
const startTimes: Record<string, string> = { classical: '19:30', jazz: '21:00', comedy: '21:30', electronic: '23:00', sport: '20:45', fado: '21:30', flamenco: '22:00' };
export const startTimeOf = (category: string) => startTimes[category] ?? '20:00';

/** Seeds the catalogue (its venues and a general-admission event each), published, with lineups and tags. */
export async function seedCatalogue(db: Database, now: Date): Promise<void> {
  const venueService = createVenueService(db);
  const venueIds: string[] = [];
  for (const venue of venues) venueIds.push((await venueService.create(venue, defaultOrganizationId)).id);
  for (const event of events) {
    const venue = venues[event.venue]!;
    const startsAt = venueEvening(now, event.inDays, startTimeOf(event.category), venue.timeZone);
    await createEvent(db, {
      title: event.title,
      performers: event.performers,
      tags: event.tags,
      category: event.category,
      ...(event.description ? { description: event.description } : {}),
      venueId: venueIds[event.venue]!,
      startsAt: startsAt.toISOString(),
      currency: 'EUR',
      status: 'published',
      sections: [{ name: 'General Admission', price: event.price, capacity: 500 }],
    }, defaultOrganizationId);
  }
}
