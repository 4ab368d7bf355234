import { inflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { PDFArray, PDFContentStream, PDFDocument, PDFName, PDFRawStream } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { waitFor } from '../../../test/support/wait.js';
import { venueTime } from './ticket-pdf.js';

// jsQR ships CommonJS with an ES-style declaration file: require() gives the function both to Node and to the type checker.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;

/**
 * The QR code drawn on a page, decoded as a viewer would see it: the filled squares of the page's
 * content stream (`x y w h re`) painted onto a bitmap, which jsQR reads.
 */
function qrCodesOn(page: ReturnType<PDFDocument['getPages']>[number]): string[] {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => page.doc.context.lookup(ref)) : [contents];
  const content = streams.map((stream) => {
    if (stream instanceof PDFContentStream) return Buffer.from(stream.getUnencodedContents()).toString('latin1');
    if (!(stream instanceof PDFRawStream)) return '';
    const flate = stream.dict.lookup(PDFName.of('Filter')) === PDFName.of('FlateDecode');
    return (flate ? inflateSync(stream.contents) : Buffer.from(stream.contents)).toString('latin1');
  }).join('\n');
  const squares = [...content.matchAll(/(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re/g)].map((m) => m.slice(1, 5).map(Number) as [number, number, number, number]);
  if (squares.length === 0) return [];
  const cell = squares[0]![2];
  const quiet = 4 * cell;
  const left = Math.min(...squares.map(([x]) => x)) - quiet;
  const top = Math.max(...squares.map(([, y]) => y)) + cell + quiet;
  const scale = 4; // pixels per module
  const side = Math.round((Math.max(...squares.map(([x]) => x)) + cell + quiet - left) / cell) * scale;
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255);
  for (const [x, y] of squares) {
    const col = Math.round((x - left) / cell);
    const row = Math.round((top - y - cell) / cell);
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) rgba.fill(0, ((row * scale + dy) * side + col * scale + dx) * 4, ((row * scale + dy) * side + col * scale + dx) * 4 + 3);
    }
  }
  const decoded = jsQR(rgba, side, side);
  return decoded ? [decoded.data] : [];
}

describe('PDF tickets', () => {
  let app: TestApp;
  let buyer: Buyer;
  beforeAll(async () => {
    app = await startTestApp('postgres');
    buyer = await app.registerBuyer();
  });
  afterAll(() => app?.close());

  it('has one page per valid ticket whose QR decodes to the ticket\'s signed payload, with the event\'s time on the venue\'s clock', async () => {
    const venue = (await app.request('POST', '/api/v1/venues', { token: app.adminToken, body: { name: 'Coliseu', city: 'Porto', address: 'Rua de Passos Manuel 137', timeZone: 'Europe/Lisbon' } })).body;
    expect(venue.timeZone).toBe('Europe/Lisbon');
    const event = await app.createEvent({ venueId: venue.id, sections: [{ name: 'Plateia', price: 1000, rows: [{ label: 'B', seats: 4 }] }] });
    const seats = (await app.request('GET', `/api/v1/events/${event.id}/seats`)).body.slice(0, 3).map((s: { id: string }) => s.id);
    const hold = (await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, seatIds: seats } })).body;
    const order = (await app.request('POST', `/api/v1/holds/${hold.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } })).body;
    await app.request('PATCH', `/api/v1/tickets/${order.tickets[0].id}`, { token: buyer.token, body: { attendeeName: 'Zoë Ñandú 李' } });
    const friend = await app.registerBuyer();
    await app.request('POST', `/api/v1/tickets/${order.tickets[2].id}/transfer`, { token: buyer.token, body: { email: friend.email } });
    const view = (await app.request('GET', `/api/v1/orders/${order.id}`, { token: buyer.token })).body;

    const response = await app.server.app.inject({ method: 'GET', url: `/api/v1/orders/${order.id}/tickets.pdf`, headers: { authorization: `Bearer ${buyer.token}` } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    const pdf = await PDFDocument.load(response.rawPayload);
    const pages = pdf.getPages();
    expect(pages).toHaveLength(2); // the transferred ticket is the friend's now
    const valid = view.tickets.filter((t: { status: string }) => t.status === 'valid').map((t: { qr: string }) => t.qr);
    expect(pages.flatMap(qrCodesOn).sort()).toEqual(valid.sort());
    expect(venueTime(new Date('2030-07-01T19:30:00Z'), 'Europe/Lisbon')).toContain('20:30');

    const stranger = await app.registerBuyer();
    expect((await app.request('GET', `/api/v1/orders/${order.id}/tickets.pdf`, { token: stranger.token })).status).toBe(404);
    expect((await app.request('GET', `/api/v1/orders/${order.id}/tickets.pdf`, { token: app.adminToken })).status).toBe(200);
    expect((await app.request('POST', '/api/v1/venues', { token: app.adminToken, body: { name: 'X', city: 'Y', timeZone: 'Mars/Olympus' } })).status).toBe(400);
  });

  it('attaches the PDF tickets and the calendar entry to the confirmation, resends it on request (rate-limited), and serves the .ics', async () => {
    const event = await app.createEvent({ title: 'Calendar; Night, Live' });
    const hold = (await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } })).body;
    const order = (await app.request('POST', `/api/v1/holds/${hold.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } })).body;
    const confirmations = () => app.db.query<{ attachments: string[] }>(
      `select i.attachments from dev_inbox i join outbox o on o.id = i.outbox_id where o.type = 'order.confirmed' and o.payload->>'orderId' = $1`, [order.id]);
    const first = await waitFor(confirmations, (r) => r.rows.length === 1);
    expect(first.rows[0]!.attachments).toEqual(['tickets.pdf', 'event.ics']);

    const resend = () => app.request('POST', `/api/v1/orders/${order.id}/resend`, { token: buyer.token });
    expect((await resend()).status).toBe(202);
    await waitFor(confirmations, (r) => r.rows.length === 2);
    expect((await resend()).status).toBe(202);
    expect((await resend()).status).toBe(202);
    const throttled = await resend();
    expect([throttled.status, throttled.body.error.code]).toEqual([429, 'too_many_requests']);
    const stranger = await app.registerBuyer();
    expect((await app.request('POST', `/api/v1/orders/${order.id}/resend`, { token: stranger.token })).status).toBe(404);

    const ics = await app.request('GET', `/api/v1/events/${event.id}/calendar.ics`);
    expect(ics.headers['content-type']).toContain('text/calendar');
    expect(ics.body).toContain(`UID:${event.id}@onsale`);
    expect(ics.body).toContain('SUMMARY:Calendar\\; Night\\, Live');
    expect(ics.body).toMatch(/DTSTART:\d{8}T\d{6}Z/);
  });
});
