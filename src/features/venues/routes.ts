import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../context.js';
import type { Api } from '../../http/api.js';
import { BearerAuth, IdParams, Nullable, StrictObject, Text, Uuid, errorResponses } from '../../http/schemas.js';
import { notFound } from '../../errors.js';

export const VenueSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  city: Type.String(),
  address: Nullable(Type.String()),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
});

const venueColumns = 'id, name, city, address, latitude, longitude';

export async function venueRoutes(app: Api, { db, guards }: AppContext): Promise<void> {
  app.post('/venues', {
    onRequest: guards.requireAdmin,
    schema: {
      tags: ['venues'],
      summary: 'Create a venue (admin)',
      security: BearerAuth,
      body: StrictObject({
        name: Text(),
        city: Text(),
        address: Type.Optional(Text({ maxLength: 500 })),
        latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
        longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
      }),
      response: { 201: VenueSchema, ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const { name, city, address, latitude, longitude } = request.body;
    const { rows } = await db.query(
      `insert into venues (name, city, address, latitude, longitude) values ($1, $2, $3, $4, $5) returning ${venueColumns}`,
      [name, city, address ?? null, latitude ?? null, longitude ?? null],
    );
    return reply.status(201).send(rows[0] as never);
  });

  app.get('/venues', {
    schema: { tags: ['venues'], summary: 'List venues', response: { 200: Type.Object({ items: Type.Array(VenueSchema) }) } },
  }, async () => ({ items: (await db.query(`select ${venueColumns} from venues order by name limit 500`)).rows as never }));

  app.get('/venues/:id', {
    schema: { tags: ['venues'], summary: 'One venue', params: IdParams, response: { 200: VenueSchema, ...errorResponses(400, 404) } },
  }, async (request) => {
    const { rows } = await db.query(`select ${venueColumns} from venues where id = $1`, [request.params.id]);
    if (!rows[0]) throw notFound('venue');
    return rows[0] as never;
  });
}
