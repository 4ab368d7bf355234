import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Queryable } from '../../db/database.js';
import { errorResponses } from '../../http/schemas.js';
import { limits } from '../../limits.js';
import { SuggestQuery, SuggestionsSchema } from './schemas.js';
import { suggest } from './search.js';

/** Suggestions as you type. The search itself is `GET /events` (features/events calls search.ts). */
export const searchRoutes: FastifyPluginAsyncTypebox<{ db: Queryable }> = async (app, { db }) => {
  app.get('/search/suggest', {
    schema: {
      tags: ['events'],
      summary: 'Events, performers, venues and cities like the words typed so far',
      description: `At most ${limits.suggestionsMax}, most alike first; typo-tolerant (trigram similarity), accents and case ignored; only published, upcoming events.`,
      querystring: SuggestQuery,
      response: { 200: SuggestionsSchema, ...errorResponses(400) },
    },
  }, async (request) => ({ suggestions: await suggest(db, request.query.q) }));
};
