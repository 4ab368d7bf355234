import type { Queryable, Tx } from '../../db/database.js';

/** Everything a user (or an organizer's system) is told about. The payload shapes are in docs/notifications.md. */
export type NotificationType =
  | 'order.confirmed'
  | 'order.cancelled'
  | 'hold.expiring'
  | 'hold.expired'
  | 'waitlist.offer_made'
  | 'waitlist.offer_expiring'
  | 'waitlist.offer_lapsed'
  | 'event.cancelled'
  | 'ticket.received'
  /** To an address with no account yet (`payload.to`); never sent to webhooks: it carries the invitation link. */
  | 'organization.invited'
  /** To the account's address only: the link is a credential (see `emailOnlyTypes`). */
  | 'account.password_reset';

/**
 * Notifications whose payload carries a credential (a single-use link): they go to the email
 * channel alone, never to webhooks or live pushes, and their text is kept out of the logs.
 */
export const emailOnlyTypes: readonly NotificationType[] = ['organization.invited', 'account.password_reset'];

export interface Notification {
  type: NotificationType;
  userId?: string | null;
  eventId?: string | null;
  payload: Record<string, unknown>;
}

/**
 * Writes notifications to the outbox in the caller's transaction: they exist if and only if the
 * change they describe committed. The dispatcher delivers them later, at least once.
 */
export async function enqueue(tx: Tx, ...notifications: Notification[]): Promise<void> {
  if (notifications.length === 0) return;
  await tx.query(
    `insert into outbox (type, user_id, event_id, payload)
     select type, user_id, event_id, payload from unnest($1::text[], $2::uuid[], $3::uuid[], $4::jsonb[]) as t(type, user_id, event_id, payload)`,
    [notifications.map((n) => n.type), notifications.map((n) => n.userId ?? null), notifications.map((n) => n.eventId ?? null),
      notifications.map((n) => JSON.stringify(n.payload))],
  );
}

/**
 * Retention: deletes up to `batch` outbox rows dispatched more than `days` ago whose deliveries are all
 * finished (delivered, or parked and untouched) for as long; their deliveries and dev-inbox copies go
 * with them (on delete cascade). Rows another node is deleting are skipped. Returns how many went.
 */
export async function pruneOutbox(db: Queryable, days: number, batch: number): Promise<number> {
  const { rowCount } = await db.query(
    `delete from outbox where id in (
       select o.id from outbox o
        where o.dispatched_at < now() - make_interval(days => $1)
          and not exists (select 1 from deliveries d
                           where d.outbox_id = o.id and (d.status = 'pending' or d.updated_at >= now() - make_interval(days => $1)))
        order by o.dispatched_at
        limit $2
        for update skip locked)`,
    [days, batch],
  );
  return rowCount;
}

/** The dispatcher's backlog (rows not yet fanned out) and the deliveries parked for an admin, for the metrics. */
export async function outboxBacklog(db: Queryable): Promise<{ undispatched: number; parked: number }> {
  const { rows } = await db.query<{ undispatched: number; parked: number }>(
    `select (select count(*) from outbox where dispatched_at is null)::int as undispatched,
            (select count(*) from deliveries where status = 'parked')::int as parked`,
  );
  return rows[0]!;
}
