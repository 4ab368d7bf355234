import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type { OrderView } from './orders.js';
import { venueTime, type TicketVenue } from './ticket-pdf.js';

/** Digits after the point of a currency (2 for EUR, 0 for JPY), as Intl knows it. */
function fractionDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Minor units as "12.50 EUR" (in the currency's own minor unit). */
export function formatMoney(amount: number, currency: string): string {
  const digits = fractionDigits(currency);
  const sign = amount < 0 ? '-' : '';
  return `${sign}${(Math.abs(amount) / 10 ** digits).toFixed(digits)} ${currency}`;
}

/** "20%" or "8.875%". */
const percent = (rate: number) => `${Number(rate.toFixed(3))}%`;

export interface ReceiptLine {
  label: string;
  amount: string;
  bold?: boolean;
}

/**
 * The receipt's lines, for the PDF and for tests: the tickets grouped by what they are and cost,
 * then the breakdown (subtotal, discount, each fee, tax, total) and any refund.
 */
export function receiptLines(order: OrderView): ReceiptLine[] {
  const { breakdown: b, currency } = order;
  const groups = new Map<string, { label: string; count: number; unit: number }>();
  // Every ticket the order sold (a void one still was paid for; the refund line says what came back).
  for (const ticket of order.tickets) {
    const label = [ticket.sectionName, ticket.ticketTypeName].filter(Boolean).join(', ');
    const listPrice = ticket.price + (ticket.discount ?? 0);
    const key = `${label}\u0000${listPrice}`;
    const group = groups.get(key) ?? groups.set(key, { label, count: 0, unit: listPrice }).get(key)!;
    group.count += 1;
  }
  const lines: ReceiptLine[] = [...groups.values()].map((g) => ({ label: `${g.count} x ${g.label} at ${formatMoney(g.unit, currency)}`, amount: formatMoney(g.count * g.unit, currency) }));
  lines.push({ label: 'Subtotal', amount: formatMoney(b.subtotal, currency) });
  if (b.discount > 0) lines.push({ label: 'Discount', amount: formatMoney(-b.discount, currency) });
  for (const fee of order.pricing.fees) lines.push({ label: `${fee.name}${fee.refundable ? '' : ' (non-refundable)'}`, amount: formatMoney(fee.amount, currency) });
  const tax = order.pricing.tax;
  if (tax) lines.push({ label: `${tax.name} ${percent(tax.ratePercent)}${b.taxIncluded ? ' (included)' : ''}`, amount: formatMoney(b.tax, currency) });
  lines.push({ label: 'Total paid', amount: formatMoney(b.total, currency), bold: true });
  if (order.refund) lines.push({ label: 'Refunded', amount: formatMoney(-order.refund.amount, currency) });
  return lines;
}

/** The standard fonts encode WinAnsi only: what they cannot draw prints as "?". */
function printable(font: PDFFont, text: string): string {
  const drawable = new Set(font.getCharacterSet());
  return [...text].map((c) => (drawable.has(c.codePointAt(0)!) ? c : '?')).join('');
}

const pageSize: [number, number] = [595, 842]; // A4 portrait, in points
const margin = 48;

/** One A4 page: the order, the event, its tickets and the breakdown of what was paid. */
export async function renderReceiptPdf(order: OrderView, venue: TicketVenue): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(`Receipt: order ${order.id}`);
  pdf.setProducer('Onsale');
  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  const page: PDFPage = pdf.addPage(pageSize);
  const [width, height] = pageSize;
  let y = height - margin;
  const text = (value: string, x: number, font: PDFFont, size: number, right = false) => {
    const shown = printable(font, value).slice(0, 90);
    page.drawText(shown, { x: right ? x - font.widthOfTextAtSize(shown, size) : x, y, size, font });
  };
  text('Receipt', margin, bold, 22);
  y -= 30;
  for (const [label, value] of [
    ['Order', order.id],
    ['Date', new Date(order.createdAt).toISOString().slice(0, 10)],
    ['Event', venue.eventTitle],
    ['When', venueTime(venue.startsAt, venue.timeZone)],
    ['Where', [venue.venueName, venue.address, venue.city].filter(Boolean).join(', ')],
  ] as const) {
    page.drawText(label.toUpperCase(), { x: margin, y, size: 8, font: regular, color: rgb(0.4, 0.4, 0.4) });
    text(value, margin + 70, regular, 11);
    y -= 18;
  }
  y -= 16;
  for (const line of receiptLines(order)) {
    if (line.bold) {
      page.drawLine({ start: { x: margin, y: y + 14 }, end: { x: width - margin, y: y + 14 }, thickness: 0.5 });
    }
    text(line.label, margin, line.bold ? bold : regular, 11);
    text(line.amount, width - margin, line.bold ? bold : regular, 11, true);
    y -= 20;
    if (y < margin) break;
  }
  return pdf.save({ useObjectStreams: false });
}
