import fc from 'fast-check';

/** Values that broke real services somewhere: NULs, lone surrogates, odd dates, near-UUIDs, injection. */
export const nastyStrings = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\uffff', '\u202e', '💥'.repeat(100), 'x'.repeat(10_000), '<script>alert(1)</script>',
  "'; drop table users; --", '%00', '%', '_', '\\', '../../etc/passwd', 'null', 'undefined', 'NaN', '-1', '1e309', '0x10',
  '2024-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '2024-01-01T00:00:00-23:59', '9999-12-31T23:59:60Z', '2030-06-30T23:59:60Z', '+275760-09-13T00:00:00.000Z', '2024-01-01', 'not-a-date',
  'not-a-uuid', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '{00000000-0000-4000-8000-000000000000}',
  '00000000000040008000000000000000', '------------------------------------', '__proto__', 'constructor', 'admin',
];

export const nastyNumbers = [
  -1, 0, -0, 0.5, 1.5, -1.5, 1e-7, 101, 1e21, 1e308, -1e308, 2 ** 31, 2 ** 31 - 1, -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2,
  Number.MIN_VALUE, 20_000_001, 100_000_001, 1_000_001, 86_401,
];

/** `[[[…]]]` or `{"a":{"a":…}}`, `depth` levels deep. */
export function nested(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/** Any JSON value a careless or hostile client might send where something else was expected. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...nastyStrings), weight: 3 },
  { arbitrary: fc.constantFrom(...nastyNumbers), weight: 3 },
  fc.constantFrom(null, true, false, [], {}, [null], ['a', 'a']),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.tuple(fc.integer({ min: 20, max: 300 }), fc.constantFrom('array' as const, 'object' as const)).map(([depth, kind]) => nested(depth, kind)),
);

/** Field names a client should not be able to slip in. */
export const unknownFieldName = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'role', 'isAdmin', 'id', 'userId', 'status', 'available', 'price', 'total'),
  fc.string({ maxLength: 20 }),
);

export type JsonPath = (string | number)[];

/** Every position in a JSON value (the root is `[]`). */
export function pathsOf(value: unknown, prefix: JsonPath = []): JsonPath[] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((item, i) => pathsOf(item, [...prefix, i]))];
  if (value !== null && typeof value === 'object') {
    return [prefix, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
  }
  return [prefix];
}

/** Sets an own property, even `__proto__`, so JSON.stringify sends it. */
const defineField = (target: object, key: string | number, value: unknown) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

export interface Mutation {
  op: 'replace' | 'delete' | 'add-field';
  at: number;
  junk: unknown;
  field: string;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('replace' as const, 'replace' as const, 'delete' as const, 'add-field' as const),
  at: fc.nat(),
  junk: junkValue,
  field: unknownFieldName,
});

/** Applies mutations to a copy of `sample`: a value replaced by junk, a field removed, or one added. */
export function mutate(sample: unknown, mutations: Mutation[]): unknown {
  let root = structuredClone(sample);
  for (const { op, at, junk: shared, field } of mutations) {
    // Junk comes from constants shared by every case (`{}`, `[]`): placing the shared object itself
    // would let a later mutation edit it, in this body (a cycle) and in every later case.
    const junk = structuredClone(shared);
    const paths = pathsOf(root);
    const path = paths[at % paths.length]!;
    const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], root);
    const key = path.at(-1);
    const target = key === undefined ? root : parent[key];
    if (op === 'add-field' && target !== null && typeof target === 'object' && !Array.isArray(target)) {
      defineField(target, field, junk);
    } else if (key === undefined) {
      root = op === 'delete' ? undefined : junk;
    } else if (op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else {
      defineField(parent, key, junk);
    }
  }
  return root;
}

/** A body that is not valid JSON whatever the route: a proper prefix, or a complete value plus garbage. */
export const brokenJson = (text: string): fc.Arbitrary<string> =>
  fc.oneof(
    // Cut short, but never to nothing: no payload at all is no body, which a route whose body is
    // optional (POST /orders/:id/cancel) rightly takes.
    fc.nat().map((n) => text.slice(0, 1 + (n % Math.max(text.length - 1, 1)))),
    fc.string({ minLength: 1, maxLength: 20 }).filter((garbage) => garbage.trim() !== '').map((garbage) => text + garbage),
  );

/** A body that may or may not parse: a character swapped, or a small JSON-ish fragment. */
export const mangledJson = (text: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.tuple(fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(([n, s]) => text.slice(0, n % text.length) + s + text.slice((n % text.length) + 1)),
    fc.constantFrom('', ' ', 'null', '[]', '"text"', '0', 'true', '{}', '{"a":', '\u0000', '\ufeff{}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}', '{"a":1,"a":2}'),
  );

export const contentTypes = [
  'application/json', 'application/json; charset=utf-8', 'Application/JSON', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=utf-16', 'application/vnd.api+json', 'application/jsonx', '*/*', undefined,
] as const;

const isEncodable = (text: string) => {
  try {
    encodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
};

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Path ids: junk, unknown UUIDs, and near misses of a real id. */
export const idJunk = (realId: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...nastyStrings).filter(isEncodable),
    fc.string({ unit: 'binary', maxLength: 60 }).filter(isEncodable),
    fc.uuid(),
    fc.constantFrom(realId.toUpperCase(), realId.replaceAll('-', ''), `{${realId}}`, `${realId}x`, ` ${realId}`, realId.slice(0, -1), `${realId}/..`, `${realId}?x=1`),
  );

const cursorJunk = fc.oneof(
  fc.string({ maxLength: 40 }),
  // Well-formed cursors (base64url JSON [startsAt, id]) carrying values the API never gave out.
  fc.tuple(
    fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('1', '2024', 'Jan 1 2024', '0000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z'), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    fc.oneof(fc.uuid(), fc.stringMatching(/^[0-9a-f-]{36}$/)),
  ).map((cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url')),
);

const listEventsJunk = fc.record({
  limit: fc.constantFrom('-1', '0', '101', '1.5', 'abc', '', '1e3', '99999999999999999999', '5'),
  cursor: cursorJunk,
  from: fc.oneof(fc.constantFrom(...nastyStrings), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
  to: fc.constantFrom('not-a-date', '2024-13-01T00:00:00Z', '0000-01-01T00:00:00Z', '2024-01-01T00:00:00+25:00', ''),
  q: fc.constantFrom(...nastyStrings),
  city: fc.constantFrom('%', '_', '\\', 'x'.repeat(101), '\u0000'),
}, { requiredKeys: [] });

/** Query strings: random pairs plus absurd values for the paging and date filters. */
export const queryJunk: fc.Arbitrary<[string, string][]> = fc
  .tuple(fc.array(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), { maxLength: 3 }), listEventsJunk)
  .map(([random, targeted]) => [...(Object.entries(targeted) as [string, string][]), ...random]);
