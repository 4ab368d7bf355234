import { Type, type Static } from '@sinclair/typebox';
import { MinorUnits, Nullable, StrictObject, Uuid } from '../../http/schemas.js';
import { limits } from '../../limits.js';

export const SearchText = Type.String({
  maxLength: limits.searchQueryLengthMax,
  description: `Words to look for, as typed (accents, case and punctuation do not matter; the last word may be a prefix); at most ${limits.searchQueryLengthMax} characters`,
});

export const SearchSort = Type.Union([Type.Literal('relevance'), Type.Literal('date'), Type.Literal('distance'), Type.Literal('price')], {
  description: '`relevance` (the default with `q`; needs `q`), `date` (the default otherwise), `distance` (needs `near`), `price` (cheapest ticket first)',
});
export type SearchSort = Static<typeof SearchSort>;

/** The search parameters of `GET /events`, besides the existing `q, city, category, from, to, limit, cursor`. */
export const searchQueryFields = {
  near: Type.Optional(Type.String({
    maxLength: 60,
    pattern: '^\\s*-?\\d{1,3}(\\.\\d{1,12})?\\s*,\\s*-?\\d{1,3}(\\.\\d{1,12})?\\s*$',
    description: '`<latitude>,<longitude>` in degrees: each item gets `distanceKm`; only venues with coordinates are found',
  })),
  radiusKm: Type.Optional(Type.Number({ minimum: 0.01, maximum: limits.searchRadiusKmMax, description: 'With `near`: only venues this close (km, from 10 m)' })),
  priceMax: Type.Optional({ ...MinorUnits, description: 'Only events whose cheapest ticket costs at most this (minor units)' }),
  available: Type.Optional(Type.Boolean({ description: '`true` leaves out sold-out and past events' })),
  sort: Type.Optional(SearchSort),
};

const FacetValue = Type.Object({ value: Type.String(), count: Type.Integer() });
export const PriceBand = Type.Object({
  min: Type.Integer({ description: 'Cheapest ticket from (minor units, inclusive)' }),
  max: Nullable(Type.Integer({ description: 'up to (exclusive); null: no upper bound' })),
  count: Type.Integer(),
});
export const FacetsSchema = Type.Object({
  categories: Type.Array(FacetValue),
  cities: Type.Array(FacetValue),
  prices: Type.Array(PriceBand),
}, { description: 'Counts for the current filters, each facet counted without its own filter (`category`, `city`, `priceMax`); the most frequent values first, at most 50 per facet' });
export type Facets = Static<typeof FacetsSchema>;

export const SuggestQuery = StrictObject({ q: SearchText });
export type SuggestQuery = Static<typeof SuggestQuery>;

export const SuggestionSchema = Type.Object({
  kind: Type.Union([Type.Literal('event'), Type.Literal('performer'), Type.Literal('venue'), Type.Literal('city')]),
  text: Type.String(),
  eventId: Type.Optional(Uuid),
});
export type Suggestion = Static<typeof SuggestionSchema>;
export const SuggestionsSchema = Type.Object({ suggestions: Type.Array(SuggestionSchema, { maxItems: limits.suggestionsMax }) });
