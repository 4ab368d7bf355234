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
  /**
   * Starts a password reset: when an account has this email, its single pending link is replaced by a
   * new one and emailed. Says nothing either way (no account enumeration).
   */
  requestPasswordReset(email: string): Promise<void>;
  /**
   * Uses a reset link once: sets the password, ends every session of the account and opens a new one.
   * Works for accounts made without a password (the order desk's recipients) too.
   */
  confirmPasswordReset(input: { token: string; password: string }): Promise<Session>;
  /** Makes sure an admin account with this email and password exists (ADMIN_EMAIL / ADMIN_PASSWORD). */
  ensureAdmin(email: string, password: string): Promise<User>;
}

const userColumns = 'id, email, name, role';

/** A password-reset email to send: the link is a credential, so it may only ever go to this address. */
export interface PasswordResetEmail {
  /** The account: the email goes to its address as stored, not as typed in the request. */
  userId: string;
  link: string;
  expiresAt: Date;
}

export interface PasswordResetDelivery {
  /** The web app's address (PUBLIC_BASE_URL): the link opens its /reset-password page. */
  publicUrl: string;
  ttlSeconds: number;
  /**
   * Sends the email in the caller's transaction (the outbox's email channel, given by the
   * composition root: notifications depend on auth, not the other way round).
   */
  send(tx: Tx, email: PasswordResetEmail): Promise<void>;
}

export function createAuthService(deps: {
  db: Database;
  passwords: PasswordHasher;
  accessTokens: AccessTokens;
  refreshTokenTtlSeconds: number;
  passwordResets: PasswordResetDelivery;
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

    async requestPasswordReset(email) {
      const { publicUrl, ttlSeconds, send } = deps.passwordResets;
      const token = newOpaqueToken();
      await db.transaction(async (tx) => {
        // One statement whether or not the account exists, so the answer takes about as long either way.
        const { rows: [reset] } = await tx.query<{ userId: string; expiresAt: Date }>(
          `insert into password_resets (user_id, token_hash, expires_at)
           select id, $2, now() + make_interval(secs => $3) from users where lower(email) = lower($1)
           on conflict (user_id) do update set token_hash = excluded.token_hash, expires_at = excluded.expires_at, used_at = null, created_at = now()
           returning user_id as "userId", expires_at as "expiresAt"`,
          [email.trim(), hashOpaqueToken(token), ttlSeconds],
        );
        if (reset) await send(tx, { ...reset, link: `${publicUrl}/reset-password?token=${encodeURIComponent(token)}` });
      });
    },

    async confirmPasswordReset({ token, password }) {
      const tokenHash = hashOpaqueToken(token);
      const passwordHash = await passwords.hash(password);
      const session = await db.transaction(async (tx) => {
        // The conditional update is the consumption: of two concurrent uses of one link, exactly one wins.
        const { rows: [claimed] } = await tx.query<{ userId: string }>(
          `update password_resets set used_at = now() where token_hash = $1 and used_at is null and expires_at > now() returning user_id as "userId"`,
          [tokenHash],
        );
        if (!claimed) return null;
        const { rows: [user] } = await tx.query<User>(`update users set password_hash = $2 where id = $1 returning ${userColumns}`, [claimed.userId, passwordHash]);
        await revokeAll(tx, user!.id);
        return issueSession(tx, user!);
      });
      if (session) return session;
      const { rows: [known] } = await db.query<{ used: boolean }>('select used_at is not null as used from password_resets where token_hash = $1', [tokenHash]);
      if (!known) throw new AppError('reset_token_invalid', 'This password reset link is not valid (a newer link replaces older ones); ask for a new one.');
      if (known.used) throw new AppError('reset_token_used', 'This password reset link was already used; ask for a new one.');
      throw new AppError('reset_token_expired', 'This password reset link has expired; ask for a new one.');
    },

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
