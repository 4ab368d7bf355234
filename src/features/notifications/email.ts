import type { FastifyBaseLogger } from 'fastify';
import nodemailer from 'nodemailer';
import type { Database } from '../../db/database.js';
import { groupSeatLabels } from '../../seat-labels.js';
import type { NotificationType } from './outbox.js';

export interface EmailMessage {
  outboxId: string;
  userId: string | null;
  to: string;
  subject: string;
  text: string;
  attachments?: EmailAttachment[];
  /** The text carries a credential (a single-use link): it may reach the recipient, never a log. */
  carriesCredential?: boolean;
}

export interface EmailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface EmailTransport {
  send(message: EmailMessage): Promise<void>;
  close(): void;
}

/**
 * SMTP through nodemailer. The Message-ID is derived from the outbox id, so a redelivered message
 * carries the same id and mail clients (or the `Onsale-Event-Id` header) can drop the duplicate.
 */
export function smtpTransport(url: string, from: string): EmailTransport {
  const transporter = nodemailer.createTransport(url);
  return {
    async send(message) {
      await transporter.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        attachments: (message.attachments ?? []).map(({ filename, contentType, content }) => ({ filename, contentType, content })),
        messageId: `<${message.outboxId}@onsale>`,
        headers: { 'Onsale-Event-Id': message.outboxId },
      });
    },
    close: () => transporter.close(),
  };
}

/** The development default: each message goes to the log and to the dev inbox (GET /api/v1/me/inbox). */
export function devInboxTransport(db: Database, log: FastifyBaseLogger): EmailTransport {
  return {
    async send(message) {
      const text = message.carriesCredential ? '(withheld: it carries a single-use link; read it in the dev_inbox table, or set SMTP_URL)' : message.text;
      log.info({ email: { to: message.to, subject: message.subject, outboxId: message.outboxId }, text }, 'email (dev transport)');
      await db.query(
        `insert into dev_inbox (outbox_id, user_id, to_address, subject, body, attachments)
         select $1, $2, $3, $4, $5, $6 where not exists (select 1 from dev_inbox where outbox_id = $1 and to_address = $3)`,
        [message.outboxId, message.userId, message.to, message.subject, message.text, (message.attachments ?? []).map((a) => a.filename)],
      );
    },
    close: () => undefined,
  };
}

/** The payload fields emails use; which are present depends on the notification type. */
interface EmailPayload {
  orderId?: string;
  holdId?: string;
  total?: number;
  currency?: string;
  quantity?: number;
  expiresAt?: string;
  refund?: { amount: number; currency: string };
  /** What an order's total is made of (checkout's breakdown, docs/fees.md), with its fees by name and its tax. */
  breakdown?: { subtotal: number; discount: number; fees: number; tax: number; total: number; taxIncluded: boolean };
  pricing?: { fees: { name: string; amount: number }[]; tax: { name: string; ratePercent: number } | null };
  tickets?: { code: string; sectionName: string; seatLabel: string | null }[];
  /** Seat labels of a reserved-seating offer. */
  seats?: string[];
  /** Who passed a transferred ticket on. */
  from?: string;
  /** An invitation: the organization, the role offered and the single-use link (a password reset: the link). */
  organizationName?: string;
  role?: string;
  link?: string;
}

/** When and where the notification's event is: emails about an event say both. */
export interface EmailEventPlace {
  startsAt: Date;
  venueName: string;
  address: string | null;
  city: string;
  /** IANA zone of the venue: the time is written in it, and named. */
  timeZone: string;
}

export interface RenderInput {
  type: NotificationType;
  eventTitle: string | null;
  place?: EmailEventPlace | null;
  eventId?: string | null;
  payload: EmailPayload;
  /** The web app's address (PUBLIC_BASE_URL): links in the email start with it. */
  baseUrl?: string;
}

/** Where the email's reader acts: the order on their tickets page, the offer (or hold) on its page. */
function linksOf({ type, eventId, payload: p, baseUrl }: RenderInput): { order?: string; offer?: string; hold?: string } {
  if (!baseUrl) return {};
  return {
    ...(p.orderId && { order: `${baseUrl}/tickets?order=${encodeURIComponent(p.orderId)}` }),
    ...(type.startsWith('waitlist.offer') && eventId && { offer: `${baseUrl}/events/${encodeURIComponent(eventId)}#offer` }),
    ...(type === 'hold.expiring' && p.holdId && { hold: `${baseUrl}/checkout/${encodeURIComponent(p.holdId)}` }),
  };
}

/** The body with a closing line for each link it has. */
const withLinks = (text: string, links: { label: string; url: string | undefined }[]) =>
  text + links.flatMap(({ label, url }) => (url ? [`\n${label}: ${url}\n`] : [])).join('');

const money = (amount = 0, currency = '') => `${(amount / 100).toFixed(2)} ${currency}`;
/** The order's breakdown as receipt lines ("Subtotal ... Total"), or nothing for a payload without one. */
function breakdownLines({ breakdown: b, pricing, currency }: EmailPayload): string {
  if (!b) return '';
  const rows: [string, number][] = [['Subtotal', b.subtotal]];
  if (b.discount > 0) rows.push(['Discount', -b.discount]);
  for (const fee of pricing?.fees ?? []) rows.push([fee.name, fee.amount]);
  if (pricing?.tax) rows.push([`${pricing.tax.name} ${Number(pricing.tax.ratePercent.toFixed(3))}%${b.taxIncluded ? ' (included)' : ''}`, b.tax]);
  rows.push(['Total', b.total]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return `\n${rows.map(([label, amount]) => `  ${label.padEnd(width)}  ${amount < 0 ? '-' : ''}${money(Math.abs(amount), currency)}`).join('\n')}\n`;
}

const when = (iso = '') => new Date(iso).toUTCString();

/** Subject and plain-text body of the email for one notification. */
export function renderEmail(input: RenderInput): { subject: string; text: string } {
  const { subject, text } = renderBody(input);
  const links = linksOf(input);
  return { subject, text: withLinks(text + placeLines(input.place), [{ label: 'Your order', url: links.order }, { label: 'Your offer', url: links.offer }, { label: 'Check out', url: links.hold }]) };
}

/** What an order holds, a line per section: "Floor: 2 tickets", "Stalls: Row H, seats 3–10". */
function ticketSummary(tickets: readonly { sectionName: string; seatLabel: string | null }[]): string {
  const sections = new Map<string, (typeof tickets)[number][]>();
  for (const t of tickets) sections.set(t.sectionName, [...(sections.get(t.sectionName) ?? []), t]);
  return [...sections].map(([name, those]) => {
    const seats = those.flatMap((t) => (t.seatLabel ? [t.seatLabel] : []));
    return `${name}: ${seats.length ? groupSeatLabels(seats).join('; ') : `${those.length} ticket${those.length === 1 ? '' : 's'}`}`;
  }).join('\n');
}

/** "When: Monday 7 December 2026 at 21:00 (Europe/Lisbon time)" and "Where: the venue, its address, the city". */
function placeLines(place: EmailEventPlace | null | undefined): string {
  if (!place) return '';
  const at = new Intl.DateTimeFormat('en-GB', { timeZone: place.timeZone, dateStyle: 'full', timeStyle: 'short' }).format(place.startsAt);
  return `\nWhen: ${at} (${place.timeZone} time)\nWhere: ${[place.venueName, place.address, place.city].filter(Boolean).join(', ')}\n`;
}

function renderBody({ type, eventTitle, payload: p }: RenderInput): { subject: string; text: string } {
  const title = eventTitle ?? 'your event';
  switch (type) {
    case 'order.confirmed': {
      const tickets = p.tickets ?? [];
      const lines = tickets.map((t) => `  ${t.code}  ${t.sectionName}${t.seatLabel ? ` seat ${t.seatLabel}` : ''}`);
      return {
        subject: `Your tickets for ${title}`,
        text: `Your order ${p.orderId} is confirmed (${money(p.total, p.currency)}).\n\n${ticketSummary(tickets)}\n${breakdownLines(p)}\nTicket codes:\n${lines.join('\n')}\n`,
      };
    }
    case 'order.cancelled':
      return { subject: `Order cancelled: ${title}`, text: `Your order ${p.orderId} was cancelled. ${money(p.refund?.amount, p.refund?.currency)} will be refunded.\n` };
    case 'hold.expiring':
      return { subject: `Your tickets for ${title} are held until ${when(p.expiresAt)}`, text: `Check out hold ${p.holdId} before ${when(p.expiresAt)}, or the tickets go back on sale.\n` };
    case 'hold.expired':
      return { subject: `Your hold for ${title} expired`, text: `Hold ${p.holdId} expired and its tickets went back on sale.\n` };
    case 'waitlist.offer_made':
      return {
        subject: `Tickets for you: ${title}`,
        text: `${p.quantity} ticket(s) came back and are held for you (${money(p.total, p.currency)}${p.seats ? `, ${groupSeatLabels(p.seats).join('; ')}` : ''}) until ${when(p.expiresAt)}.\nCheck out hold ${p.holdId}, or decline it so the next fan gets them.\n`,
      };
    case 'waitlist.offer_expiring':
      return { subject: `Your waitlist offer for ${title} lapses soon`, text: `Check out hold ${p.holdId} before ${when(p.expiresAt)}, or the tickets go to the next fan.\n` };
    case 'waitlist.offer_lapsed':
      return { subject: `Your waitlist offer for ${title} lapsed`, text: `Offer ${p.holdId} was not checked out in time; the tickets went to the next fan.\n` };
    case 'event.cancelled':
      return { subject: `Cancelled: ${title}`, text: `${title} has been cancelled by the organizer. Your orders for it are cancelled and refunded in full.\n` };
    case 'organization.invited':
      return {
        subject: `You are invited to join ${p.organizationName} on Onsale`,
        text: `You are invited to join ${p.organizationName} as ${p.role?.replace('_', ' ')}.\n\nOpen this link to create your account and join (it works once, until ${when(p.expiresAt)}):\n${p.link}\n`,
      };
    case 'account.password_reset':
      return {
        subject: 'Reset your Onsale password',
        text: `Someone, hopefully you, asked to reset the password of your Onsale account.\n\nOpen this link to choose a new password (it works once, until ${when(p.expiresAt)}):\n${p.link}\n\nIf you did not ask, ignore this email: your password stays as it is.\n`,
      };
    case 'ticket.received': {
      const [t] = p.tickets ?? [];
      return { subject: `A ticket for ${title} was passed to you`, text: `${p.from ?? 'Someone'} passed you a ticket.\n\nTicket code:\n  ${t?.code}  ${t?.sectionName}${t?.seatLabel ? ` seat ${t.seatLabel}` : ''}\n` };
    }
  }
}
