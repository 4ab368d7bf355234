import { inflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type Buyer, type TestApp } from '../../../test/support/app.js';
import { waitFor } from '../../../test/support/wait.js';
import { venueTime } from './ticket-pdf.js';

// jsQR ships CommonJS with an ES-style declaration file: require() gives the function both to Node and to the type checker.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;

/** The QR codes drawn on a page, decoded from its embedded images (RGB, Flate-compressed, as pdf-lib embeds a PNG). */
function qrCodesOn(page: ReturnType<PDFDocument['getPages']>[number]): string[] {
  const xobjects = page.node.Resources()!.lookup(PDFName.of('XObject'), PDFDict);
  return xobjects.keys().flatMap((key) => {
    const image = xobjects.lookup(key);
    if (!(image instanceof PDFRawStream)) return [];
    const width = image.dict.lookup(PDFName.of('Width'), PDFNumber).asNumber();
    const height = image.dict.lookup(PDFName.of('Height'), PDFNumber).asNumber();
    const rgb = inflateSync(image.contents);
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([rgb[i * 3]!, rgb[i * 3 + 1]!, rgb[i * 3 + 2]!, 255], i * 4);
    const decoded = jsQR(rgba, width, height);
    return decoded ? [decoded.data] : [];
  });
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
