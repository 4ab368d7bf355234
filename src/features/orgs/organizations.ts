import type { Database, Tx } from '../../db/database.js';
import { isUniqueViolation } from '../../db/pg-errors.js';
import { AppError, notFound } from '../../errors.js';
import { limits } from '../../limits.js';
import type { Caller, OrganizationOfCaller, OrgRole } from '../auth/access.js';
import type { AuthService, Session } from '../auth/auth.js';
import { hashOpaqueToken, newOpaqueToken } from '../auth/tokens.js';
import { enqueue } from '../notifications/outbox.js';

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: OrgRole;
  createdAt: Date;
}

export interface Invitation {
  id: string;
  email: string;
  role: OrgRole;
  expiresAt: Date;
  createdAt: Date;
}

export interface OrganizationService {
  /** Makes an organization with `ownerId` as its owner. Who may is the routes' decision (ORGANIZER_SIGNUP). */
  create(name: string, ownerId: string): Promise<OrganizationOfCaller>;
  /** The caller's organizations; the platform admin's: every one. */
  list(caller: Caller): Promise<OrganizationOfCaller[]>;
  members(organizationId: string): Promise<{ items: Member[]; invitations: Invitation[] }>;
  /** An account with the email joins at once; an unknown email gets an invitation email (through the outbox). */
  addMember(organizationId: string, input: { email: string; role: OrgRole }, invitedBy: string | null): Promise<{ member: Member } | { invitation: Invitation }>;
  changeRole(organizationId: string, userId: string, role: OrgRole): Promise<Member>;
  removeMember(organizationId: string, userId: string): Promise<void>;
  /** Withdraws an invitation not yet used (its link is then refused like an expired one); 409 once used, 404 if not this organization's. */
  revokeInvitation(organizationId: string, invitationId: string): Promise<void>;
  /**
   * Uses an invitation link once: as the logged-in account with the invited email (`userId`), or by
   * making that account (`account`). Unknown and foreign links are 404, used ones 409, expired 410.
   */
  acceptInvitation(token: string, as: { userId: string } | { account: { name: string; password: string } }): Promise<{ organization: OrganizationOfCaller; session?: Session }>;
}

const memberColumns = 'u.id as "userId", u.email, u.name, m.role, m.created_at as "createdAt"';
const invitationColumns = 'id, email, role, expires_at as "expiresAt", created_at as "createdAt"';

export function createOrganizationService(deps: { db: Database; auth: AuthService; publicUrl: string }): OrganizationService {
  const { db, auth, publicUrl } = deps;

  const memberOf = async (tx: Tx | Database, organizationId: string, userId: string): Promise<Member> => {
    const { rows } = await tx.query<Member>(
      `select ${memberColumns} from memberships m join users u on u.id = m.user_id where m.organization_id = $1 and m.user_id = $2`,
      [organizationId, userId],
    );
    if (!rows[0]) throw notFound('member');
    return rows[0];
  };

  /**
   * Every change to who is an owner runs after this: the organization's row, FOR NO KEY UPDATE
   * (venues and events inserted for it take it FOR KEY SHARE and do not wait), so two changes to one
   * organization's members run one after the other and each counts the owners the other left. Two
   * owners demoting each other at once: the second sees one owner, itself, and is refused.
   */
  const lockMembers = async (tx: Tx, organizationId: string) => {
    const { rowCount } = await tx.query('select 1 from organizations where id = $1 for no key update', [organizationId]);
    if (rowCount === 0) throw notFound('organization');
  };

  /** Refuses a change that would leave no owner: `userId`'s row is locked and re-read under the lock. */
  const assertAnOwnerRemains = async (tx: Tx, organizationId: string, userId: string, newRole: OrgRole | null) => {
    const { rows } = await tx.query<{ role: OrgRole; otherOwners: number }>(
      `select m.role, (select count(*)::int from memberships o where o.organization_id = $1 and o.role = 'owner' and o.user_id <> $2) as "otherOwners"
         from memberships m where m.organization_id = $1 and m.user_id = $2 for update`,
      [organizationId, userId],
    );
    const target = rows[0];
    if (!target) throw notFound('member');
    if (target.role === 'owner' && newRole !== 'owner' && target.otherOwners === 0) {
      throw new AppError('last_owner', 'This is the organization\'s only owner: make someone else an owner first.');
    }
  };

  const join = async (tx: Tx, organizationId: string, userId: string, role: OrgRole) => {
    await tx.query('insert into memberships (organization_id, user_id, role) values ($1, $2, $3) on conflict do nothing', [organizationId, userId, role]);
  };

  /** Claims the invitation (a conditional write: of two concurrent uses one wins); says why when it cannot. */
  const claimInvitation = async (tx: Tx, token: string, user: { id: string; email: string }) => {
    const tokenHash = hashOpaqueToken(token);
    const { rows } = await tx.query<{ organizationId: string; role: OrgRole; email: string }>(
      `update invitations set accepted_at = now(), accepted_by = $2
        where token_hash = $1 and accepted_at is null and revoked_at is null and expires_at > now()
        returning organization_id as "organizationId", role, email`,
      [tokenHash, user.id],
    );
    const claimed = rows[0];
    if (claimed && claimed.email.toLowerCase() === user.email.toLowerCase()) {
      await join(tx, claimed.organizationId, user.id, claimed.role);
      return claimed.organizationId;
    }
    // A link meant for another address is refused like an unknown one; the claim above rolls back.
    if (claimed) throw notFound('invitation');
    const { rows: [found] } = await tx.query<{ used: boolean }>('select accepted_at is not null as used from invitations where token_hash = $1', [tokenHash]);
    if (!found) throw notFound('invitation');
    if (found.used) throw new AppError('invitation_used', 'This invitation link was already used.');
    // Withdrawn by an owner or past its time: either way, a new one is what the person needs.
    throw new AppError('invitation_expired', 'This invitation link has expired or was withdrawn; ask for a new one.');
  };

  const organizationFor = async (organizationId: string, userId: string): Promise<OrganizationOfCaller> => {
    const { rows } = await db.query<OrganizationOfCaller>(
      'select o.id, o.name, m.role from organizations o join memberships m on m.organization_id = o.id and m.user_id = $2 where o.id = $1',
      [organizationId, userId],
    );
    return rows[0]!;
  };

  return {
    async create(name, ownerId) {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string }>('insert into organizations (name) values ($1) returning id', [name.trim()]);
        await join(tx, rows[0]!.id, ownerId, 'owner');
        return { id: rows[0]!.id, name: name.trim(), role: 'owner' as const };
      });
    },

    async list(caller) {
      if (caller.kind === 'user' && caller.platformAdmin) {
        const { rows } = await db.query<OrganizationOfCaller>(
          `select o.id, o.name, m.role from organizations o left join memberships m on m.organization_id = o.id and m.user_id = $1
            order by o.created_at, o.id limit $2`,
          [caller.userId, limits.organizationsListedMax],
        );
        return rows;
      }
      if (caller.kind === 'apiKey') {
        const { rows } = await db.query<OrganizationOfCaller>('select id, name, $2::text as role from organizations where id = $1', [caller.organizationId, caller.role]);
        return rows;
      }
      const { rows } = await db.query<OrganizationOfCaller>(
        `select o.id, o.name, m.role from memberships m join organizations o on o.id = m.organization_id
          where m.user_id = $1 order by o.created_at, o.id limit $2`,
        [caller.userId, limits.organizationsListedMax],
      );
      return rows;
    },

    async members(organizationId) {
      const [members, invitations] = await Promise.all([
        db.query<Member>(
          `select ${memberColumns} from memberships m join users u on u.id = m.user_id where m.organization_id = $1 order by m.created_at, u.id limit $2`,
          [organizationId, limits.membersListedMax],
        ),
        db.query<Invitation>(
          `select ${invitationColumns} from invitations where organization_id = $1 and accepted_at is null and revoked_at is null and expires_at > now() order by created_at desc limit $2`,
          [organizationId, limits.membersListedMax],
        ),
      ]);
      return { items: members.rows, invitations: invitations.rows };
    },

    async addMember(organizationId, { email, role }, invitedBy) {
      return db.transaction(async (tx) => {
        await lockMembers(tx, organizationId);
        const { rows: [user] } = await tx.query<{ id: string }>('select id from users where lower(email) = lower($1) for key share', [email.trim()]);
        if (user) {
          try {
            await tx.query('insert into memberships (organization_id, user_id, role) values ($1, $2, $3)', [organizationId, user.id, role]);
          } catch (error) {
            if (isUniqueViolation(error, 'memberships_pkey')) throw new AppError('already_member', 'This account is already a member; change its role instead.');
            throw error;
          }
          return { member: await memberOf(tx, organizationId, user.id) };
        }
        const token = newOpaqueToken();
        const { rows: [invitation] } = await tx.query<Invitation>(
          `insert into invitations (organization_id, email, role, token_hash, invited_by, expires_at)
           values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) returning ${invitationColumns}`,
          [organizationId, email.trim(), role, hashOpaqueToken(token), invitedBy, limits.invitationTtlSeconds],
        );
        const { rows: [organization] } = await tx.query<{ name: string }>('select name from organizations where id = $1', [organizationId]);
        // The link carries the token in its fragment, which browsers never send to a server or a proxy log.
        await enqueue(tx, {
          type: 'organization.invited',
          payload: { to: invitation!.email, organizationName: organization!.name, role, expiresAt: invitation!.expiresAt, link: `${publicUrl}/join#${token}` },
        });
        return { invitation: invitation! };
      });
    },

    async changeRole(organizationId, userId, role) {
      return db.transaction(async (tx) => {
        await lockMembers(tx, organizationId);
        await assertAnOwnerRemains(tx, organizationId, userId, role);
        await tx.query('update memberships set role = $3 where organization_id = $1 and user_id = $2', [organizationId, userId, role]);
        return memberOf(tx, organizationId, userId);
      });
    },

    async removeMember(organizationId, userId) {
      await db.transaction(async (tx) => {
        await lockMembers(tx, organizationId);
        await assertAnOwnerRemains(tx, organizationId, userId, null);
        await tx.query('delete from memberships where organization_id = $1 and user_id = $2', [organizationId, userId]);
      });
    },

    async revokeInvitation(organizationId, invitationId) {
      // Conditional, like the claim: of a use and a withdrawal racing on one link, one wins.
      const { rowCount } = await db.query(
        'update invitations set revoked_at = now() where id = $1 and organization_id = $2 and accepted_at is null and revoked_at is null',
        [invitationId, organizationId],
      );
      if (rowCount > 0) return;
      const { rows: [found] } = await db.query<{ used: boolean }>('select accepted_at is not null as used from invitations where id = $1 and organization_id = $2', [invitationId, organizationId]);
      if (!found) throw notFound('invitation');
      if (found.used) throw new AppError('invitation_used', 'This invitation was already used; remove the member instead.');
      // Already withdrawn: withdrawing again changes nothing.
    },

    async acceptInvitation(token, as) {
      if ('userId' in as) {
        const organizationId = await db.transaction(async (tx) => {
          const { rows: [user] } = await tx.query<{ id: string; email: string }>('select id, email from users where id = $1 for key share', [as.userId]);
          if (!user) throw new AppError('invalid_token', 'The account no longer exists.');
          return claimInvitation(tx, token, user);
        });
        return { organization: await organizationFor(organizationId, as.userId) };
      }
      // The account is made with the invited address, so the claim's email check holds by construction.
      const { rows: [invited] } = await db.query<{ email: string }>('select email from invitations where token_hash = $1', [hashOpaqueToken(token)]);
      if (!invited) throw notFound('invitation');
      let organizationId = '';
      const session = await auth.register({ email: invited.email, name: as.account.name, password: as.account.password }, async (tx, user) => {
        organizationId = await claimInvitation(tx, token, user);
      });
      return { organization: await organizationFor(organizationId, session.user.id), session };
    },
  };
}
