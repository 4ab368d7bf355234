import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { limits } from '../../limits.js';
import { hashOpaqueToken, newOpaqueToken, type Principal } from './tokens.js';

/**
 * Tickets for the live notification socket. A browser cannot set headers on a WebSocket, and an
 * access token in a URL ends up in proxy logs and browser history; a ticket is short-lived and
 * opens one socket, on whichever node it reaches (it is redeemed in PostgreSQL).
 */
export interface LiveTickets {
  issue(userId: string): Promise<{ ticket: string; expiresAt: Date }>;
  /** The ticket's holder; 401 `invalid_token` for an unknown, used or expired ticket. */
  redeem(ticket: string): Promise<Principal>;
}

export function createLiveTickets(db: Database): LiveTickets {
  return {
    async issue(userId) {
      const ticket = newOpaqueToken();
      const { rows } = await db.query<{ expiresAt: Date }>(
        `with swept as (
           delete from live_tickets where token_hash in (
             select token_hash from live_tickets where expires_at < now() order by expires_at limit $4 for update skip locked))
         insert into live_tickets (token_hash, user_id, expires_at) values ($1, $2, now() + make_interval(secs => $3))
         returning expires_at as "expiresAt"`,
        [hashOpaqueToken(ticket), userId, limits.liveTicketTtlSeconds, limits.liveTicketSweepBatchMax],
      );
      return { ticket, expiresAt: rows[0]!.expiresAt };
    },

    async redeem(ticket) {
      // The delete is the use: of two concurrent uses, the second finds no row.
      const { rows } = await db.query<Principal & { fresh: boolean }>(
        `delete from live_tickets t using users u
          where t.token_hash = $1 and u.id = t.user_id
          returning u.id as "userId", u.role, t.expires_at > now() as fresh`,
        [hashOpaqueToken(ticket)],
      );
      const found = rows[0];
      if (!found?.fresh) throw new AppError('invalid_token', 'The live ticket is unknown, used or expired; ask for a new one.');
      return { userId: found.userId, role: found.role };
    },
  };
}
