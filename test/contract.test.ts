import type { TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes, type RouteKey } from '../src/contract.js';
import { startTestApp, type TestApp } from './support/app.js';

/*
 * The client contract (src/contract.ts) pairs each URL with schemas by name; the server registers
 * its routes separately. This checks the pairing against the live app's OpenAPI document, so an entry
 * naming a route that does not exist, or the wrong schema for it, fails here and not in a browser.
 */

interface OpenApiSchema { properties?: Record<string, unknown>; allOf?: OpenApiSchema[]; $ref?: string; type?: string }
interface OpenApiOperation {
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: OpenApiSchema }> }>;
}
interface OpenApiDocument { paths: Record<string, Record<string, OpenApiOperation>>; components?: { schemas?: Record<string, OpenApiSchema> } }

let app: TestApp;
let spec: OpenApiDocument;

beforeAll(async () => {
  app = await startTestApp('pglite');
  spec = app.server.app.swagger() as unknown as OpenApiDocument;
});
afterAll(() => app.close());

const operationOf = (route: RouteKey) => {
  const [method, path] = route.split(' ') as [string, string];
  return spec.paths[`/api/v1${path.replace(/:(\w+)/g, '{$1}')}`]?.[method.toLowerCase()];
};

/** The top-level field names a schema declares (an intersection's parts merged; a reference followed). */
function fieldsOf(schema: OpenApiSchema | TSchema | undefined): string[] {
  if (!schema) return [];
  const ref = (schema as OpenApiSchema).$ref;
  if (ref) return fieldsOf(spec.components?.schemas?.[ref.split('/').pop()!]);
  const parts = (schema as OpenApiSchema).allOf ?? [schema as OpenApiSchema];
  return parts.flatMap((part) => Object.keys(part.properties ?? {})).sort();
}

const successResponse = (operation: OpenApiOperation) =>
  Object.entries(operation.responses).find(([status]) => status.startsWith('2'))?.[1].content?.['application/json']?.schema;

describe('the client contract', () => {
  it.each(Object.keys(routes) as RouteKey[])('%s is served with the schemas it names', (route) => {
    const operation = operationOf(route);
    expect(operation, `${route} is not a route of the app`).toBeDefined();
    const entry: { body?: TSchema; response: TSchema } = routes[route];
    expect(operation!.requestBody !== undefined).toBe(entry.body !== undefined);
    expect(fieldsOf(successResponse(operation!))).toEqual(fieldsOf(entry.response));
  });
});
