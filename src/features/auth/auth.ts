import { randomUUID } from 'node:crypto';
import type { Database, Queryable, Tx } from '../../db/database.js';
import { isUniqueViolation } from '../../db/pg-errors.js';
import { AppError } from '../../errors.js';
import { defaultOrganizationId } from './access.js';
import type { PasswordHasher } from './passwords.js';
import { hashOpaqueToken, newOpaqueToken, type AccessTokens, type Role } from './tokens.js';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

export interface AuthService {
  /**
   * Creates an account and its first session. `alsoInTransaction` runs in the same transaction once
   * the account exists (an invitation joining it to an organization): if it throws, no account is made.
   */
  register(input: { email: string; password: string; name: string }, alsoInTransaction?: (tx: Tx, user: User) => Promise<void>): Promise<Session>;
  login(input: { email: string; password: string }): Promise<Session>;
  refresh(refreshToken: string): Promise<Session>;
  /** Ends a session: revokes the refresh token's whole family, so no copy of it can be used again. */
  logout(refreshToken: string): Promise<void>;
  getUser(userId: string): Promise<User | undefined>;
  rename(userId: string, name: string): Promise<User | undefined>;
  /** Sets a new password once the current one is given; every other session ends, this one is renewed. */
  changePassword(userId: string, input: { currentPassword: string; newPassword: string }): Promise<Session>;
  /** Ends every session of the account (each refresh token, on every device). */
  logoutEverywhere(userId: string): Promise<void>;
  /** Makes sure an admin account with this email and password exists (ADMIN_EMAIL / ADMIN_PASSWORD). */
  ensureAdmin(email: string, password: string): Promise<User>;
}

const userColumns = 'id, email, name, role';

export function createAuthService(deps: {
  db: Database;
  passwords: PasswordHasher;
  accessTokens: AccessTokens;
  refreshTokenTtlSeconds: number;
}): AuthService {
  const { db, passwords, accessTokens } = deps;
  // Verified against when the email is unknown, so both failures take the same time.
  const decoyHash = passwords.hash(randomUUID());

  async function issueSession(q: Queryable, user: User, familyId: string = randomUUID()): Promise<Session> {
    const refreshToken = newOpaqueToken();
    await q.query(
      `insert into refresh_tokens (user_id, family_id, token_hash, expires_at)
       values ($1, $2, $3, now() + make_interval(secs => $4))`,
      [user.id, familyId, hashOpaqueToken(refreshToken), deps.refreshTokenTtlSeconds],
    );
    return { user, accessToken: accessTokens.sign({ userId: user.id, role: user.role }), refreshToken };
  }

  const revokeAll = async (q: Queryable, userId: string): Promise<void> => {
    await q.query('update refresh_tokens set revoked_at = now() where user_id = $1 and revoked_at is null', [userId]);
  };

  return {
    async register({ email, password, name }, alsoInTransaction) {
      const passwordHash = await passwords.hash(password);
      try {
        // One transaction: an account never exists without the session its creator was promised.
        return await db.transaction(async (tx) => {
          const { rows } = await tx.query<User>(
            `insert into users (email, name, password_hash) values ($1, $2, $3) returning ${userColumns}`,
            [email.trim(), name.trim(), passwordHash],
          );
          await alsoInTransaction?.(tx, rows[0]!);
          return issueSession(tx, rows[0]!);
        });
      } catch (error) {
        if (isUniqueViolation(error, 'users_email_key')) throw new AppError('email_taken', 'An account with this email already exists.');
        throw error;
      }
    },

    async login({ email, password }) {
      const { rows } = await db.query<User & { password_hash: string }>(
        `select ${userColumns}, password_hash from users where lower(email) = lower($1)`,
        [email.trim()],
      );
      const found = rows[0];
      const valid = await passwords.verify(found?.password_hash ?? (await decoyHash), password);
      if (!found || !valid) throw new AppError('invalid_credentials', 'The email or password is wrong.');
      const { password_hash: _, ...user } = found;
      return issueSession(db, user);
    },

    async refresh(refreshToken) {
      const tokenHash = hashOpaqueToken(refreshToken);
      return db.transaction(async (tx) => {
        // The conditional update is the rotation: of two concurrent uses of one token, exactly one wins.
        const used = await tx.query<User & { family_id: string }>(
          `update refresh_tokens t set used_at = now()
             from users u
            where t.token_hash = $1 and t.user_id = u.id
              and t.used_at is null and t.revoked_at is null and t.expires_at > now()
            returning u.id, u.email, u.name, u.role, t.family_id`,
          [tokenHash],
        );
        const row = used.rows[0];
        if (row) {
          const { family_id: familyId, ...user } = row;
          return issueSession(tx, user, familyId);
        }
        // A token presented after it was rotated was copied: revoke everything issued from it.
        await tx.query(
          `update refresh_tokens set revoked_at = now()
            where revoked_at is null and family_id = (select family_id from refresh_tokens where token_hash = $1 and used_at is not null)`,
          [tokenHash],
        );
        return null;
      }).then((session) => {
        if (!session) throw new AppError('invalid_token', 'The refresh token is invalid, expired or already used.');
        return session;
      });
    },

    async logout(refreshToken) {
      await db.query(
        `update refresh_tokens set revoked_at = now()
          where revoked_at is null and family_id = (select family_id from refresh_tokens where token_hash = $1)`,
        [hashOpaqueToken(refreshToken)],
      );
    },

    async getUser(userId) {
      const { rows } = await db.query<User>(`select ${userColumns} from users where id = $1`, [userId]);
      return rows[0];
    },

    async rename(userId, name) {
      const { rows } = await db.query<User>(`update users set name = $2 where id = $1 returning ${userColumns}`, [userId, name.trim()]);
      return rows[0];
    },

    async changePassword(userId, { currentPassword, newPassword }) {
      const { rows } = await db.query<{ password_hash: string }>('select password_hash from users where id = $1', [userId]);
      if (!rows[0] || !(await passwords.verify(rows[0].password_hash, currentPassword))) {
        throw new AppError('wrong_password', 'The current password is wrong.');
      }
      const passwordHash = await passwords.hash(newPassword);
      return db.transaction(async (tx) => {
        // Conditional on the hash just verified: of two concurrent changes, the second must know the first's password.
        const { rows: changed } = await tx.query<User>(
          `update users set password_hash = $3 where id = $1 and password_hash = $2 returning ${userColumns}`,
          [userId, rows[0]!.password_hash, passwordHash],
        );
        if (!changed[0]) throw new AppError('wrong_password', 'The password changed meanwhile; use the new one.');
        await revokeAll(tx, userId);
        return issueSession(tx, changed[0]);
      });
    },

    logoutEverywhere: (userId) => revokeAll(db, userId),

    async ensureAdmin(email, password) {
      const passwordHash = await passwords.hash(password);
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<User>(
          `insert into users (email, name, password_hash, role) values ($1, 'Administrator', $2, 'admin')
           on conflict (lower(email)) do update set role = 'admin', password_hash = excluded.password_hash
           returning ${userColumns}`,
          [email, passwordHash],
        );
        // The default organization (migration 013) has an owner from the first start on.
        await tx.query(
          `insert into memberships (organization_id, user_id, role) select $1, $2, 'owner'
            where not exists (select 1 from memberships where organization_id = $1 and role = 'owner') on conflict do nothing`,
          [defaultOrganizationId, rows[0]!.id],
        );
        return rows[0]!;
      });
    },
  };
}

/**
 * Retention: deletes up to `batch` refresh tokens that expired more than `days` ago. Such a token is
 * refused anyway; a family's live tokens are other rows and stay. Returns how many went.
 */
export async function pruneRefreshTokens(db: Queryable, days: number, batch: number): Promise<number> {
  const { rowCount } = await db.query(
    `delete from refresh_tokens where id in (
       select id from refresh_tokens where expires_at < now() - make_interval(days => $1) limit $2 for update skip locked)`,
    [days, batch],
  );
  return rowCount;
}
