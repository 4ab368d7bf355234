import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../../limits.js';
import { backends, startTestApp, type TestApp } from '../../../test/support/app.js';

/**
 * One conformance suite for both backends (issue 17): relevance on a fixed catalogue, facets against
 * a brute-force count, distance against a haversine, cursors under inserts, and hostile text.
 * Each part uses its own window of start dates (`from`/`to`), so the parts do not count each other.
 */

const day = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * day).toISOString();
const window = (fromDays: number, toDays: number) => `from=${encodeURIComponent(inDays(fromDays))}&to=${encodeURIComponent(inDays(toDays))}`;

interface Item {
  id: string;
  title: string;
  category: string | null;
  venue: { city: string };
  priceFrom: number;
  score?: number;
  distanceKm?: number;
}

/** earthdistance's sphere (earth() = 6,378,168 m), so the two agree to rounding. */
const earthRadiusKm = 6378.168;
const haversineKm = (a: { lat: number; lng: number }, b: { lat: number; lng: number }) => {
  const rad = Math.PI / 180;
  const h = Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lng - a.lng) * rad) / 2) ** 2;
  return 2 * earthRadiusKm * Math.asin(Math.min(1, Math.sqrt(h)));
};

const seed = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
console.log(`search: fast-check seed ${seed}; replay with FUZZ_SEED=${seed}`);

describe.each(backends)('search on %s', (backend) => {
  let app: TestApp;
  const venues: Record<string, { id: string; lat: number; lng: number }> = {};
  const venue = async (name: string, city: string, lat: number, lng: number) => {
    const created = (await app.request('POST', '/api/v1/venues', { token: app.adminToken, body: { name, city, latitude: lat, longitude: lng } })).body;
    if (!created.id) throw new Error(`venue: ${JSON.stringify(created)}`);
    venues[name] = { id: created.id, lat: created.latitude, lng: created.longitude };
    return venues[name]!;
  };
  const get = async (query: string) => {
    const reply = await app.request('GET', `/api/v1/events?${query}`);
    if (reply.status !== 200) throw new Error(`GET /events?${query}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body as { items: Item[]; facets: any; nextCursor: string | null };
  };
  const titles = async (query: string) => (await get(query)).items.map((item) => item.title);
  const suggestions = async (q: string) => (await app.request('GET', `/api/v1/search/suggest?q=${encodeURIComponent(q)}`)).body.suggestions;

  beforeAll(async () => {
    app = await startTestApp(backend);
    await venue('Coliseu', 'Lisbon', 38.7167, -9.1395);
    await venue('Super Bock Arena', 'Porto', 41.1496, -8.6109);
    await venue('Allianz Parque', 'São Paulo', -23.5275, -46.6784);
    await venue('WiZink Center', 'Madrid', 40.4241, -3.6717);
    await venue('Casa de Fado', 'Lisbon', 38.7115, -9.1290);
    const catalogue = [
      { title: 'Metallica', performers: ['Metallica'], category: 'rock', venue: 'Coliseu', price: 9_000 },
      { title: 'Master of Puppets: a tribute', performers: ['The Puppets'], description: 'The songs of Metallica, live.', category: 'rock', venue: 'Super Bock Arena', price: 3_000 },
      { title: 'The Eras Tour', performers: ['Taylor Swift'], category: 'pop', venue: 'Allianz Parque', price: 25_000 },
      { title: 'Noite de Fado', performers: ['Ana Moura', 'Camané'], category: 'fado', venue: 'Casa de Fado', price: 2_000, tags: ['acoustic'] },
      { title: 'Jazz en el Parque', performers: ['Chucho Valdés'], category: 'jazz', venue: 'WiZink Center', price: 4_500, tags: ['outdoor'] },
    ];
    for (const [i, event] of catalogue.entries()) {
      const { venue: name, price, ...fields } = event;
      await app.createEvent({ ...fields, venueId: venues[name]!.id, startsAt: inDays(100 + i), sections: [{ name: 'Floor', price, capacity: 50 }] });
    }
    await app.createEvent({ title: 'Metallica secret show', performers: ['Metallica'], status: 'draft', venueId: venues['Coliseu']!.id, startsAt: inDays(101.5) });
  });
  afterAll(() => app?.close());

  const catalogueWindow = window(99, 110);

  describe('relevance on a fixed catalogue', () => {
    it('ranks an exact title match first, then the event that only mentions it, and finds no draft', async () => {
      const found = await get(`q=metallica&${catalogueWindow}`);
      expect(found.items.map((item) => item.title)).toEqual(['Metallica', 'Master of Puppets: a tribute']);
      expect(found.items[0]!.score).toBeGreaterThan(found.items[1]!.score!);
    });

    it('finds "Metallica" from "metalica": typo tolerance joins in when the exact search finds little', async () => {
      expect((await titles(`q=metalica&${catalogueWindow}`))[0]).toBe('Metallica');
    });

    it('ignores accents and case: "sao paulo" finds São Paulo, "CAMANE" finds Camané', async () => {
      expect(await titles(`q=sao%20paulo&${catalogueWindow}`)).toEqual(['The Eras Tour']);
      expect(await titles(`q=CAMANE&${catalogueWindow}`)).toEqual(['Noite de Fado']);
    });

    it('matches the last word as a prefix, as the user types', async () => {
      expect(await titles(`q=taylor%20sw&${catalogueWindow}`)).toEqual(['The Eras Tour']);
      expect(await titles(`q=fad&${catalogueWindow}`)).toEqual(['Noite de Fado']);
    });

    it('searches description and tags too, below titles', async () => {
      expect(await titles(`q=outdoor&${catalogueWindow}`)).toEqual(['Jazz en el Parque']);
    });

    it('suggests "Taylor Swift" for "taylr swi", at most 8 suggestions, typed by kind', async () => {
      expect(await suggestions('taylr swi')).toContainEqual({ kind: 'performer', text: 'Taylor Swift' });
      expect(await suggestions('metallica')).toContainEqual(expect.objectContaining({ kind: 'event', text: 'Metallica', eventId: expect.any(String) }));
      expect(await suggestions('sao pau')).toContainEqual({ kind: 'city', text: 'São Paulo' });
      expect(await suggestions('wizink')).toContainEqual({ kind: 'venue', text: 'WiZink Center' });
      expect((await suggestions('a')).length).toBeLessThanOrEqual(limits.suggestionsMax);
      expect((await suggestions('secret show')).map((s: { text: string }) => s.text)).not.toContain('Metallica secret show');
    });

    it('suggests only names a published, upcoming event carries: an edited lineup and a cancelled event drop out', async () => {
      const texts = async (q: string) => (await suggestions(q)).map((s: { text: string }) => s.text);
      const event = await app.createEvent({ title: 'Harbour Lights Revue', performers: ['Quentin Blackwood'], venueId: venues['Coliseu']!.id, startsAt: inDays(300) });
      expect(await texts('quentin blackw')).toContain('Quentin Blackwood');
      expect(await texts('harbour lights')).toContain('Harbour Lights Revue');

      const edited = await app.request('PATCH', `/api/v1/events/${event.id}`, { token: app.adminToken, body: { performers: ['Rosalind Fairweather'] } });
      expect(edited.status).toBe(200);
      expect(await texts('quentin blackw')).not.toContain('Quentin Blackwood');
      expect(await texts('rosalind fairw')).toContain('Rosalind Fairweather');

      expect((await app.request('PATCH', `/api/v1/events/${event.id}`, { token: app.adminToken, body: { status: 'cancelled' } })).status).toBe(200);
      expect(await texts('harbour lights')).not.toContain('Harbour Lights Revue');
      expect(await texts('rosalind fairw')).not.toContain('Rosalind Fairweather');
    });

    it('keeps date order without q, and refuses sort=relevance without q and sort=distance without near', async () => {
      expect(await titles(catalogueWindow)).toEqual(['Metallica', 'Master of Puppets: a tribute', 'The Eras Tour', 'Noite de Fado', 'Jazz en el Parque']);
      expect(await titles(`sort=price&${catalogueWindow}`)).toEqual(['Noite de Fado', 'Master of Puppets: a tribute', 'Jazz en el Parque', 'Metallica', 'The Eras Tour']);
      expect((await app.request('GET', '/api/v1/events?sort=relevance')).status).toBe(400);
      expect((await app.request('GET', '/api/v1/events?sort=distance')).status).toBe(400);
      expect((await app.request('GET', '/api/v1/events?near=91,0')).status).toBe(400);
    });
  });

  describe('facets', () => {
    const priceBands = [0, 2_500, 5_000, 10_000, 20_000];
    const bandOf = (price: number) => priceBands.filter((min) => price >= min).length - 1;

    /** Counts the facets from every item of the unfaceted search, in the test. */
    async function bruteForce(base: string, filters: { category?: string; city?: string; priceMax?: number }) {
      const all: Item[] = [];
      let cursor: string | null = null;
      do {
        const page = await get(`${base}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      const keep = (item: Item, except: string) =>
        (except === 'category' || !filters.category || item.category?.toLowerCase() === filters.category.toLowerCase())
        && (except === 'city' || !filters.city || item.venue.city.toLowerCase() === filters.city.toLowerCase())
        && (except === 'price' || filters.priceMax === undefined || item.priceFrom <= filters.priceMax);
      const count = (items: Item[], key: (item: Item) => string | number | null) => {
        const counts = new Map<string | number, number>();
        for (const item of items) {
          const value = key(item);
          if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
        }
        return counts;
      };
      return {
        categories: count(all.filter((i) => keep(i, 'category')), (i) => i.category),
        cities: count(all.filter((i) => keep(i, 'city')), (i) => i.venue.city),
        prices: count(all.filter((i) => keep(i, 'price')), (i) => priceBands[bandOf(i.priceFrom)]!),
      };
    }

    it('counts categories, cities and price bands as a brute-force count does, each without its own filter', async () => {
      const cities = ['Lisbon', 'Porto', 'Madrid'];
      const categories = ['rock', 'pop', 'jazz', 'Rock'];
      const prices = [1_000, 2_500, 4_999, 7_500, 15_000, 30_000];
      for (let i = 0; i < 36; i++) {
        const venueName = ['Coliseu', 'Super Bock Arena', 'WiZink Center'][i % 3]!;
        await app.createEvent({
          title: `Facet night ${i}`, category: i % 7 === 0 ? undefined : categories[i % 4], venueId: venues[venueName]!.id,
          startsAt: inDays(200 + i / 10), sections: [{ name: 'A', price: prices[i % 6]!, capacity: 10 }, { name: 'B', price: prices[(i + 2) % 6]!, capacity: 10 }],
        });
      }
      const base = `${window(199, 210)}`;
      const combinations = [{}, { category: 'rock' }, { city: 'porto' }, { priceMax: 5_000 }, { category: 'ROCK', city: 'Lisbon', priceMax: 7_500 }, { city: cities[2], priceMax: 0 }];
      for (const filters of [...combinations, ...combinations.map((f) => ({ ...f, q: 'facet' }))]) {
        const { q, ...faceted } = filters as typeof filters & { q?: string };
        const unfaceted = q ? `${base}&q=${q}` : base;
        const query = new URLSearchParams(Object.entries(faceted).map(([k, v]): [string, string] => [k, String(v)])).toString();
        const { facets } = await get(`${unfaceted}&${query}`);
        const expected = await bruteForce(unfaceted, faceted);
        expect(new Map(facets.categories.map((f: { value: string; count: number }) => [f.value, f.count]))).toEqual(expected.categories);
        expect(new Map(facets.cities.map((f: { value: string; count: number }) => [f.value, f.count]))).toEqual(expected.cities);
        expect(new Map(facets.prices.map((f: { min: number; count: number }) => [f.min, f.count]))).toEqual(expected.prices);
      }
    });
  });

  describe('near', () => {
    it('finds the venues within the radius a haversine computes, and gives each distance', async () => {
      const points = fc.sample(fc.record({ lat: fc.double({ min: 30, max: 50, noNaN: true }), lng: fc.double({ min: -12, max: 5, noNaN: true }) }), { numRuns: 12, seed });
      const located: { id: string; lat: number; lng: number }[] = [];
      for (const [i, point] of points.entries()) {
        // The stored point: coordinates are rounded to 1e-9 degrees.
        const stored = await venue(`Geo ${i}`, `Geo city ${i}`, point.lat, point.lng);
        located.push({ ...stored, id: (await app.createEvent({ title: `Geo gig ${i}`, venueId: stored.id, startsAt: inDays(300 + i / 10) })).id });
      }
      const origin = { lat: 40.4, lng: -3.7 };
      for (const radiusKm of [50, 300, 600, 1_000]) {
        const { items } = await get(`near=${origin.lat},${origin.lng}&radiusKm=${radiusKm}&sort=distance&limit=100&${window(299, 310)}`);
        const expected = located.map((v) => ({ id: v.id, km: haversineKm(origin, v) })).filter((v) => v.km <= radiusKm).sort((a, b) => a.km - b.km);
        expect(items.map((item) => item.id)).toEqual(expected.map((v) => v.id));
        items.forEach((item, i) => expect(item.distanceKm).toBeCloseTo(expected[i]!.km, 6));
      }
    });
  });

  describe('cursors', () => {
    it('pages neither repeat nor skip while events are inserted between pages, in every sort', async () => {
      const base = window(400, 420);
      const created: string[] = [];
      const add = async (i: number) => {
        const event = await app.createEvent({ title: `Cursor show ${i % 3}`, startsAt: inDays(400 + (i % 7)), sections: [{ name: 'A', price: 1_000 * (i % 4), capacity: 5 }] });
        created.push(event.id);
      };
      for (let i = 0; i < 20; i++) await add(i);
      for (const sort of ['date', 'price', 'relevance']) {
        const before = new Set(created);
        const seen: string[] = [];
        let cursor: string | null = null;
        let i = 100;
        do {
          const page = await get(`${base}&q=cursor%20show&sort=${sort}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
          seen.push(...page.items.map((item) => item.id));
          cursor = page.nextCursor;
          await add(i++);
        } while (cursor);
        expect(new Set(seen).size).toBe(seen.length);
        for (const id of before) expect(seen).toContain(id);
      }
    });

    it('refuses a cursor from another sort or one it did not write', async () => {
      const page = await get(`${window(400, 420)}&limit=1`);
      expect((await app.request('GET', `/api/v1/events?sort=price&cursor=${page.nextCursor}`)).status).toBe(400);
      expect((await app.request('GET', '/api/v1/events?cursor=nonsense')).status).toBe(400);
    });
  });

  describe('availability', () => {
    it('leaves out sold-out events with available=true', async () => {
      const soldOut = await app.createEvent({ title: 'Tiny club gig', startsAt: inDays(500), sections: [{ name: 'A', price: 100, capacity: 1 }] });
      const buyer = await app.registerBuyer();
      const hold = await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: soldOut.id, sectionId: soldOut.sections[0].id, quantity: 1 } });
      expect(hold.status).toBe(201);
      expect(await titles(`q=tiny&${window(499, 501)}`)).toEqual(['Tiny club gig']);
      expect(await titles(`q=tiny&available=true&${window(499, 501)}`)).toEqual([]);
    });
  });

  describe('hostile text', () => {
    const hostile = fc.oneof(
      fc.string({ maxLength: limits.searchQueryLengthMax }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(fc.constantFrom('&', '|', '!', '(', ')', ':', '*', "'", '"', '\\', '\u0000', '<->', ':*', 'é', '💥', ' ', 'a', '\ud800', '%', '_'), { maxLength: 30 }).map((parts) => parts.join('')),
    );

    /** Percent-encodes the UTF-8 of the text (a lone surrogate becomes U+FFFD, as any client sends it). */
    const percentEncoded = (text: string) => [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

    it('never answers q or suggest with a 5xx, whatever the text', async () => {
      await fc.assert(fc.asyncProperty(hostile, async (text) => {
        for (const path of ['/api/v1/events?q=', '/api/v1/search/suggest?q=']) {
          const reply = await app.request('GET', path + percentEncoded(text));
          expect(reply.status, `${path}${JSON.stringify(text)}: ${JSON.stringify(reply.body)}`).toBeLessThan(500);
          // Every route refuses NUL in any string with 400 (http/validation.ts); anything else in bounds is a search.
          const refused = text.length > limits.searchQueryLengthMax || text.includes('\u0000');
          expect(reply.status).toBe(refused ? 400 : 200);
        }
      }), { numRuns: 60, seed });
    });

    it('never answers bytes that are not UTF-8 with a 5xx', async () => {
      await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 30 }), async (bytes) => {
        const encoded = [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
        for (const path of ['/api/v1/events?q=', '/api/v1/search/suggest?q=']) {
          expect((await app.request('GET', path + encoded)).status).toBeLessThan(500);
        }
      }), { numRuns: 40, seed });
    });

    it('refuses q longer than its bound with 400', async () => {
      const long = encodeURIComponent('a'.repeat(limits.searchQueryLengthMax + 1));
      for (const path of [`/api/v1/events?q=${long}`, `/api/v1/search/suggest?q=${long}`]) {
        const reply = await app.request('GET', path);
        expect(reply.status).toBe(400);
        expect(reply.body.error.code).toBe('validation_failed');
      }
    });
  });
});
