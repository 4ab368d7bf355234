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

interface Pending {
  resolve(pdf: Uint8Array): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
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

export function createPdfRenderer({ timeoutMs = limits.pdfDrawMsMax, queuedMax = limits.pdfDrawsQueuedMax }: { timeoutMs?: number; queuedMax?: number } = {}): PdfRenderer {
  let worker: Worker | null = null;
  let nextId = 0;
  const pending = new Map<number, Pending>();

  const settle = (id: number, outcome: { pdf: Uint8Array } | { error: Error }) => {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    clearTimeout(call.timer);
    if ('pdf' in outcome) call.resolve(outcome.pdf);
    else call.reject(outcome.error);
  };

  function running(): Worker {
    if (worker) return worker;
    const started = startWorker();
    started.on('message', (reply: PdfReply) => settle(reply.id, 'pdf' in reply ? { pdf: reply.pdf } : { error: new Error(reply.error) }));
    // A thread that dies fails what it was drawing; the next draw starts a new one.
    const lost = (error: Error) => {
      if (worker === started) worker = null;
      for (const id of [...pending.keys()]) settle(id, { error });
    };
    started.on('error', lost);
    started.on('exit', (code) => lost(new Error(`the PDF thread exited (${code})`)));
    return (worker = started);
  }

  async function close(): Promise<void> {
    const closing = worker;
    worker = null;
    await closing?.terminate();
  }

  return {
    draw(document, order, venue) {
      if (pending.size >= queuedMax) return Promise.reject(busy());
      const id = nextId++;
      return new Promise<Uint8Array>((resolve, reject) => {
        // A draw this late means a wedged thread: it is ended (failing what it had), the next draw starts another.
        const timer = setTimeout(() => {
          settle(id, { error: new Error(`drawing the ${document} PDF took longer than ${timeoutMs} ms`) });
          void close();
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        running().postMessage({ id, document, order, venue } satisfies PdfRequest);
      });
    },
    close,
  };
}
