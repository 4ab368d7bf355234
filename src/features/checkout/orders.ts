import { randomBytes } from 'node:crypto';
import type { Queryable, Tx } from '../../db/database.js';
import type { Breakdown, Fee, Tax } from '../inventory/breakdown.js';
import { breakdownColumn } from '../inventory/holds.js';

export interface TicketView {
  id: string;
  code: string;
  sectionId: string;
  sectionName: string;
  seatId?: string;
  seatLabel?: string;
  /** Absent for a section without ticket types. */
  ticketTypeId?: string;
  ticketTypeName?: string;
  /** What the ticket sold for (its hold item's price), in minor units. */
  price: number;
  /** What a code took off its type's price (absent when nothing). */
  discount?: number;
  status: 'valid' | 'void';
  attendeeName?: string;
  /** The signed QR payload of a valid ticket (checkin/signing.ts). */
  qr?: string;
}

/** Signs the QR payloads of tickets (the check-in feature's signer, passed in by the composition root). */
export type QrSigner = (tickets: readonly { id: string; eventId: string; code: string }[]) => Promise<string[]>;

export interface OrderView {
  id: string;
  status: 'confirmed' | 'partially_cancelled' | 'cancelled';
  holdId: string;
  eventId: string;
  eventTitle: string;
  /** When and where, so the tickets say what they are for (the venue's zone shows the time). */
  eventStartsAt: Date;
  venue: { name: string; address: string | null; city: string; timeZone: string };
  /** What was charged (`total`), as priced when the hold was made (docs/fees.md). */
  breakdown: Breakdown;
  /** The fees (each with what it came to) and the tax the order was priced with. */
  pricing: { fees: (Fee & { amount: number })[]; tax: Tax | null };
  total: number;
  currency: string;
  createdAt: Date;
  refund?: { amount: number; currency: string };
  tickets: TicketView[];
}

const codeAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: no I, L, O, U to misread

/** A ticket code: 16 characters, 80 random bits (too many to guess at a door); the unique index backs the odds. */
export function newTicketCode(): string {
  return [...randomBytes(16)].map((byte) => codeAlphabet[byte & 31]).join('');
}

export interface IssuedTicket {
  code: string;
  sectionId: string;
  sectionName: string;
  seatLabel: string | null;
}

/** Issues one ticket per unit the hold had, with its type, price and the code it was held with; returns them (the confirmation message lists the codes). */
export async function issueTickets(tx: Tx, orderId: string, eventId: string, holdId: string): Promise<IssuedTicket[]> {
  const { rows } = await tx.query<{ sectionId: string; seatId: string | null; ticketTypeId: string | null; price: number; codeId: string | null; discount: number; fees: number; feesKept: number; tax: number; charged: number }>(
    `select i.section_id as "sectionId", i.seat_id as "seatId", i.ticket_type_id as "ticketTypeId", i.price, h.event_code_id as "codeId",
            i.discount, i.fees, i.fees_kept as "feesKept", i.tax, coalesce(i.charged, i.price) as charged
       from hold_items i join holds h on h.id = i.hold_id cross join generate_series(1, i.quantity)
      where i.hold_id = $1`,
    [holdId],
  );
  const issued = await tx.query<IssuedTicket>(
    `with issued as (
       insert into tickets (order_id, event_id, section_id, seat_id, code, ticket_type_id, price, event_code_id, discount, fees, fees_kept, tax, charged)
       select $1, $2, section_id, seat_id, code, ticket_type_id, price, code_id, discount, fees, fees_kept, tax, charged
         from unnest($3::uuid[], $4::uuid[], $5::text[], $6::uuid[], $7::int[], $8::uuid[], $9::int[], $10::int[], $11::int[], $12::int[], $13::int[])
           as t(section_id, seat_id, code, ticket_type_id, price, code_id, discount, fees, fees_kept, tax, charged)
       returning code, section_id, seat_id)
     select i.code, i.section_id as "sectionId", sc.name as "sectionName", st.label as "seatLabel"
       from issued i join sections sc on sc.id = i.section_id left join seats st on st.id = i.seat_id
      order by sc.position, st.row_label, st.number, i.code`,
    [orderId, eventId, rows.map((r) => r.sectionId), rows.map((r) => r.seatId), rows.map(() => newTicketCode()), rows.map((r) => r.ticketTypeId), rows.map((r) => r.price), rows.map((r) => r.codeId),
      rows.map((r) => r.discount), rows.map((r) => r.fees), rows.map((r) => r.feesKept), rows.map((r) => r.tax), rows.map((r) => r.charged)],
  );
  return issued.rows;
}

const orderSelect = `
  select o.id, o.status, o.hold_id as "holdId", o.event_id as "eventId", e.title as "eventTitle", e.starts_at as "eventStartsAt",
         json_build_object('name', v.name, 'address', v.address, 'city', v.city, 'timeZone', v.time_zone) as venue, o.total, o.currency,
         o.created_at as "createdAt", o.refund_amount as "refundAmount",
         ${breakdownColumn('o', 'o.hold_id')} as breakdown, coalesce(o.pricing, '{"fees": [], "tax": null}'::jsonb) as pricing,
         (select coalesce(json_agg(json_build_object('id', t.id, 'code', t.code, 'sectionId', t.section_id, 'sectionName', sc.name,
                                                     'seatId', t.seat_id, 'seatLabel', st.label, 'status', t.status, 'attendeeName', t.attendee_name,
                                                     'ticketTypeId', t.ticket_type_id, 'ticketTypeName', tt.name, 'price', coalesce(t.price, 0), 'discount', t.discount)
                                   order by sc.position, st.row_label, st.number, t.created_at), '[]')
            from tickets t join sections sc on sc.id = t.section_id left join seats st on st.id = t.seat_id
                 left join ticket_types tt on tt.id = t.ticket_type_id
           where t.order_id = o.id and t.holder_id is null) as tickets
    from orders o join events e on e.id = o.event_id join venues v on v.id = e.venue_id`;

type TicketRow = Omit<TicketView, 'qr' | 'attendeeName' | 'ticketTypeId' | 'ticketTypeName' | 'discount'> & {
  discount: number;
  seatId: string | null; seatLabel: string | null; attendeeName: string | null; ticketTypeId: string | null; ticketTypeName: string | null;
};
type OrderRow = Omit<OrderView, 'refund' | 'tickets'> & { refundAmount: number | null; tickets: TicketRow[] };

function toView(row: OrderRow, qrs: ReadonlyMap<string, string>): OrderView {
  const { refundAmount, tickets, ...order } = row;
  return {
    ...order,
    createdAt: new Date(order.createdAt),
    eventStartsAt: new Date(order.eventStartsAt),
    ...(refundAmount === null ? {} : { refund: { amount: refundAmount, currency: order.currency } }),
    tickets: tickets.map(({ seatId, seatLabel, attendeeName, ticketTypeId, ticketTypeName, discount, ...ticket }) => ({
      ...ticket,
      ...(discount ? { discount } : {}),
      ...(seatId ? { seatId, seatLabel: seatLabel ?? '' } : {}),
      ...(ticketTypeId ? { ticketTypeId, ticketTypeName: ticketTypeName ?? '' } : {}),
      ...(attendeeName === null ? {} : { attendeeName }),
      ...(qrs.has(ticket.id) ? { qr: qrs.get(ticket.id)! } : {}),
    })),
  };
}

/** Orders with a signed QR payload on each valid ticket (only the holder of a valid ticket sees one). */
async function toViews(rows: OrderRow[], sign: QrSigner): Promise<OrderView[]> {
  const valid = rows.flatMap((order) => order.tickets.filter((t) => t.status === 'valid').map((t) => ({ id: t.id, eventId: order.eventId, code: t.code })));
  const qrs = await sign(valid);
  const byTicket = new Map(valid.map((t, i) => [t.id, qrs[i]!]));
  return rows.map((row) => toView(row, byTicket));
}

export async function findOrder(db: Queryable, sign: QrSigner, where: { orderId: string } | { holdId: string }): Promise<OrderView | undefined> {
  const byHold = 'holdId' in where;
  const { rows } = await db.query<OrderRow>(`${orderSelect} where ${byHold ? 'o.hold_id' : 'o.id'} = $1`, [byHold ? where.holdId : where.orderId]);
  return (await toViews(rows, sign))[0];
}

export async function listOrders(db: Queryable, sign: QrSigner, userId: string): Promise<OrderView[]> {
  const { rows } = await db.query<OrderRow>(`${orderSelect} where o.user_id = $1 order by o.created_at desc limit 200`, [userId]);
  return toViews(rows, sign);
}
