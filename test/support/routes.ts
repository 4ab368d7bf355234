import type { Database } from '../../src/db/database.js';
import type { TestApp } from './app.js';

/** One operation of the live app, as its OpenAPI document describes it. */
export interface LiveRoute {
  /** `POST /api/v1/holds/{id}/checkout` */
  key: string;
  method: string;
  /** OpenAPI path template, params as `{name}`. */
  path: string;
  params: string[];
  hasBody: boolean;
  hasQuery: boolean;
  /** The route declares bearer auth (it refuses anonymous callers). */
  secured: boolean;
}

interface OpenApiOperation {
  requestBody?: unknown;
  parameters?: { in: string; name: string }[];
  security?: unknown[];
}

/**
 * Every route the app serves, read from its own OpenAPI document (built from the route table by
 * @fastify/swagger), so a route added later is covered without editing the tests that use this.
 * Routes marked `hide: true` (only /metrics) are not listed.
 */
export function liveRoutes(app: TestApp): LiveRoute[] {
  const spec = app.server.app.swagger() as { paths: Record<string, Record<string, OpenApiOperation>> };
  return Object.entries(spec.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      params: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
      hasBody: operation.requestBody !== undefined,
      hasQuery: (operation.parameters ?? []).some((p) => p.in === 'query'),
      secured: (operation.security ?? []).length > 0,
    })),
  );
}

/** Fills a path template; values are URL-encoded, so junk stays inside its segment. */
export const fillPath = (path: string, params: Record<string, string>): string =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));

/** Every table a request could write to. */
export const stateTables = [
  'users', 'refresh_tokens', 'venues', 'events', 'sections', 'seats', 'holds', 'hold_items', 'orders', 'payments', 'tickets', 'event_buyers',
  'checkin_devices', 'checkins', 'checkin_cursors', 'offline_scans', 'password_resets',
  // Issue 14: organizations, their teams and keys, and the partial refunds owed.
  'organizations', 'memberships', 'invitations', 'api_keys', 'refunds',
  // Issue 15: ticket types and their codes.
  'ticket_types', 'event_codes',
] as const;

const stateSql = `select ${stateTables
  .map((t) => `(select count(*) || ' rows ' || coalesce(md5(string_agg(x::text, ',' order by x::text)), '') from ${t} x) as ${t}`)
  .join(', ')}`;

/**
 * Row count and a digest of every row of every table: equal snapshots mean nothing was inserted,
 * deleted or updated in between (row counts alone would miss a half-applied update).
 */
export async function snapshotState(db: Database): Promise<Record<string, string>> {
  return (await db.query<Record<string, string>>(stateSql)).rows[0]!;
}
