/**
 * The thread that draws PDFs (pdf-renderer.ts): a ticket PDF is tens of milliseconds of synchronous
 * work, so drawn on a node's event loop, a dispatcher batch of confirmation emails stalled every
 * request on that node for a second at a time in the middle of a sale.
 */
import { parentPort } from 'node:worker_threads';
import { renderReceiptPdf } from './receipt-pdf.js';
import { renderTicketsPdf } from './ticket-pdf.js';
import type { PdfReply, PdfRequest } from './pdf-renderer.js';

const draw = { tickets: renderTicketsPdf, receipt: renderReceiptPdf };

parentPort!.on('message', async ({ id, document, order, venue }: PdfRequest) => {
  let reply: PdfReply;
  try {
    reply = { id, pdf: await draw[document](order, venue) };
  } catch (error) {
    reply = { id, error: String((error as Error)?.message ?? error) };
  }
  parentPort!.postMessage(reply, 'pdf' in reply ? [reply.pdf.buffer as ArrayBuffer] : []);
});
