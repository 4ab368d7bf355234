import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, type TestBrowser } from './browser.js';

const width = 640;
const height = 480;

/**
 * A Y4M video (what Chromium's fake camera plays, looping) whose frames show `text` as a QR code:
 * black modules on a white field in the luma plane, neutral chroma.
 */
function qrVideo(text: string): Buffer {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const quiet = 4;
  const scale = Math.floor(Math.min(width, height) / (modules.size + 2 * quiet));
  const side = (modules.size + 2 * quiet) * scale;
  const [left, top] = [Math.floor((width - side) / 2), Math.floor((height - side) / 2)];
  const luma = Buffer.alloc(width * height, 255);
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (!modules.get(row, col)) continue;
      for (let y = 0; y < scale; y++) {
        const start = (top + (row + quiet) * scale + y) * width + left + (col + quiet) * scale;
        luma.fill(0, start, start + scale);
      }
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma, chroma]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F5:1 Ip A1:1 C420jpeg\n`), frame, frame]);
}

describe('the door scanner with a camera', () => {
  let app: TestApp;
  let browser: TestBrowser | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'onsale-camera-'));
  beforeAll(async () => {
    app = await startTestApp('postgres');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a ticket\'s QR code from the camera (Chromium\'s fake capture playing a generated code) and admits it', async () => {
    const event = await app.createEvent({ title: 'Camera Night' });
    const buyer = await app.registerBuyer();
    const hold = (await app.request('POST', '/api/v1/holds', { token: buyer.token, body: { eventId: event.id, sectionId: event.sections[0].id, quantity: 1 } })).body;
    const order = (await app.request('POST', `/api/v1/holds/${hold.id}/checkout`, { token: buyer.token, body: { payment: { cardNumber: '4242424242424242' } } })).body;
    const ticket = order.tickets[0];
    const device = (await app.request('POST', `/api/v1/events/${event.id}/checkin/devices`, { token: app.adminToken, body: { name: 'Camera door' } })).body;

    const video = join(dir, 'qr.y4m');
    writeFileSync(video, qrVideo(ticket.qr));
    browser = await launchBrowser(app.url, ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]);
    const page = await browser.newPage({ permissions: ['camera'] });
    await page.goto(`/scan/${event.id}#token=${device.deviceToken}`);
    await page.getByTestId('scan-status').filter({ hasText: '1 ticket, 0 checked in' }).waitFor();
    await page.getByRole('button', { name: 'Scan with camera' }).click();
    const result = page.getByTestId('scan-result');
    await result.waitFor({ timeout: 60_000 });
    expect(await result.getAttribute('data-ok')).toBe('true');
    const admitted = await app.db.query('select 1 from checkins where ticket_id = $1 and reverted_at is null', [ticket.id]);
    expect(admitted.rowCount).toBe(1);
    // Like every other page of the suite (harness.ts), the scanner runs with a clean console.
    expect(browser.consoleProblems()).toEqual([]);
  });
});
