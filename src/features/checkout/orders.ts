import { randomBytes } from 'node:crypto';
import type { Queryable, Tx } from '../../db/database.js';

export interface TicketView {
  id: string;
  code: string;
  sectionId: string;
  sectionName: string;
  seatId?: string;
  seatLabel?: string;
  status: 'valid' | 'void';
}

export interface OrderView {
  id: string;
  status: 'confirmed' | 'cancelled';
  holdId: string;
  eventId: string;
  eventTitle: string;
  total: number;
  currency: string;
  createdAt: Date;
  refund?: { amount: number; currency: string };
  tickets: TicketView[];
}

const codeAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: no I, L, O, U to misread

/** A ticket code: 12 characters, 60 random bits; the unique index backs the odds. */
export function newTicketCode(): string {
  return [...randomBytes(12)].map((byte) => codeAlphabet[byte & 31]).join('');
}

export interface IssuedTicket {
  code: string;
  sectionId: string;
  sectionName: string;
  seatLabel: string | null;
}

/** Issues one ticket per unit the hold had; returns them (the confirmation message lists the codes). */
export async function issueTickets(tx: Tx, orderId: string, eventId: string, holdId: string): Promise<IssuedTicket[]> {
  const { rows } = await tx.query<{ sectionId: string; seatId: string | null }>(
    `select i.section_id as "sectionId", i.seat_id as "seatId"
       from hold_items i cross join generate_series(1, i.quantity)
      where i.hold_id = $1`,
    [holdId],
  );
  const issued = await tx.query<IssuedTicket>(
    `with issued as (
       insert into tickets (order_id, event_id, section_id, seat_id, code)
       select $1, $2, section_id, seat_id, code from unnest($3::uuid[], $4::uuid[], $5::text[]) as t(section_id, seat_id, code)
       returning code, section_id, seat_id)
     select i.code, i.section_id as "sectionId", sc.name as "sectionName", st.label as "seatLabel"
       from issued i join sections sc on sc.id = i.section_id left join seats st on st.id = i.seat_id
      order by sc.position, st.row_label, st.number, i.code`,
    [orderId, eventId, rows.map((r) => r.sectionId), rows.map((r) => r.seatId), rows.map(() => newTicketCode())],
  );
  return issued.rows;
}

const orderSelect = `
  select o.id, o.status, o.hold_id as "holdId", o.event_id as "eventId", e.title as "eventTitle", o.total, o.currency,
         o.created_at as "createdAt", o.refund_amount as "refundAmount",
         (select coalesce(json_agg(json_build_object('id', t.id, 'code', t.code, 'sectionId', t.section_id, 'sectionName', sc.name,
                                                     'seatId', t.seat_id, 'seatLabel', st.label, 'status', t.status)
                                   order by sc.position, st.row_label, st.number), '[]')
            from tickets t join sections sc on sc.id = t.section_id left join seats st on st.id = t.seat_id
           where t.order_id = o.id) as tickets
    from orders o join events e on e.id = o.event_id`;

type OrderRow = Omit<OrderView, 'refund' | 'tickets'> & { refundAmount: number | null; tickets: (TicketView & { seatId: string | null; seatLabel: string | null })[] };

function toView(row: OrderRow): OrderView {
  const { refundAmount, tickets, ...order } = row;
  return {
    ...order,
    createdAt: new Date(order.createdAt),
    ...(refundAmount === null ? {} : { refund: { amount: refundAmount, currency: order.currency } }),
    tickets: tickets.map(({ seatId, seatLabel, ...ticket }) => ({ ...ticket, ...(seatId ? { seatId, seatLabel: seatLabel ?? '' } : {}) })),
  };
}

export async function findOrder(db: Queryable, where: { orderId: string } | { holdId: string }): Promise<OrderView | undefined> {
  const byHold = 'holdId' in where;
  const { rows } = await db.query<OrderRow>(`${orderSelect} where ${byHold ? 'o.hold_id' : 'o.id'} = $1`, [byHold ? where.holdId : where.orderId]);
  return rows[0] && toView(rows[0]);
}

export async function listOrders(db: Queryable, userId: string): Promise<OrderView[]> {
  const { rows } = await db.query<OrderRow>(`${orderSelect} where o.user_id = $1 order by o.created_at desc limit 200`, [userId]);
  return rows.map(toView);
}
