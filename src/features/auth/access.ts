import type { Queryable } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';

/**
 * Who may do what in an organization (issue 14). The one decision is `decide`; `createAccess` finds
 * the facts it needs (which organization a resource belongs to, the caller's role there) in one query.
 */

/** Migration 013's organization, which every venue and event made before it belongs to. */
export const defaultOrganizationId = '00000000-0000-4000-8000-000000000001';

export const orgRoles = ['owner', 'manager', 'box_office', 'door', 'finance'] as const;
export type OrgRole = (typeof orgRoles)[number];

/** What a route asks for. Each is granted to the roles listed in `grantedTo`. */
export type Permission =
  /** Drafts, the organizer's event list: anyone on the team. */
  | 'events.view'
  /** Venues, events, sale settings and live controls, webhooks, check-in devices. */
  | 'events.manage'
  /** Members, roles, invitations, API keys. */
  | 'organization.manage'
  | 'orders.read'
  | 'orders.create'
  | 'orders.refund'
  | 'orders.export'
  /** The dashboard's figures: stock, sales over time and revenue. */
  | 'revenue.read'
  | 'checkin.scan'
  | 'checkin.devices';

/** The role table of issue 14. The owner may everything; the rest as the issue lists. */
export const grantedTo: Readonly<Record<Permission, readonly OrgRole[]>> = {
  'events.view': orgRoles,
  'events.manage': ['owner', 'manager'],
  'organization.manage': ['owner'],
  'orders.read': ['owner', 'manager', 'box_office', 'finance'],
  'orders.create': ['owner', 'manager', 'box_office'],
  'orders.refund': ['owner', 'manager'],
  'orders.export': ['owner', 'manager', 'finance'],
  'revenue.read': ['owner', 'manager', 'finance'],
  'checkin.scan': ['owner', 'manager', 'box_office', 'door'],
  'checkin.devices': ['owner', 'manager', 'door'],
};

/** An authenticated caller of an organizer route: a person (access token) or an organization's API key. */
export type Caller =
  | { kind: 'user'; userId: string; platformAdmin: boolean }
  | { kind: 'apiKey'; keyId: string; organizationId: string; role: OrgRole };

export type Decision = 'allowed' | 'not_found' | 'forbidden';

/**
 * The rule. `resource` is the organization the resource belongs to and the caller's role there
 * (undefined when no such resource exists). The platform admin may everything that exists. Anyone
 * without a role in the resource's organization gets not_found, so another organization's venues
 * and events do not even show they exist; a role without the permission gets forbidden.
 */
export function decide(caller: Caller, resource: { organizationId: string; role: OrgRole | null } | undefined, permission: Permission): Decision {
  if (!resource) return 'not_found';
  if (caller.kind === 'user' && caller.platformAdmin) return 'allowed';
  const role = caller.kind === 'apiKey' ? (caller.organizationId === resource.organizationId ? caller.role : null) : resource.role;
  if (role === null) return 'not_found';
  return grantedTo[permission].includes(role) ? 'allowed' : 'forbidden';
}

/** A resource an organizer route acts on, by id. */
export type ResourceRef =
  | { organization: string }
  | { venue: string }
  | { event: string }
  | { order: string }
  | { ticket: string }
  | { checkin: string };

/** Each kind's organization, as a query of `$1` (the id). */
const organizationOf: Record<string, string> = {
  organization: 'select id as organization_id from organizations where id = $1',
  venue: 'select organization_id from venues where id = $1',
  event: 'select organization_id from events where id = $1',
  order: 'select e.organization_id from orders o join events e on e.id = o.event_id where o.id = $1',
  ticket: 'select e.organization_id from tickets t join events e on e.id = t.event_id where t.id = $1',
  checkin: 'select e.organization_id from checkins c join events e on e.id = c.event_id where c.id = $1',
};

export interface OrganizationOfCaller {
  id: string;
  name: string;
  /** The caller's role; null for the platform admin in an organization it is not a member of. */
  role: OrgRole | null;
}

export interface Access {
  /** Throws 404 or 403 unless `decide` allows; returns the resource's organization id. */
  require(caller: Caller, permission: Permission, resource: ResourceRef): Promise<string>;
  /** Whether `decide` allows (no throw): for answers that only widen, e.g. showing drafts. */
  allows(caller: Caller, permission: Permission, resource: ResourceRef): Promise<boolean>;
  /** The organizations the caller belongs to (an API key: its own), oldest first. */
  organizationsOf(caller: Caller): Promise<OrganizationOfCaller[]>;
  /**
   * The organization something new is made in (POST /venues, /events): the one asked for, else the
   * caller's only one (the platform admin with none: the default organization). 400 when the caller
   * belongs to several and named none; then `require` as for any resource.
   */
  organizationFor(caller: Caller, permission: Permission, requested: string | undefined): Promise<string>;
}

export function createAccess(db: Queryable): Access {
  const facts = async (caller: Caller, resource: ResourceRef) => {
    const [kind, id] = Object.entries(resource)[0] as [string, string];
    const { rows } = await db.query<{ organizationId: string; role: OrgRole | null }>(
      `select r.organization_id as "organizationId", m.role
         from (${organizationOf[kind]!}) r
         left join memberships m on m.organization_id = r.organization_id and m.user_id = $2`,
      [id, caller.kind === 'user' ? caller.userId : null],
    );
    return rows[0];
  };
  return {
    async require(caller, permission, resource) {
      const found = await facts(caller, resource);
      const decision = decide(caller, found, permission);
      if (decision === 'not_found') throw notFound(Object.keys(resource)[0]);
      if (decision === 'forbidden') throw new AppError('forbidden', `Your role in this organization may not do this (it needs "${permission}").`, { permission });
      return found!.organizationId;
    },
    allows: async (caller, permission, resource) => decide(caller, await facts(caller, resource), permission) === 'allowed',
    async organizationsOf(caller) {
      if (caller.kind === 'apiKey') {
        const { rows } = await db.query<OrganizationOfCaller>('select id, name, $2::text as role from organizations where id = $1', [caller.organizationId, caller.role]);
        return rows;
      }
      const { rows } = await db.query<OrganizationOfCaller>(
        `select o.id, o.name, m.role from memberships m join organizations o on o.id = m.organization_id
          where m.user_id = $1 order by o.created_at, o.id`,
        [caller.userId],
      );
      return rows;
    },
    async organizationFor(caller, permission, requested) {
      if (requested !== undefined) return this.require(caller, permission, { organization: requested });
      const mine = await this.organizationsOf(caller);
      if (mine.length > 1) {
        throw new AppError('validation_failed', 'You belong to several organizations: say which one in organizationId.', {
          fields: [{ in: 'body', field: '/organizationId', message: 'required when the caller belongs to more than one organization' }],
        });
      }
      const only = mine[0]?.id ?? (caller.kind === 'user' && caller.platformAdmin ? defaultOrganizationId : undefined);
      if (only === undefined) throw new AppError('forbidden', 'You belong to no organization.');
      return this.require(caller, permission, { organization: only });
    },
  };
}
