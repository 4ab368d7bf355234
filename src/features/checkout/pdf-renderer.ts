import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../../errors.js';
import { limits } from '../../limits.js';
import type { OrderView } from './orders.js';
import type { TicketVenue } from './ticket-pdf.js';

export type PdfDocument = 'tickets' | 'receipt';
export interface PdfRequest { id: number; document: PdfDocument; order: OrderView; venue: TicketVenue }
export type PdfReply = { id: number; pdf: Uint8Array } | { id: number; error: string };

/** Draws an order's PDFs off the event loop, in one worker thread (pdf-worker.ts). */
export interface PdfRenderer {
  draw(document: PdfDocument, order: OrderView, venue: TicketVenue): Promise<Uint8Array>;
  /** Ends the thread; a later `draw` starts another. */
  close(): Promise<void>;
}

interface Draw {
  request: PdfRequest;
  resolve(pdf: Uint8Array): void;
  reject(error: Error): void;
}

/**
 * The worker's code sits next to this module: the build's `pdf-worker.js`, or, running from source
 * (tsx, Vitest), `pdf-worker-tsx.mjs`, which registers tsx in the thread first.
 */
function startWorker(): Worker {
  const fromSource = extname(fileURLToPath(import.meta.url)) === '.ts';
  const worker = new Worker(new URL(fromSource ? './pdf-worker-tsx.mjs' : './pdf-worker.js', import.meta.url));
  // Drawing never keeps a process from exiting.
  worker.unref();
  return worker;
}

const busy = () => new AppError('unavailable', 'Too many documents are being drawn; try again in a moment.');

/**
 * The thread draws one document at a time, sent when it is free: the time bound covers the drawing
 * alone, never the wait behind others, and a thread ended for running past it fails only the draw it
 * was on (the queue goes on in a new thread).
 */
export function createPdfRenderer({ timeoutMs = limits.pdfDrawMsMax, queuedMax = limits.pdfDrawsQueuedMax }: { timeoutMs?: number; queuedMax?: number } = {}): PdfRenderer {
  let worker: Worker | null = null;
  let nextId = 0;
  const queue: Draw[] = [];
  let drawing: { draw: Draw; timer: NodeJS.Timeout } | null = null;

  function finish(outcome: { pdf: Uint8Array } | { error: Error }): void {
    if (!drawing) return;
    const { draw, timer } = drawing;
    drawing = null;
    clearTimeout(timer);
    if ('pdf' in outcome) draw.resolve(outcome.pdf);
    else draw.reject(outcome.error);
    next();
  }

  function running(): Worker {
    if (worker) return worker;
    const started = startWorker();
    started.on('message', (reply: PdfReply) => {
      if (worker === started && reply.id === drawing?.draw.request.id) finish('pdf' in reply ? { pdf: reply.pdf } : { error: new Error(reply.error) });
    });
    // A thread that dies fails the draw it was on; the next draw starts a new one.
    const lost = (error: Error) => {
      if (worker !== started) return;
      worker = null;
      finish({ error });
    };
    started.on('error', lost);
    started.on('exit', (code) => lost(new Error(`the PDF thread exited (${code})`)));
    return (worker = started);
  }

  function next(): void {
    const draw = queue.shift();
    if (!draw) return;
    const timer = setTimeout(() => {
      // A draw this long means a wedged thread: it is ended, and the queue goes on in a new one.
      const wedged = worker;
      worker = null;
      finish({ error: new Error(`drawing the ${draw.request.document} PDF took longer than ${timeoutMs} ms`) });
      void wedged?.terminate();
    }, timeoutMs);
    drawing = { draw, timer };
    running().postMessage(draw.request);
  }

  return {
    draw(document, order, venue) {
      if (queue.length >= queuedMax) return Promise.reject(busy());
      return new Promise<Uint8Array>((resolve, reject) => {
        queue.push({ request: { id: nextId++, document, order, venue }, resolve, reject });
        if (!drawing) next();
      });
    },
    async close() {
      const closing = worker;
      worker = null;
      const closed = new Error('the PDF thread exited (closed)');
      for (const draw of queue.splice(0)) draw.reject(closed);
      finish({ error: closed });
      await closing?.terminate();
    },
  };
}
