import type { Queryable } from '../../db/database.js';
import { notFound } from '../../errors.js';

export interface Venue {
  id: string;
  organizationId: string;
  name: string;
  city: string;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  /** IANA name, e.g. Europe/Lisbon: the zone the venue's event times are shown and entered in. */
  timeZone: string;
}

export type NewVenue = Omit<Venue, 'id' | 'organizationId' | 'address' | 'latitude' | 'longitude' | 'timeZone'> & {
  address?: string | undefined;
  latitude?: number | undefined;
  longitude?: number | undefined;
  timeZone?: string | undefined;
};

const venueColumns = 'id, organization_id as "organizationId", name, city, address, latitude, longitude, time_zone as "timeZone"';

/** The zone of the process (TZ, else the system's): a venue's zone when its organizer gives none. */
export const serverTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The venue's whereabouts: a key left out keeps its value, null clears it. */
export type VenuePlace = Partial<Record<'address', string | null> & Record<'latitude' | 'longitude', number | null>>;

export interface VenueService {
  create(venue: NewVenue, organizationId: string): Promise<Venue>;
  update(venueId: string, place: VenuePlace): Promise<Venue>;
  /** Venues by name; only `organizationId`'s when given. */
  list(organizationId?: string): Promise<Venue[]>;
  get(venueId: string): Promise<Venue>;
}

/**
 * Degrees as stored: rounded to 1e-9 (a tenth of a millimetre on the ground). Search indexes the
 * venue's point (ll_to_earth, migration 010), whose sines underflow, failing the insert, for a
 * coordinate as close to zero as 1e-320.
 */
const toStoredDegrees = (degrees: number | null | undefined) => (degrees === undefined || degrees === null ? null : Math.round(degrees * 1e9) / 1e9 || 0);

/** The most venues a list shows. */
const venuesListedMax = 500;

export function createVenueService(db: Queryable): VenueService {
  return {
    async create({ name, city, address, latitude, longitude, timeZone }, organizationId) {
      const { rows } = await db.query<Venue>(
        `insert into venues (name, city, address, latitude, longitude, time_zone, organization_id) values ($1, $2, $3, $4, $5, $6, $7) returning ${venueColumns}`,
        [name, city, address ?? null, toStoredDegrees(latitude), toStoredDegrees(longitude), timeZone ?? serverTimeZone(), organizationId],
      );
      return rows[0]!;
    },
    async update(venueId, place) {
      // Each column is written only when its key was sent, so one edit never clears another's value.
      const { rows } = await db.query<Venue>(
        `update venues
            set address = case when $2 then $3 else address end,
                latitude = case when $4 then $5 else latitude end,
                longitude = case when $6 then $7 else longitude end
          where id = $1 returning ${venueColumns}`,
        [venueId, 'address' in place, place.address ?? null, 'latitude' in place, toStoredDegrees(place.latitude), 'longitude' in place, toStoredDegrees(place.longitude)],
      );
      if (!rows[0]) throw notFound('venue');
      return rows[0];
    },
    list: async (organizationId) => (await db.query<Venue>(
      `select ${venueColumns} from venues where $2::uuid is null or organization_id = $2 order by name limit $1`,
      [venuesListedMax, organizationId ?? null],
    )).rows,
    async get(venueId) {
      const { rows } = await db.query<Venue>(`select ${venueColumns} from venues where id = $1`, [venueId]);
      if (!rows[0]) throw notFound('venue');
      return rows[0];
    },
  };
}
