import { PDFDocument } from 'pdf-lib';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderView } from './orders.js';
import { createPdfRenderer, type PdfRenderer } from './pdf-renderer.js';
import type { TicketVenue } from './ticket-pdf.js';

const venue: TicketVenue = { eventTitle: 'Night', startsAt: new Date('2027-05-01T19:00:00Z'), endsAt: null, venueName: 'Hall', address: null, city: 'Ghent', timeZone: 'Europe/Brussels' };

/** An order with `count` valid tickets, as the order view gives it (the fields the documents print). */
const orderOf = (count: number) => ({
  id: '00000000-0000-4000-8000-000000000001',
  eventId: '00000000-0000-4000-8000-000000000002',
  status: 'confirmed',
  total: 2000 * count,
  currency: 'EUR',
  tickets: Array.from({ length: count }, (_, i) => ({ id: `t${i}`, code: `CODE${i}`, status: 'valid', sectionName: 'Floor', qr: `payload-${i}` })),
}) as unknown as OrderView;

describe('the PDF thread', () => {
  let renderer: PdfRenderer;
  afterEach(() => renderer?.close());

  it('draws tickets, one page each, and many at once', async () => {
    renderer = createPdfRenderer();
    const pdfs = await Promise.all([1, 2, 3, 4].map((count) => renderer.draw('tickets', orderOf(count), venue)));
    expect(await Promise.all(pdfs.map(async (pdf) => (await PDFDocument.load(pdf)).getPageCount()))).toEqual([1, 2, 3, 4]);
  });

  it('fails what a dying thread was drawing, and starts a new thread for the next draw', async () => {
    renderer = createPdfRenderer();
    const drawing = renderer.draw('tickets', orderOf(2), venue);
    const failed = expect(drawing).rejects.toThrow('exited');
    await renderer.close();
    await failed;
    expect((await PDFDocument.load(await renderer.draw('tickets', orderOf(1), venue))).getPageCount()).toBe(1);
  });

  it('bounds the draws waiting and the time each may take', async () => {
    renderer = createPdfRenderer({ queuedMax: 1 });
    // One drawing, one waiting: a third is refused at once.
    const accepted = [renderer.draw('tickets', orderOf(1), venue), renderer.draw('tickets', orderOf(1), venue)];
    await expect(renderer.draw('tickets', orderOf(1), venue)).rejects.toMatchObject({ code: 'unavailable' });
    await Promise.all(accepted);
    // A thread past the bound is ended; the draw queued behind it goes on in a new one, with a bound of its own.
    const impatient = createPdfRenderer({ timeoutMs: 1 });
    const outcomes = await Promise.allSettled([1, 2].map((count) => impatient.draw('tickets', orderOf(count), venue)));
    expect(outcomes.map((r) => (r.status === 'rejected' ? String(r.reason) : 'drawn'))).toEqual([expect.stringContaining('took longer than 1 ms'), expect.stringContaining('took longer than 1 ms')]);
    await impatient.close();
  });
});
