import { PDFDocument, StandardFonts, fill, popGraphicsState, pushGraphicsState, rectangle, rgb, setFillingRgbColor, type PDFFont, type PDFPage } from 'pdf-lib';
import QRCode from 'qrcode';
import type { Queryable } from '../../db/database.js';
import type { OrderView } from './orders.js';

/** Where and when, as a ticket prints it. */
export interface TicketVenue {
  eventTitle: string;
  startsAt: Date;
  endsAt: Date | null;
  venueName: string;
  address: string | null;
  city: string;
  timeZone: string;
}

export async function ticketVenue(db: Queryable, eventId: string): Promise<TicketVenue | undefined> {
  const { rows } = await db.query<TicketVenue>(
    `select e.title as "eventTitle", e.starts_at as "startsAt", e.ends_at as "endsAt", v.name as "venueName", v.address, v.city, v.time_zone as "timeZone"
       from events e join venues v on v.id = e.venue_id where e.id = $1`,
    [eventId],
  );
  return rows[0];
}

/** The event's start on the venue's clock, with the zone named (a buyer abroad reads the door time). */
export const venueTime = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
  }).format(new Date(at));

/**
 * The standard fonts encode WinAnsi only; a character they cannot draw (a name in another script)
 * prints as "?" rather than failing the whole document.
 */
function printable(font: PDFFont, text: string): string {
  const drawable = new Set(font.getCharacterSet());
  return [...text].map((c) => (drawable.has(c.codePointAt(0)!) ? c : '?')).join('');
}

const pageSize: [number, number] = [420, 595]; // A5 portrait, in points
const margin = 36;

function drawTicket(page: PDFPage, fonts: { regular: PDFFont; bold: PDFFont }, lines: { label: string; value: string }[], title: string) {
  const [, height] = pageSize;
  page.drawText(printable(fonts.bold, title).slice(0, 60), { x: margin, y: height - margin - 18, size: 18, font: fonts.bold });
  let y = height - margin - 54;
  for (const { label, value } of lines) {
    page.drawText(label.toUpperCase(), { x: margin, y, size: 8, font: fonts.regular, color: rgb(0.4, 0.4, 0.4) });
    page.drawText(printable(fonts.regular, value).slice(0, 70), { x: margin, y: y - 14, size: 12, font: fonts.regular });
    y -= 34;
  }
}

/** Quiet zone around the code, in modules (the QR standard asks for four). */
const quietModules = 4;

/**
 * The QR drawn as vector squares, one filled path of the dark modules: sharp at any zoom and cheap to
 * make. (Rendered as a PNG it was a PNG encoded in JavaScript, then decoded and re-compressed by the PDF
 * library: a sixth of a node's CPU in a full sale, the confirmation emails' attachments.) Byte mode,
 * chosen here rather than searched for: the payload is base64url, which no smaller mode can encode.
 */
function drawQr(page: PDFPage, payload: string, x: number, y: number, side: number) {
  const { modules } = QRCode.create([{ data: Buffer.from(payload), mode: 'byte' }], { errorCorrectionLevel: 'M' });
  const cell = side / (modules.size + 2 * quietModules);
  const squares = [];
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (!modules.get(row, col)) continue;
      // PDF's y axis points up: row 0 is the top of the code.
      squares.push(rectangle(x + (col + quietModules) * cell, y + side - (row + quietModules + 1) * cell, cell, cell));
    }
  }
  page.pushOperators(pushGraphicsState(), setFillingRgbColor(0, 0, 0), ...squares, fill(), popGraphicsState());
}

/**
 * One A5 page per valid ticket: its QR (the signed payload the door scans), the event, venue and
 * address, date and time on the venue's clock, section, seat, attendee and order number.
 */
export async function renderTicketsPdf(order: OrderView, venue: TicketVenue): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(`Tickets: ${venue.eventTitle}`);
  pdf.setProducer('Onsale');
  const fonts = { regular: await pdf.embedFont(StandardFonts.Helvetica), bold: await pdf.embedFont(StandardFonts.HelveticaBold) };
  for (const ticket of order.tickets) {
    if (ticket.status !== 'valid' || !ticket.qr) continue;
    const page = pdf.addPage(pageSize);
    drawTicket(page, fonts, [
      { label: 'When', value: venueTime(venue.startsAt, venue.timeZone) },
      { label: 'Where', value: `${venue.venueName}, ${venue.city}` },
      ...(venue.address ? [{ label: 'Address', value: venue.address }] : []),
      { label: 'Section', value: ticket.sectionName },
      ...(ticket.seatLabel ? [{ label: 'Seat', value: ticket.seatLabel }] : []),
      ...(ticket.attendeeName ? [{ label: 'Attendee', value: ticket.attendeeName }] : []),
      { label: 'Order', value: order.id },
      { label: 'Ticket code', value: ticket.code },
    ], venue.eventTitle);
    const side = 180;
    drawQr(page, ticket.qr, (pageSize[0] - side) / 2, margin, side);
  }
  // Without object streams: compressing them cost four times the rest of the document (measured), for a
  // file a few kilobytes smaller.
  return pdf.save({ useObjectStreams: false });
}
