import { AppError } from '../../errors.js';
import { uuidPattern } from '../../http/schemas.js';
import type { SearchSort } from './schemas.js';

/** How the text matched: `exact` full-text search, or `fuzzy` (trigram similarity joined in because exact found little). */
export type MatchMode = 'exact' | 'fuzzy';

/**
 * Where a page ended: the sort and match mode it was computed with, the last item's sort key and id.
 * Keys are a function of the event alone (its start, cheapest price, distance, or score for this
 * query: ts_rank and trigram similarity use no corpus statistics), so events added or sold between
 * pages neither repeat nor skip the others.
 */
export interface Cursor {
  sort: SearchSort;
  mode: MatchMode;
  key: string | number;
  id: string;
}

const invalidCursor = () => new AppError('validation_failed', 'The cursor is not one this API gave out for this search.', {
  fields: [{ in: 'querystring', field: '/cursor', message: 'is invalid' }],
});

export const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify([cursor.sort, cursor.mode, cursor.key, cursor.id])).toString('base64url');

/**
 * Exactly what toISOString writes for an event's start (years 0001-9999), so nothing that Date.parse
 * tolerates but PostgreSQL refuses.
 */
const isOwnTimestamp = (value: unknown): value is string =>
  typeof value === 'string' && /^(?!0000)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value) && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value;

const keyFits = (sort: SearchSort, key: unknown): key is string | number =>
  sort === 'date' ? isOwnTimestamp(key) : sort === 'price' ? Number.isSafeInteger(key) : typeof key === 'number' && Number.isFinite(key);

/** A cursor this API wrote for a search with the same sort; anything else is a 400. */
export function decodeCursor(text: string, sort: SearchSort): Cursor {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parts) || parts.length !== 4) throw invalidCursor();
  const [cursorSort, mode, key, id] = parts as unknown[];
  if (cursorSort !== sort || (mode !== 'exact' && mode !== 'fuzzy') || !keyFits(sort, key) || typeof id !== 'string' || !uuidPattern.test(id)) throw invalidCursor();
  return { sort, mode, key, id };
}

/**
 * User text as search reads it: control characters (NUL among them, which PostgreSQL cannot store
 * in text) and lone surrogates become spaces. Everything else, operators and quotes included, is
 * data: the database parses it with plainto_tsquery, which has no syntax to break.
 */
export const cleanSearchText = (text: string | undefined): string | undefined => {
  const cleaned = text?.replace(/[\p{Cc}\p{Cs}]/gu, ' ').trim();
  return cleaned ? cleaned : undefined;
};

export interface Point {
  lat: number;
  lng: number;
}

/** `<lat>,<lng>` (the schema checked the shape); degrees out of range are a 400. */
export function parsePoint(text: string): Point {
  const [lat, lng] = text.split(',').map((part) => Number(part.trim())) as [number, number];
  if (Math.abs(lat) > 90 || Math.abs(lng) > 180) {
    throw new AppError('validation_failed', 'near must be <latitude>,<longitude> within ±90 and ±180 degrees.', {
      fields: [{ in: 'querystring', field: '/near', message: 'out of range' }],
    });
  }
  return { lat, lng };
}
