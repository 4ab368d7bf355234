import { randomUUID } from 'node:crypto';
import type { Database, Tx } from '../../db/database.js';
import { AppError, notFound } from '../../errors.js';
import type { Principal } from '../auth/tokens.js';
import { limitReached, ticketsTakenBy } from '../inventory/holds.js';
import { enqueue } from '../notifications/outbox.js';
import { eventCalendar } from './calendar.js';
import { newTicketCode } from './orders.js';
import { ticketVenue } from './ticket-pdf.js';

/** A ticket as its holder sees it after a change. */
export interface HeldTicket {
  id: string;
  code: string;
  eventId: string;
  attendeeName: string | null;
  status: 'valid' | 'void';
}

export interface TicketService {
  /** Names who will use the ticket (null clears it); the holder only, until the event starts. */
  setAttendeeName(viewer: Principal, ticketId: string, attendeeName: string | null): Promise<HeldTicket>;
  /**
   * Moves a ticket to the account with that email: the old code is void at once and the recipient
   * gets a new ticket (same seat) and an email. Returns the void ticket.
   */
  transfer(viewer: Principal, ticketId: string, email: string): Promise<HeldTicket>;
  /** The event's calendar entry (.ics) for a published or past event. */
  calendar(eventId: string): Promise<string>;
}

interface LockedTicket {
  id: string;
  eventId: string;
  orderId: string;
  sectionId: string;
  seatId: string | null;
  code: string;
  status: 'valid' | 'void';
  holderId: string;
  attendeeName: string | null;
  started: boolean;
  transfersAllowed: boolean;
  maxTicketsPerUser: number | null;
  checkedIn: boolean;
}

const heldColumns = 'id, code, event_id as "eventId", attendee_name as "attendeeName", status';

/**
 * Locks a ticket for a change by its holder, in the lock order of inventory/stock.ts: the event
 * FOR SHARE (its start decides), the ticket's section FOR KEY SHARE (a transfer's new ticket takes
 * it for its foreign key anyway; an order's cancellation takes sections before orders), the order
 * FOR SHARE (a cancellation takes it FOR UPDATE), then the ticket FOR UPDATE, which a scan of it
 * (FOR SHARE) waits for and then sees the ticket as it was left. Another buyer's ticket is 404.
 */
async function lockHeldTicket(tx: Tx, viewer: Principal, ticketId: string): Promise<LockedTicket> {
  const { rows: [ids] } = await tx.query<{ eventId: string; sectionId: string; orderId: string }>(
    'select event_id as "eventId", section_id as "sectionId", order_id as "orderId" from tickets where id = $1',
    [ticketId],
  );
  if (!ids) throw notFound('ticket');
  const { rows: [event] } = await tx.query<{ started: boolean; transfersAllowed: boolean; maxTicketsPerUser: number | null }>(
    `select starts_at <= now() as started, transfers_allowed as "transfersAllowed", max_tickets_per_user as "maxTicketsPerUser"
       from events where id = $1 for share`,
    [ids.eventId],
  );
  await tx.query('select 1 from sections where id = $1 for key share', [ids.sectionId]);
  const { rows: [order] } = await tx.query<{ userId: string }>('select user_id as "userId" from orders where id = $1 for share', [ids.orderId]);
  const { rows: [ticket] } = await tx.query<Omit<LockedTicket, 'started' | 'transfersAllowed' | 'maxTicketsPerUser' | 'checkedIn'>>(
    `select t.id, t.event_id as "eventId", t.order_id as "orderId", t.section_id as "sectionId", t.seat_id as "seatId", t.code, t.status,
            coalesce(t.holder_id, $2) as "holderId", t.attendee_name as "attendeeName"
       from tickets t where t.id = $1 for update of t`,
    [ticketId, order!.userId],
  );
  if (!ticket || ticket.holderId !== viewer.userId) throw notFound('ticket');
  // A statement of its own, after the lock: a scan that held the ticket until its commit is seen
  // only by a snapshot taken once the lock is ours (a subquery of the locking statement would not).
  const { rows: [scanned] } = await tx.query<{ checkedIn: boolean }>(
    'select exists (select 1 from checkins where ticket_id = $1 and reverted_at is null) as "checkedIn"',
    [ticketId],
  );
  return { ...ticket, ...event!, checkedIn: scanned!.checkedIn };
}

/** Why the holder can no longer change this ticket, if they cannot. */
function changeRefusal(ticket: LockedTicket): AppError | undefined {
  if (ticket.status === 'void') return new AppError('ticket_void', 'This ticket is void.', {});
  if (ticket.started) return new AppError('event_started', 'The event has started; this ticket can no longer be changed.');
  return undefined;
}

function transferRefusal(ticket: LockedTicket): AppError | undefined {
  if (ticket.checkedIn) return new AppError('ticket_checked_in', 'This ticket was already used at the door.');
  if (!ticket.transfersAllowed) return new AppError('transfers_not_allowed', 'This event does not allow ticket transfers.');
  return undefined;
}

/**
 * The recipient's account, locked FOR KEY SHARE (so it cannot be deleted under the new ticket), and
 * under their `event_buyers` row (the per-buyer mutex holds take, inventory/holds.ts) their count
 * against `maxTicketsPerUser`, so a transfer and the recipient's own holds are counted one after another.
 */
async function lockRecipient(tx: Tx, ticket: LockedTicket, email: string): Promise<string> {
  const { rows: [recipient] } = await tx.query<{ id: string }>('select id from users where lower(email) = lower($1) for key share', [email]);
  if (!recipient) throw notFound('account');
  if (recipient.id === ticket.holderId) {
    throw new AppError('validation_failed', 'You already hold this ticket.', { fields: [{ in: 'body', field: '/email', message: 'is your own account' }] });
  }
  if (ticket.maxTicketsPerUser !== null) {
    await tx.query('insert into event_buyers (event_id, user_id) values ($1, $2) on conflict do nothing', [ticket.eventId, recipient.id]);
    await tx.query('select 1 from event_buyers where event_id = $1 and user_id = $2 for update', [ticket.eventId, recipient.id]);
    const taken = (await ticketsTakenBy(tx, ticket.eventId, [recipient.id])).get(recipient.id) ?? 0;
    if (taken + 1 > ticket.maxTicketsPerUser) throw limitReached(ticket.maxTicketsPerUser);
  }
  return recipient.id;
}

export function createTicketService(db: Database): TicketService {
  return {
    async calendar(eventId) {
      const { rows: [event] } = await db.query<{ status: string }>('select status from events where id = $1', [eventId]);
      const venue = event && event.status !== 'draft' ? await ticketVenue(db, eventId) : undefined;
      if (!venue) throw notFound('event');
      return eventCalendar(eventId, venue);
    },

    setAttendeeName: (viewer, ticketId, attendeeName) => db.transaction(async (tx) => {
      const ticket = await lockHeldTicket(tx, viewer, ticketId);
      const refusal = changeRefusal(ticket);
      if (refusal) throw refusal;
      const { rows } = await tx.query<HeldTicket>(`update tickets set attendee_name = $2 where id = $1 returning ${heldColumns}`, [ticketId, attendeeName]);
      return rows[0]!;
    }),

    transfer: (viewer, ticketId, email) => db.transaction(async (tx) => {
      const ticket = await lockHeldTicket(tx, viewer, ticketId);
      const refusal = changeRefusal(ticket) ?? transferRefusal(ticket);
      if (refusal) throw refusal;
      const recipientId = await lockRecipient(tx, ticket, email);
      // Void first: one valid ticket per seat (tickets_one_valid_per_seat) holds at every step.
      await tx.query(`update tickets set status = 'void' where id = $1`, [ticketId]);
      const newId = randomUUID();
      const { rows: [issued] } = await tx.query<{ code: string; sectionName: string; seatLabel: string | null }>(
        `with issued as (
           insert into tickets (id, order_id, event_id, section_id, seat_id, code, holder_id, ticket_type_id, price, event_code_id, discount, fees, fees_kept, tax, charged)
           select $1, $2, $3, $4, $5, $6, $7, ticket_type_id, price, event_code_id, discount, fees, fees_kept, tax, charged from tickets where id = $8
           returning code, section_id, seat_id)
         select i.code, sc.name as "sectionName", st.label as "seatLabel"
           from issued i join sections sc on sc.id = i.section_id left join seats st on st.id = i.seat_id`,
        [newId, ticket.orderId, ticket.eventId, ticket.sectionId, ticket.seatId, newTicketCode(), recipientId, ticketId],
      );
      const { rows } = await tx.query<HeldTicket>(`update tickets set transferred_to = $2 where id = $1 returning ${heldColumns}`, [ticketId, newId]);
      const { rows: [giver] } = await tx.query<{ name: string }>('select name from users where id = $1', [viewer.userId]);
      await enqueue(tx, {
        type: 'ticket.received',
        userId: recipientId,
        eventId: ticket.eventId,
        payload: { ticketId: newId, from: giver?.name ?? null, tickets: [issued!] },
      });
      return rows[0]!;
    }),
  };
}
