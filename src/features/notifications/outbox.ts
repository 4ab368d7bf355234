import type { Tx } from '../../db/database.js';

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
  | 'ticket.received';

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
