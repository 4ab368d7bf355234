import fc from 'fast-check';
import { createSigner } from 'fast-jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../src/limits.js';
import { backends, seatIds, startTestApp, type Buyer, type TestApp } from './support/app.js';
import { brokenJson, contentTypes, idJunk, mangledJson, mutate, mutation, queryJunk, uuidPattern } from './support/junk.js';
import { fillPath, liveRoutes, snapshotState, type LiveRoute } from './support/routes.js';
import { waitFor } from './support/wait.js';

/** Issue 2, invariant 8: bad input gets a 4xx `{ error: { code, message, details } }`, never a 500, never a partial write. */

/** `organizer`: an account that makes organizations (ORGANIZER_SIGNUP=open), so the admin's stay as they are. */
type Caller = 'admin' | 'buyer' | 'organizer' | 'none';

/** A valid request to one route; mutations start from here, so they get past the first checks. */
interface Sample {
  caller: Caller;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

interface Attempt {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Sent as-is; JSON text unless a test says otherwise. */
  payload?: string;
}

interface Outcome {
  status: number;
  body: any;
  text: string;
  before: Record<string, string>;
  after: Record<string, string>;
}

/**
 * Errors that record what happened on purpose: a declined card leaves a declined payment row (the
 * attempt is kept for the audit trail), and a reused refresh token revokes its whole family.
 */
const writesOnPurpose = (route: Pick<LiveRoute, 'path'>, code: string) =>
  code === 'payment_declined' || (route.path.endsWith('/auth/refresh') && code === 'invalid_token');

const isSnakeCase = (code: unknown) => typeof code === 'string' && /^[a-z]+(_[a-z]+)*$/.test(code);

/**
 * One seed per run, printed, so any failure can be replayed with the same cases:
 * `FUZZ_SEED=<seed> FUZZ_RUNS=<runs> npx vitest run test/fuzz.test.ts`. FUZZ_RUNS multiplies every
 * property's case count (`npm run fuzz` runs ten times the default); the default keeps `npm test` fast.
 */
const seed = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
const runsScale = Number(process.env.FUZZ_RUNS ?? 1);
console.log(`fuzz: seed ${seed}, case counts x${runsScale}; replay with FUZZ_SEED=${seed} FUZZ_RUNS=${runsScale} npx vitest run test/fuzz.test.ts`);
const runs = (n: number) => ({ numRuns: n * runsScale, seed, endOnFailure: true });

describe('mutations', () => {
  it('never place one junk value twice, so no body holds a cycle and no later case sees an edited constant', () => {
    const shared = {};
    // `a` becomes the junk object, then a field is added to that object, with the same junk again.
    const body = mutate({ a: 1, b: 2 }, [{ op: 'replace', at: 1, junk: shared, field: 'x' }, { op: 'add-field', at: 1, junk: shared, field: 'self' }]);
    expect(JSON.stringify(body)).toBe('{"a":{"self":{}},"b":2}');
    expect(shared).toEqual({});
  });
});

describe.each(backends)('bad input on %s', (backend) => {
  let app: TestApp;
  let buyer: Buyer;
  let routes: LiveRoute[];
  let samples: Record<string, Sample[]>;
  const tokens: Record<Caller, string | undefined> = { admin: undefined, buyer: undefined, organizer: undefined, none: undefined };

  beforeAll(async () => {
    // Nothing may change on its own under the before/after snapshots, however long a run (FUZZ_RUNS)
    // takes: the sample holds last a day (see buildSamples), and so do the tokens of the callers.
    // Organizations made by the fuzzing are an organizer's: the admin stays in one, so the examples
    // below create venues and events without naming an organization.
    app = await startTestApp(backend, { SWEEP_INTERVAL_MS: '60000', ACCESS_TOKEN_TTL_SECONDS: '86400', ORGANIZER_SIGNUP: 'open' });
    buyer = await app.registerBuyer();
    tokens.admin = app.adminToken;
    tokens.buyer = buyer.token;
    tokens.organizer = (await app.registerBuyer()).token;
    routes = liveRoutes(app);
    samples = await buildSamples(app, buyer);
  });
  afterAll(() => app?.close());

  async function send(attempt: Attempt): Promise<Outcome> {
    const before = await snapshotState(app.db);
    const response = await app.server.app.inject({
      method: attempt.method as 'GET',
      url: attempt.url,
      headers: attempt.headers ?? {},
      ...(attempt.payload === undefined ? {} : { payload: attempt.payload }),
    });
    const after = await snapshotState(app.db);
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      body = undefined;
    }
    return { status: response.statusCode, body, text: response.body, before, after };
  }

  /** The invariant itself. `mustReject`: the input is certainly bad, so success is a failure too. */
  function expectSafe(route: Pick<LiveRoute, 'path'>, outcome: Outcome, mustReject: boolean) {
    const context = `${outcome.status} ${outcome.text.slice(0, 300)}`;
    expect(outcome.status, context).toBeLessThan(500);
    if (mustReject) expect(outcome.status, context).toBeGreaterThanOrEqual(400);
    if (outcome.status < 400) return;
    const error = outcome.body?.error;
    expect(isSnakeCase(error?.code), context).toBe(true);
    expect(typeof error.message, context).toBe('string');
    expect(error.details !== null && typeof error.details === 'object' && !Array.isArray(error.details), context).toBe(true);
    if (!writesOnPurpose(route, error.code)) expect(outcome.after, `a rejected request wrote: ${context}`).toEqual(outcome.before);
  }

  const samplesFor = (route: LiveRoute): Sample[] =>
    samples[route.key] ?? [{
      // A route without a sample is still fuzzed: with an admin's token, made-up ids and an empty body.
      caller: route.secured ? 'admin' : 'none',
      params: Object.fromEntries(route.params.map((name) => [name, crypto.randomUUID()])),
      ...(route.hasBody ? { body: {} } : {}),
    }];

  function attemptFor(route: LiveRoute, sample: Sample, changes: { params?: Record<string, string>; query?: [string, string][]; headers?: Record<string, string>; payload?: string | null; body?: unknown } = {}): Attempt {
    const query = new URLSearchParams([...Object.entries(sample.query ?? {}), ...(changes.query ?? [])]).toString();
    const token = tokens[sample.caller];
    const body = 'body' in changes ? changes.body : sample.body;
    const payload = changes.payload === null ? undefined : (changes.payload ?? (body === undefined ? undefined : JSON.stringify(body)));
    return {
      method: route.method,
      url: fillPath(route.path, { ...sample.params, ...changes.params }) + (query ? `?${query}` : ''),
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...changes.headers,
      },
      ...(payload === undefined ? {} : { payload }),
    };
  }

  const route = (key: string) => {
    const found = routes.find((r) => r.key === key);
    if (!found) throw new Error(`no live route ${key}`);
    return found;
  };
  const sampleOf = (key: string) => samples[key]![0]!;

  describe('harness', () => {
    it('sees a write in the state snapshot, so an unchanged snapshot means nothing was written', async () => {
      const before = await snapshotState(app.db);
      await app.request('POST', '/api/v1/venues', { token: app.adminToken, body: { name: 'Seen', city: 'Braga' } });
      const after = await snapshotState(app.db);
      expect(after.venues).not.toBe(before.venues);
      expect({ ...after, venues: before.venues }).toEqual(before);
    });

    it('finds every route of the booking core in the live route table', () => {
      const keys = routes.map((r) => r.key);
      for (const key of Object.keys(samples)) expect(keys, `the sample for ${key} names no live route`).toContain(key);
      expect(keys.length).toBeGreaterThanOrEqual(Object.keys(samples).length);
    });

    it('has a sample of its own for every route of issue 14 (organizations, members, invitations, API keys, the order desk)', () => {
      expect(issue14Routes.filter((key) => !routes.some((r) => r.key === key))).toEqual([]);
      expect(issue14Routes.filter((key) => !samples[key])).toEqual([]);
    });
  });

  /** A route (of those `filter` keeps) with one of its samples. */
  const routeAndSample = (filter: (r: LiveRoute) => boolean = () => true) =>
    fc.constantFrom(...routes.filter(filter)).chain((target) => fc.constantFrom(...samplesFor(target)).map((sample) => ({ target, sample })));

  // Longer runs (FUZZ_RUNS) need proportionally longer.
  describe('properties', { timeout: 60_000 * runsScale }, () => {
    it('answers mutated JSON bodies (wrong types, unknown fields, junk, deep nesting) with 2xx or a clean 4xx', async () => {
      await fc.assert(fc.asyncProperty(routeAndSample((r) => r.hasBody), fc.array(mutation, { minLength: 1, maxLength: 3 }), async ({ target, sample }, mutations) => {
        const body = mutate(sample.body, mutations);
        expectSafe(target, await send(attemptFor(target, sample, body === undefined ? { payload: null } : { body })), false);
      }), runs(250));
    });

    const withContentType = (attempt: Attempt, contentType: string | undefined): Attempt => {
      const { 'content-type': _, ...headers } = attempt.headers ?? {};
      return { ...attempt, headers: contentType === undefined ? headers : { ...headers, 'content-type': contentType } };
    };

    it('refuses JSON that does not parse, whatever the content type', async () => {
      const broken = routeAndSample((r) => r.hasBody).chain((picked) => brokenJson(JSON.stringify(picked.sample.body)).map((payload) => ({ ...picked, payload })));
      await fc.assert(fc.asyncProperty(broken, fc.constantFrom(...contentTypes), async ({ target, sample, payload }, contentType) => {
        expectSafe(target, await send(withContentType(attemptFor(target, sample, { payload }), contentType)), true);
      }), runs(120));
    });

    it('answers mangled bodies and odd content types with 2xx or a clean 4xx', async () => {
      const mangled = routeAndSample((r) => r.hasBody).chain((picked) => mangledJson(JSON.stringify(picked.sample.body)).map((payload) => ({ ...picked, payload })));
      await fc.assert(fc.asyncProperty(mangled, fc.constantFrom(...contentTypes), async ({ target, sample, payload }, contentType) => {
        expectSafe(target, await send(withContentType(attemptFor(target, sample, { payload }), contentType)), false);
      }), runs(120));
    });

    it('refuses path ids that are not UUIDs, and answers unknown ones with a clean 4xx', async () => {
      const badIds = routeAndSample((r) => r.params.length > 0).chain((picked) =>
        idJunk(Object.values(picked.sample.params ?? {})[0] ?? crypto.randomUUID()).map((id) => ({ ...picked, id })));
      await fc.assert(fc.asyncProperty(badIds, async ({ target, sample, id }) => {
        const params = Object.fromEntries(target.params.map((name) => [name, id]));
        expectSafe(target, await send(attemptFor(target, sample, { params })), !uuidPattern.test(id));
      }), runs(200));
    });

    it('answers absurd query strings on every route with 2xx or a clean 4xx', async () => {
      await fc.assert(fc.asyncProperty(routeAndSample(), queryJunk, async ({ target, sample }, query) => {
        expectSafe(target, await send(attemptFor(target, sample, { query })), false);
      }), runs(200));
    });

    it('refuses garbage and tampered bearer tokens on every route that needs a caller', async () => {
      const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 });
      const garbageHeader = fc.oneof(printable.map((t) => `Bearer ${t}`), printable, fc.nat().map((n) => `Bearer ${tamper(app.adminToken, n)}`));
      await fc.assert(fc.asyncProperty(routeAndSample((r) => r.secured), garbageHeader, async ({ target, sample }, authorization) => {
        const outcome = await send(attemptFor(target, sample, { headers: { authorization } }));
        expectSafe(target, outcome, true);
        expect(outcome.status).toBe(401);
      }), runs(150));
    });
  });

  describe('examples', () => {
    const expectRejected = (key: string, outcome: Outcome, status: number, code: string) => {
      expectSafe(route(key), outcome, true);
      expect(outcome.status, outcome.text).toBe(status);
      expect(outcome.body.error.code).toBe(code);
    };
    const holds = 'POST /api/v1/holds';
    const events = 'POST /api/v1/events';
    const holdBody = () => sampleOf(holds).body as Record<string, unknown>;
    const eventBody = () => sampleOf(events).body as Record<string, any>;

    describe('malformed JSON', () => {
      it('refuses a truncated body with invalid_json', async () => {
        const text = JSON.stringify(holdBody());
        expectRejected(holds, await send(attemptFor(route(holds), sampleOf(holds), { payload: text.slice(0, -3) })), 400, 'invalid_json');
      });

      it('refuses trailing garbage after the JSON value with invalid_json', async () => {
        const text = JSON.stringify(holdBody());
        expectRejected(holds, await send(attemptFor(route(holds), sampleOf(holds), { payload: `${text}}garbage` })), 400, 'invalid_json');
      });

      it('refuses an empty body sent as JSON with invalid_json', async () => {
        expectRejected(holds, await send(attemptFor(route(holds), sampleOf(holds), { payload: '' })), 400, 'invalid_json');
      });

      it('refuses a body of an unsupported content type with 415', async () => {
        const outcome = await send(attemptFor(route(holds), sampleOf(holds), { headers: { 'content-type': 'application/xml' } }));
        expectRejected(holds, outcome, 415, 'unsupported_media_type');
      });

      it('refuses a JSON body sent as text/plain as not valid', async () => {
        const outcome = await send(attemptFor(route(holds), sampleOf(holds), { headers: { 'content-type': 'text/plain' } }));
        expectRejected(holds, outcome, 400, 'validation_failed');
      });

      it('refuses prototype pollution (__proto__ keys) with a 400', async () => {
        const payload = JSON.stringify(holdBody()).replace(/^\{/, '{"__proto__":{"role":"admin"},');
        const outcome = await send(attemptFor(route(holds), sampleOf(holds), { payload }));
        expectSafe(route(holds), outcome, true);
        expect(outcome.status).toBe(400);
      });

      it('refuses malformed JSON over a real socket too', async () => {
        const before = await snapshotState(app.db);
        const response = await fetch(`${app.url}/api/v1/holds`, { method: 'POST', headers: { authorization: `Bearer ${buyer.token}`, 'content-type': 'application/json' }, body: '{"eventId":' });
        expect(response.status).toBe(400);
        expect(((await response.json()) as any).error.code).toBe('invalid_json');
        expect(await snapshotState(app.db)).toEqual(before);
      });
    });

    describe('wrong types and unknown fields', () => {
      it('refuses a quantity sent as a string (bodies are not coerced)', async () => {
        const outcome = await send(attemptFor(route(holds), sampleOf(holds), { body: { ...holdBody(), quantity: '2' } }));
        expectRejected(holds, outcome, 400, 'validation_failed');
        expect(outcome.body.error.details.fields).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', field: '/quantity' })]));
      });

      it('refuses every field of an event replaced by a value of the wrong type', async () => {
        for (const [field, value] of Object.entries({ title: 42, venueId: 7, startsAt: true, currency: ['EUR'], sections: {}, maxTicketsPerOrder: '8', status: 1 })) {
          expectRejected(events, await send(attemptFor(route(events), sampleOf(events), { body: { ...eventBody(), [field]: value } })), 400, 'validation_failed');
        }
      });

      it('refuses an unknown field and names it', async () => {
        const outcome = await send(attemptFor(route(holds), sampleOf(holds), { body: { ...holdBody(), price: 0 } }));
        expectRejected(holds, outcome, 400, 'validation_failed');
        expect(outcome.body.error.details.fields).toContainEqual({ in: 'body', field: '/price', message: 'is not an accepted field' });
      });

      it('refuses an unknown field in a nested object (a section) of an event', async () => {
        const body = eventBody();
        const outcome = await send(attemptFor(route(events), sampleOf(events), { body: { ...body, sections: [{ ...body.sections[0], available: 1e9 }] } }));
        expectRejected(events, outcome, 400, 'validation_failed');
      });

      it('refuses a role slipped into registration', async () => {
        const key = 'POST /api/v1/auth/register';
        const outcome = await send(attemptFor(route(key), sampleOf(key), { body: { email: 'sneaky@example.test', password: 'correct horse', name: 'S', role: 'admin' } }));
        expectRejected(key, outcome, 400, 'validation_failed');
      });

      it('refuses deeply nested junk in place of a field', async () => {
        const depth = 20_000;
        for (const [open, close] of [['[', ']'], ['{"a":', '}']]) {
          const payload = JSON.stringify({ ...holdBody(), quantity: 0 }).replace('0}', `${open!.repeat(depth)}1${close!.repeat(depth)}}`);
          expectRejected(holds, await send(attemptFor(route(holds), sampleOf(holds), { payload })), 400, 'validation_failed');
        }
      });

      it('refuses a body that is only deep nesting', async () => {
        const payload = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
        expectSafe(route(holds), await send(attemptFor(route(holds), sampleOf(holds), { payload })), true);
      });
    });

    describe('huge bodies', () => {
      it(`refuses a body over ${limits.bodyBytesMax} bytes with 413 on every route that takes one`, async () => {
        for (const target of routes.filter((r) => r.hasBody)) {
          const sample = samplesFor(target)[0]!;
          const payload = JSON.stringify({ ...(sample.body as object), padding: 'x'.repeat(limits.bodyBytesMax) });
          const outcome = await send(attemptFor(target, sample, { payload }));
          expectSafe(target, outcome, true);
          expect([outcome.status, outcome.body.error.code], target.key).toEqual([413, 'body_too_large']);
        }
      });

      it('refuses a huge body over a real socket with 413', async () => {
        const before = await snapshotState(app.db);
        const response = await fetch(`${app.url}/api/v1/holds`, {
          method: 'POST',
          headers: { authorization: `Bearer ${buyer.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ...holdBody(), padding: 'x'.repeat(limits.bodyBytesMax * 2) }),
        });
        expect(response.status).toBe(413);
        expect(((await response.json()) as any).error.code).toBe('body_too_large');
        expect(await snapshotState(app.db)).toEqual(before);
      });
    });

    describe('quantities and prices', () => {
      it('refuses negative, zero, fractional and huge hold quantities', async () => {
        for (const quantity of [-1, 0, 0.5, 1.5, limits.ticketsPerOrderMax + 1, 2 ** 31, 1e21, -0.0001]) {
          expectRejected(holds, await send(attemptFor(route(holds), sampleOf(holds), { body: { ...holdBody(), quantity } })), 400, 'validation_failed');
        }
      });

      it('refuses a quantity over the event limit with invalid_quantity and takes nothing', async () => {
        expectRejected(holds, await send(attemptFor(route(holds), sampleOf(holds), { body: { ...holdBody(), quantity: 9 } })), 400, 'invalid_quantity');
      });

      it('refuses negative, fractional and huge prices and capacities', async () => {
        const body = eventBody();
        const section = body.sections[0];
        for (const bad of [{ price: -1 }, { price: 0.5 }, { price: limits.priceMinorMax + 1 }, { price: 2 ** 31 }, { capacity: 0 }, { capacity: -5 }, { capacity: 1.5 }, { capacity: limits.sectionCapacityMax + 1 }]) {
          expectRejected(events, await send(attemptFor(route(events), sampleOf(events), { body: { ...body, sections: [{ ...section, ...bad }] } })), 400, 'validation_failed');
        }
      });

      it('refuses absurd per-order and per-buyer limits and hold times on an event', async () => {
        for (const bad of [{ maxTicketsPerOrder: 0 }, { maxTicketsPerOrder: limits.ticketsPerOrderMax + 1 }, { maxTicketsPerUser: 0 }, { holdTtlSeconds: 0 }, { holdTtlSeconds: limits.holdTtlSecondsMax + 1 }]) {
          expectRejected(events, await send(attemptFor(route(events), sampleOf(events), { body: { ...eventBody(), ...bad } })), 400, 'validation_failed');
        }
      });

      it('bounds every number a request may carry by what its column stores (integer, real)', () => {
        const spec = app.server.app.swagger() as OpenApiDocument;
        const numbers = Object.entries(spec.paths).flatMap(([path, operations]) => Object.entries(operations).flatMap(([method, operation]) => [
          ...numbersIn(operation.requestBody?.content?.['application/json']?.schema, `${method} ${path} body`, spec),
          ...(operation.parameters ?? []).flatMap((p) => numbersIn(p.schema, `${method} ${path} ${p.in} ${p.name}`, spec)),
        ]));
        expect(numbers.length).toBeGreaterThan(20);
        // Integers go to integer (int4) columns, numbers to real (float4) or double precision ones.
        const unstorable = numbers.filter(({ schema }) => {
          const [low, high] = schema.type === 'integer' ? [-(2 ** 31), 2 ** 31 - 1] : [-3.4e38, 3.4e38];
          return !(schema.minimum !== undefined && schema.maximum !== undefined && schema.minimum >= low && schema.maximum <= high);
        });
        expect(unstorable.map((n) => n.at)).toEqual([]);
      });

      it('holds and sells the most tickets an order allows at the highest price allowed', async () => {
        const event = await app.createEvent({ maxTicketsPerOrder: limits.ticketsPerOrderMax, sections: [{ name: 'Gold', price: limits.priceMinorMax, capacity: limits.ticketsPerOrderMax }] });
        const held = await send(attemptFor(route(holds), sampleOf(holds), { body: { eventId: event.id, sectionId: event.sections[0].id, quantity: limits.ticketsPerOrderMax } }));
        expectSafe(route(holds), held, false);
        expect(held.status, held.text).toBe(201);
        expect(held.body.total).toBe(limits.ticketsPerOrderMax * limits.priceMinorMax);
        const paid = await app.request('POST', `/api/v1/holds/${held.body.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } });
        expect([paid.status, paid.body.total]).toEqual([201, limits.ticketsPerOrderMax * limits.priceMinorMax]);
      });

      it('stores seat coordinates as the nearest real, and ones too close to zero for a real as 0', async () => {
        const seats = [{ x: -5.336e-74, y: 1e-40 }, { x: Number.MIN_VALUE, y: -1e-300 }, { x: 0.1, y: -99_999.5 }];
        const created = await send(attemptFor(route(events), sampleOf(events), { body: { ...eventBody(), sections: [{ name: 'Tiny', price: 100, rows: [{ label: 'A', seats }] }] } }));
        expectSafe(route(events), created, false);
        expect(created.status, created.text).toBe(201);
        const stored = (await app.request('GET', `/api/v1/events/${created.body.id}/seats`)).body.map((s: { x: number; y: number }) => [s.x, s.y]);
        expect(stored).toEqual([[0, 0], [0, 0], [0.1, -99_999.5]]);
      });

      it('refuses more seats in one event than it may have, before laying them out', async () => {
        const rows = Array.from({ length: limits.rowsPerSectionMax }, (_, i) => ({ label: `R${i}`, seats: limits.seatsPerRowMax }));
        const sections = Array.from({ length: 45 }, (_, i) => ({ name: `S${i}`, price: 100, rows }));
        const outcome = await send(attemptFor(route(events), sampleOf(events), { body: { ...eventBody(), sections } }));
        expectRejected(events, outcome, 400, 'validation_failed');
      });
    });

    describe('bad UUIDs', () => {
      it('refuses a path id that is not a UUID with validation_failed on every route that takes one', async () => {
        for (const target of routes.filter((r) => r.params.length > 0)) {
          const sample = samplesFor(target)[0]!;
          for (const id of ['not-a-uuid', '1', "1' or '1'='1", '00000000-0000-0000-0000-00000000000g']) {
            const outcome = await send(attemptFor(target, sample, { params: Object.fromEntries(target.params.map((p) => [p, id])) }));
            expectSafe(target, outcome, true);
            expect([outcome.status, outcome.body.error.code], `${target.key} ${id}`).toEqual([400, 'validation_failed']);
          }
        }
      });

      it('refuses a path that is not valid URL encoding with bad_request, and an id longer than the router takes with a 4xx', async () => {
        const headers = { authorization: `Bearer ${buyer.token}` };
        const badEncoding = await send({ method: 'GET', url: '/api/v1/holds/%E0%A4%A', headers });
        expectRejected('GET /api/v1/holds/{id}', badEncoding, 400, 'bad_request');
        // Too long for the router: no API route matches, so the answer is a JSON 404 (or the router's 400).
        const tooLong = await send({ method: 'GET', url: `/api/v1/holds/${'x'.repeat(500)}`, headers });
        expectSafe(route('GET /api/v1/holds/{id}'), tooLong, true);
        expect([400, 404]).toContain(tooLong.status);
      });

      it('answers a method a path does not serve with not_found', async () => {
        for (const target of routes.filter((r) => !routes.some((other) => other.path === r.path && other.method === 'PUT'))) {
          const outcome = await send({ ...attemptFor(target, samplesFor(target)[0]!), method: 'PUT' });
          expectSafe(target, outcome, true);
          expect([outcome.status, outcome.body.error.code], target.key).toEqual([404, 'not_found']);
        }
      });

      it('answers an unknown UUID with not_found', async () => {
        const key = 'GET /api/v1/holds/{id}';
        expectRejected(key, await send(attemptFor(route(key), sampleOf(key), { params: { id: crypto.randomUUID() } })), 404, 'not_found');
      });

      it('refuses ids in a body that are not UUIDs', async () => {
        for (const bad of [{ eventId: 'x' }, { sectionId: '' }, { eventId: '00000000-0000-0000-0000-000000000000x' }]) {
          expectRejected(holds, await send(attemptFor(route(holds), sampleOf(holds), { body: { ...holdBody(), ...bad } })), 400, 'validation_failed');
        }
        const seatHold = samples[holds]![1]!;
        expectRejected(holds, await send(attemptFor(route(holds), seatHold, { body: { ...(seatHold.body as object), seatIds: ['nope'] } })), 400, 'validation_failed');
      });
    });

    describe('absurd query strings', () => {
      const list = 'GET /api/v1/events';
      for (const [name, value] of [['limit', '-1'], ['limit', '0'], ['limit', '101'], ['limit', 'ten'], ['from', 'not-a-date'], ['to', 'yesterday'], ['surprise', '1']]) {
        it(`refuses ${name}=${value} with validation_failed`, async () => {
          expectRejected(list, await send(attemptFor(route(list), { caller: 'none' }, { query: [[name!, value!]] })), 400, 'validation_failed');
        });
      }

      it('still accepts the cursors it gives out', async () => {
        await app.createEvent();
        await app.createEvent();
        const first = await app.request('GET', '/api/v1/events?limit=1');
        expect(first.body.nextCursor).toEqual(expect.any(String));
        const next = await app.request('GET', `/api/v1/events?limit=1&cursor=${first.body.nextCursor}`);
        expect(next.status).toBe(200);
        expect(next.body.items[0].id).not.toBe(first.body.items[0].id);
      });

      it('refuses a cursor it never gave out with validation_failed', async () => {
        const forged = (startsAt: string, id: string) => Buffer.from(JSON.stringify([startsAt, id])).toString('base64url');
        for (const cursor of ['garbage', forged('2024-01-01T00:00:00.000Z', '------------------------------------'), forged('1', crypto.randomUUID()), forged('0000-01-01T00:00:00.000Z', crypto.randomUUID()), forged('-000001-01-01T00:00:00.000Z', crypto.randomUUID())]) {
          expectRejected(list, await send(attemptFor(route(list), { caller: 'none' }, { query: [['cursor', cursor]] })), 400, 'validation_failed');
        }
      });

      it('refuses dates PostgreSQL cannot store (year 0, offsets past ±15:59) with validation_failed', async () => {
        for (const from of ['0000-01-01T00:00:00Z', '2024-01-01T00:00:00+16:00', '2024-01-01T00:00:00-23:59']) {
          expectRejected(list, await send(attemptFor(route(list), { caller: 'none' }, { query: [['from', from]] })), 400, 'validation_failed');
        }
        expectRejected(events, await send(attemptFor(route(events), sampleOf(events), { body: { ...eventBody(), startsAt: '0000-01-01T00:00:00Z' } })), 400, 'validation_failed');
      });

      it('refuses a leap second (23:59:60), which PostgreSQL rolls over and JavaScript cannot read, with validation_failed', async () => {
        const patch = 'PATCH /api/v1/events/{id}';
        const leap = '2030-06-30T23:59:60Z';
        // Past the event's end: unreadable in JavaScript, the start escaped the check that an event ends after it starts.
        expectRejected(patch, await send(attemptFor(route(patch), sampleOf(patch), { body: { startsAt: leap } })), 400, 'validation_failed');
        expectRejected(events, await send(attemptFor(route(events), sampleOf(events), { body: { ...eventBody(), startsAt: leap } })), 400, 'validation_failed');
        expectRejected(list, await send(attemptFor(route(list), { caller: 'none' }, { query: [['from', leap]] })), 400, 'validation_failed');
      });

      it('refuses text with a NUL character with validation_failed', async () => {
        expectRejected(list, await send(attemptFor(route(list), { caller: 'none' }, { query: [['q', 'a\u0000b']] })), 400, 'validation_failed');
        const venues = 'POST /api/v1/venues';
        expectRejected(venues, await send(attemptFor(route(venues), sampleOf(venues), { body: { name: 'Hall\u0000', city: 'Porto' } })), 400, 'validation_failed');
      });
    });

    describe('tokens', () => {
      const me = 'GET /api/v1/me';
      const claims = () => ({ sub: buyer.userId, role: 'buyer', typ: 'access' });
      const signed = (options: Record<string, unknown>, payload: object = claims()) =>
        createSigner({ key: app.server.context.config.jwtSecret, algorithm: 'HS256', iss: 'onsale', aud: 'onsale-api', expiresIn: 60_000, ...options } as never)(payload);
      const badTokens = () => ({
        'a forged token (wrong secret)': signed({ key: 'not-the-secret-not-the-secret-not-the-secret' }, { ...claims(), role: 'admin' }),
        'an alg:none token': createSigner({ algorithm: 'none', iss: 'onsale', aud: 'onsale-api', expiresIn: 60_000 })({ ...claims(), role: 'admin' }),
        'a tampered payload (role: admin)': withClaims(buyer.token, { role: 'admin' }),
        'an expired token': signed({ clockTimestamp: Date.now() - 3_600_000 }),
        'a token for another audience': signed({ aud: 'someone-else' }),
        'a refresh token': buyer.refreshToken,
      });

      it('refuses a request without a token with unauthorized', async () => {
        expectRejected(me, await send({ method: 'GET', url: '/api/v1/me' }), 401, 'unauthorized');
      });

      for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'bearer x.y.z', 'Bearer a b', `Bearer ${'a'.repeat(5000)}`]) {
        it(`refuses the malformed header "${header.slice(0, 20)}" with invalid_token`, async () => {
          expectRejected(me, await send({ method: 'GET', url: '/api/v1/me', headers: { authorization: header } }), 401, 'invalid_token');
        });
      }

      for (const name of ['a forged token (wrong secret)', 'an alg:none token', 'a tampered payload (role: admin)', 'an expired token', 'a token for another audience', 'a refresh token']) {
        it(`refuses ${name} with invalid_token on every route that needs a caller`, async () => {
          const token = badTokens()[name as keyof ReturnType<typeof badTokens>];
          for (const target of routes.filter((r) => r.secured)) {
            const outcome = await send(attemptFor(target, samplesFor(target)[0]!, { headers: { authorization: `Bearer ${token}` } }));
            expectSafe(target, outcome, true);
            expect([outcome.status, outcome.body.error.code], target.key).toEqual([401, 'invalid_token']);
          }
        });
      }

      it('refuses a bad token on public routes too rather than ignoring it', async () => {
        const key = 'GET /api/v1/events/{id}';
        const outcome = await send(attemptFor(route(key), sampleOf(key), { headers: { authorization: `Bearer ${badTokens()['an expired token']}` } }));
        expectRejected(key, outcome, 401, 'invalid_token');
      });

      it('refuses a buyer on every organizer route: forbidden, or not_found for an organization\'s resource (issue 14: it does not exist for an outsider)', async () => {
        const adminOnly = Object.entries(samples).filter(([, list]) => list[0]!.caller === 'admin').map(([key]) => key);
        expect(adminOnly.length).toBeGreaterThanOrEqual(4);
        for (const key of adminOnly) {
          const outcome = await send(attemptFor(route(key), sampleOf(key), { headers: { authorization: `Bearer ${buyer.token}` } }));
          if (outcome.status === 404) expectRejected(key, outcome, 404, 'not_found');
          else expectRejected(key, outcome, 403, 'forbidden');
        }
      });
    });
  });
});

interface JsonSchema {
  type?: string;
  minimum?: number;
  maximum?: number;
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; parameters?: { in: string; name: string; schema?: JsonSchema }[] }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** Every integer or number field of a request schema, with where it is. */
function numbersIn(schema: JsonSchema | undefined, at: string, spec: OpenApiDocument): { at: string; schema: JsonSchema }[] {
  if (!schema) return [];
  if (schema.$ref) return numbersIn(spec.components?.schemas?.[schema.$ref.split('/').at(-1)!], at, spec);
  const own = schema.type === 'integer' || schema.type === 'number' ? [{ at, schema }] : [];
  return [
    ...own,
    ...Object.entries(schema.properties ?? {}).flatMap(([name, child]) => numbersIn(child, `${at}/${name}`, spec)),
    ...numbersIn(schema.items, `${at}/*`, spec),
    ...[...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].flatMap((child) => numbersIn(child, at, spec)),
  ];
}

/** Rewrites a token's claims but keeps its signature, as an attacker editing a JWT would. */
function withClaims(token: string, changes: object): string {
  const [header, payload, signature] = token.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), ...changes };
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

/**
 * Changes one character of a token. The last character of each segment is left alone: some of its
 * bits are padding, so changing it may not change the bytes it stands for.
 */
function tamper(token: string, n: number): string {
  const positions = [...token].map((c, i) => i).filter((i) => token[i] !== '.' && token[i + 1] !== '.' && i !== token.length - 1);
  const at = positions[n % positions.length]!;
  const replacement = token[at] === 'A' ? 'B' : 'A';
  return token.slice(0, at) + replacement + token.slice(at + 1);
}

/** Valid requests, one or more per route, with real ids; each mutation starts from one of these. */
async function buildSamples(app: TestApp, buyer: Buyer): Promise<Record<string, Sample[]>> {
  const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString();
  // The samples are several holds of one buyer: no per-buyer caps on their event.
  const event = await app.createEvent({ holdTtlSeconds: limits.holdTtlSecondsMax, maxHoldsPerUser: null, maxTicketsPerUser: null, sections: [{ name: 'Floor', price: 5000, capacity: 1000 }, { name: 'Stalls', price: 7000, rows: [{ label: 'A', seats: 50 }] }] });
  // PATCH gets an event of its own: a valid mutation may cancel it or shorten its hold time. It ends
  // too, so that a changed start meets the check that an event ends after it starts.
  const patchable = await app.createEvent({ status: 'draft', endsAt: new Date(Date.now() + 8 * 86_400_000).toISOString() });
  const [seatA, seatB, seatC] = await seatIds(app, event.id);
  const hold = async (quantity: number) =>
    (await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity } })).body.id as string;
  const checkout = async (holdId: string) =>
    (await app.request('POST', `/api/v1/holds/${holdId}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } })).body.id as string;
  const [viewedHold, releasableHold, payableHold] = [await hold(1), await hold(1), await hold(2)];
  const [order, cancellableOrder] = [await checkout(await hold(1)), await checkout(await hold(1))];
  const partlyCancellable = (await app.request('GET', `/api/v1/orders/${await checkout(await hold(3))}`, { token: buyer.token })).body;
  const venueId = event.venueId as string;
  const team = await teamSamples(app);
  return {
    ...team.samples,
    'GET /healthz': [{ caller: 'none' }],
    'GET /readyz': [{ caller: 'none' }],
    'POST /api/v1/auth/register': [{ caller: 'none', body: { email: 'fuzz@example.test', password: 'correct horse', name: 'Fuzz' } }],
    'POST /api/v1/auth/login': [{ caller: 'none', body: { email: buyer.email, password: 'correct horse' } }],
    'POST /api/v1/auth/refresh': [{ caller: 'none', body: { refreshToken: buyer.refreshToken } }],
    'POST /api/v1/auth/password-reset': [{ caller: 'none', body: { email: buyer.email } }],
    // No link carries this token: every case is refused (400), the buyer's password stays.
    'POST /api/v1/auth/password-reset/confirm': [{ caller: 'none', body: { token: 'no-link-carries-this-token', password: 'correct horse' } }],
    'GET /api/v1/me': [{ caller: 'buyer' }],
    'POST /api/v1/venues': [{ caller: 'admin', body: { name: 'Fuzz Hall', city: 'Lisbon', address: 'Rua Augusta 1', latitude: 38.71, longitude: -9.14 } }],
    'GET /api/v1/venues': [{ caller: 'none' }, { caller: 'none', query: { organizationId: team.organizationId } }],
    'GET /api/v1/venues/{id}': [{ caller: 'none', params: { id: venueId } }],
    'POST /api/v1/events': [
      {
        caller: 'admin',
        body: {
          title: 'Fuzz Night', description: 'Loud.', category: 'music', venueId, startsAt: inAWeek, endsAt: new Date(Date.now() + 8 * 86_400_000).toISOString(),
          currency: 'EUR', status: 'published', maxTicketsPerOrder: 8, maxTicketsPerUser: 20, holdTtlSeconds: 600,
          sections: [{ name: 'Floor', price: 5000, capacity: 100 }, { name: 'Stalls', price: 7000, rows: [{ label: 'A', seats: 3 }, { label: 'B', seats: [{ number: 1, x: 0, y: 1 }, { label: 'B-2', x: 1, y: 1 }] }] }],
        },
      },
    ],
    'PATCH /api/v1/events/{id}': [{ caller: 'admin', params: { id: patchable.id }, body: { title: 'Renamed', description: 'Now louder.', maxTicketsPerOrder: 6, maxTicketsPerUser: null, startsAt: inAWeek } }],
    'GET /api/v1/events': [{ caller: 'none', query: { q: 'Test', city: 'Porto', from: new Date().toISOString(), to: inAWeek, limit: '5' } }],
    'GET /api/v1/events/{id}': [{ caller: 'none', params: { id: event.id } }],
    'GET /api/v1/events/{id}/seats': [{ caller: 'none', params: { id: event.id } }],
    'GET /api/v1/events/{id}/stats': [{ caller: 'admin', params: { id: event.id } }],
    'POST /api/v1/holds': [
      { caller: 'buyer', body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 2 } },
      { caller: 'buyer', body: { eventId: event.id, seatIds: [seatA, seatB] } },
    ],
    'GET /api/v1/holds/{id}': [{ caller: 'buyer', params: { id: viewedHold } }],
    'DELETE /api/v1/holds/{id}': [{ caller: 'buyer', params: { id: releasableHold } }],
    'POST /api/v1/holds/{id}/checkout': [{ caller: 'buyer', params: { id: payableHold }, body: { payment: { cardNumber: '4242424242424242' } } }],
    'GET /api/v1/orders': [{ caller: 'buyer' }],
    'GET /api/v1/orders/{id}': [{ caller: 'buyer', params: { id: order } }],
    'POST /api/v1/orders/{id}/cancel': [
      { caller: 'buyer', params: { id: cancellableOrder }, body: {} },
      // Some tickets of an order (issue 14), by the organizer.
      { caller: 'admin', params: { id: partlyCancellable.id }, body: { ticketIds: [partlyCancellable.tickets[0].id] } },
    ],
    // The order desk (issue 14).
    'GET /api/v1/events/{id}/orders': [{ caller: 'admin', params: { id: event.id }, query: { q: buyer.email.slice(0, 12), status: 'confirmed', limit: '10' } }],
    'GET /api/v1/events/{id}/orders.csv': [{ caller: 'admin', params: { id: event.id } }],
    'POST /api/v1/events/{id}/orders': [
      { caller: 'admin', params: { id: event.id }, body: { email: 'guest@example.test', sectionId: event.sections[0].id, quantity: 2, reason: 'Press' } },
      { caller: 'admin', params: { id: event.id }, body: { email: buyer.email, sectionId: event.sections[1].id, seatIds: [seatC], reason: 'Crew' } },
    ],
  };
}

/** The routes issue 14 added: each must have a sample of its own below, not only made-up ids. */
const issue14Routes = [
  'POST /api/v1/organizations', 'GET /api/v1/organizations', 'GET /api/v1/organizations/{id}/members', 'POST /api/v1/organizations/{id}/members',
  'PATCH /api/v1/organizations/{id}/members/{userId}', 'DELETE /api/v1/organizations/{id}/members/{userId}',
  'DELETE /api/v1/organizations/{id}/invitations/{invitationId}', 'POST /api/v1/invitations/accept',
  'POST /api/v1/organizations/{id}/api-keys', 'GET /api/v1/organizations/{id}/api-keys', 'DELETE /api/v1/organizations/{id}/api-keys/{keyId}',
  'GET /api/v1/events/{id}/orders', 'GET /api/v1/events/{id}/orders.csv', 'POST /api/v1/events/{id}/orders', 'POST /api/v1/orders/{id}/cancel',
];

/**
 * An organization made by the platform admin (who then leaves it to its owner) with a member whose role can change, one to remove, an
 * invitation to withdraw and one (its emailed link) to accept, and an API key to revoke.
 */
async function teamSamples(app: TestApp): Promise<{ organizationId: string; samples: Record<string, Sample[]> }> {
  const admin = app.adminToken;
  const organizationId = (await app.request('POST', '/api/v1/organizations', { token: admin, body: { name: 'Fuzz Co' } })).body.id as string;
  const members = `/api/v1/organizations/${organizationId}/members`;
  const [owner, changing, leaving, staff] = await app.registerBuyers(4);
  await app.request('POST', members, { token: admin, body: { email: owner!.email, role: 'owner' } });
  for (const account of [changing!, leaving!]) await app.request('POST', members, { token: admin, body: { email: account.email, role: 'door' } });
  // The platform admin may everything here anyway; as a member of one organization only it needs
  // no organizationId in the other samples' POST /venues and /events.
  const adminId = (await app.request('GET', '/api/v1/me', { token: admin })).body.id as string;
  await app.request('DELETE', `${members}/${adminId}`, { token: admin });
  const invite = async (email: string) => (await app.request('POST', members, { token: admin, body: { email, role: 'finance' } })).body.id as string;
  const withdrawn = await invite('withdrawn@example.test');
  await invite('joining@example.test');
  const { rows: [mail] } = await waitFor(
    () => app.db.query<{ body: string }>("select body from dev_inbox where to_address = 'joining@example.test'"),
    (found) => found.rows.length > 0,
  );
  const token = /\/join#([A-Za-z0-9_-]+)/.exec(mail!.body)![1]!;
  const keyId = (await app.request('POST', `/api/v1/organizations/${organizationId}/api-keys`, { token: admin, body: { name: 'Spare', role: 'door' } })).body.id as string;
  const org = { id: organizationId };
  return {
    organizationId,
    samples: {
      'POST /api/v1/organizations': [{ caller: 'organizer', body: { name: 'Fuzz Two' } }],
      'GET /api/v1/organizations': [{ caller: 'buyer' }],
      'GET /api/v1/organizations/{id}/members': [{ caller: 'admin', params: org }],
      'POST /api/v1/organizations/{id}/members': [
        { caller: 'admin', params: org, body: { email: staff!.email, role: 'box_office' } },
        { caller: 'admin', params: org, body: { email: 'newcomer@example.test', role: 'manager' } },
      ],
      'PATCH /api/v1/organizations/{id}/members/{userId}': [{ caller: 'admin', params: { ...org, userId: changing!.userId }, body: { role: 'finance' } }],
      'DELETE /api/v1/organizations/{id}/members/{userId}': [{ caller: 'admin', params: { ...org, userId: leaving!.userId } }],
      'DELETE /api/v1/organizations/{id}/invitations/{invitationId}': [{ caller: 'admin', params: { ...org, invitationId: withdrawn } }],
      'POST /api/v1/invitations/accept': [{ caller: 'none', body: { token, name: 'Joiner', password: 'correct horse' } }],
      'POST /api/v1/organizations/{id}/api-keys': [{ caller: 'admin', params: org, body: { name: 'Scanner', role: 'door' } }],
      'GET /api/v1/organizations/{id}/api-keys': [{ caller: 'admin', params: org }],
      'DELETE /api/v1/organizations/{id}/api-keys/{keyId}': [{ caller: 'admin', params: { ...org, keyId } }],
    },
  };
}
