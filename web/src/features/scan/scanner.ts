import { ApiError, call, type Input, type Output } from '../../api/client';
import { load, save } from './store';
import { verifyQr, type PublicKey } from './verify';

type List = Output<'GET /events/:id/checkin/list'>;
type ListedTicket = List['tickets'][number];
export type OfflineScan = Input<'POST /events/:id/checkins/batch'>['body'][number];
type BatchResult = Output<'POST /events/:id/checkins/batch'>['results'][number];

/** What a scanner knows about its event when the network is gone. */
export interface LocalState {
  cursor: string;
  tickets: Record<string, ListedTicket>;
  /** By ticket id: the check-in that admitted it, from the server or made here offline. */
  checkins: Record<string, { at: string; device: string | null; local?: boolean }>;
  keys: PublicKey[];
  downloadedAt: string;
}

/** One scan's verdict, as the full-screen result shows it. */
export interface Verdict {
  ok: boolean;
  title: string;
  ticket?: { code: string; section: string; seat?: string | undefined; attendeeName?: string | undefined };
  /** For a second scan: when the ticket was first admitted. */
  firstAt?: string;
  offline?: boolean;
}

export interface Conflict {
  code: string;
  reason: string;
  firstAt?: string | undefined;
  device?: string | undefined;
}

const stateKey = (eventId: string) => `state:${eventId}`;
const queueKey = (eventId: string) => `queue:${eventId}`;
const batchMax = 500; // limits.offlineScanBatchMax

export const isQr = (value: string) => value.startsWith('OS1.');

const ticketOf = (t: ListedTicket | { code: string; section: string; seat?: string; attendeeName?: string }) =>
  ({ code: t.code, section: t.section, seat: t.seat, attendeeName: t.attendeeName });

/** A fetch that never reached the server (offline, connection refused) rather than an answer. */
const unreachable = (error: unknown) => error instanceof TypeError || (error instanceof ApiError && error.code === 'network_error');

export function createScanner(eventId: string, deviceToken: string | null) {
  const headers = deviceToken ? { authorization: `Bearer ${deviceToken}` } : undefined;
  const params = { id: eventId };

  const readState = async () => (await load<LocalState>(stateKey(eventId))) ?? null;
  const readQueue = async () => (await load<OfflineScan[]>(queueKey(eventId))) ?? [];

  /** Downloads the list (only the check-ins changed since the last download, when there was one) and the keys. */
  async function download(): Promise<LocalState> {
    const previous = await readState();
    const [list, keys] = await Promise.all([
      call('GET /events/:id/checkin/list', { params, query: previous ? { cursor: previous.cursor } : {}, headers }),
      call('GET /events/:id/checkin/key', { params }),
    ]);
    const checkins = { ...(previous?.checkins ?? {}) };
    for (const c of list.checkins) {
      if (c.reverted) delete checkins[c.ticketId];
      else checkins[c.ticketId] = { at: c.at, device: c.device?.name ?? null };
    }
    const state: LocalState = {
      cursor: list.cursor,
      tickets: Object.fromEntries(list.tickets.map((t) => [t.code, t])),
      checkins,
      keys: keys.keys.map((k) => ({ id: k.id, publicKey: k.publicKey })),
      downloadedAt: new Date().toISOString(),
    };
    await save(stateKey(eventId), state);
    return state;
  }

  /** Decides a scan from what the device holds, records it, and queues it for upload. */
  async function scanOffline(value: string, gate: string | undefined): Promise<Verdict> {
    const state = await readState();
    if (!state) return { ok: false, title: 'No ticket list on this device yet', offline: true };
    let code = value.toUpperCase();
    if (isQr(value)) {
      const signed = await verifyQr(value, state.keys).catch(() => undefined);
      if (!signed) return { ok: false, title: 'Not a valid ticket (signature)', offline: true };
      if (signed.eventId !== eventId) return { ok: false, title: 'Ticket for another event', offline: true };
      code = signed.code;
    }
    const ticket = state.tickets[code];
    if (!ticket) return { ok: false, title: 'Unknown or void ticket', offline: true };
    const first = state.checkins[ticket.id];
    if (first) return { ok: false, title: 'Already checked in', firstAt: first.at, ticket: ticketOf(ticket), offline: true };
    const scannedAt = new Date().toISOString();
    await remember(ticket.id, { at: scannedAt, device: null, local: true });
    const scan: OfflineScan = { clientScanId: crypto.randomUUID(), scannedAt, ...(isQr(value) ? { qr: value } : { code }), ...(gate ? { gate } : {}) };
    await save(queueKey(eventId), [...(await readQueue()), scan]);
    return { ok: true, title: 'Admitted (offline)', ticket: ticketOf(ticket), offline: true };
  }

  /** Keeps an admission the server answered in the local list, so a later offline scan of the ticket is refused. */
  async function remember(ticketId: string, checkin: LocalState['checkins'][string]) {
    const state = await readState();
    if (!state) return;
    state.checkins[ticketId] = checkin;
    await save(stateKey(eventId), state);
  }

  async function scanOnline(value: string, gate: string | undefined): Promise<Verdict> {
    try {
      const body = { ...(isQr(value) ? { qr: value } : { code: value }), ...(gate ? { gate } : {}) };
      const admitted = await call('POST /events/:id/checkins', { params, body, headers });
      await remember(admitted.ticket.id, { at: admitted.checkin.at, device: admitted.checkin.device?.name ?? null });
      return { ok: true, title: 'Admitted', ticket: ticketOf(admitted.ticket) };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.code === 'already_checked_in') return { ok: false, title: 'Already checked in', firstAt: String(error.details.firstAt) };
      const titles: Partial<Record<string, string>> = {
        not_found: 'Unknown ticket', ticket_void: 'Void ticket', wrong_event: 'Ticket for another event', invalid_ticket_signature: 'Not a valid ticket (signature)',
      };
      return { ok: false, title: titles[error.code] ?? error.message };
    }
  }

  return {
    download,
    readState,
    pending: async () => (await readQueue()).length,

    /** Online, the server decides; without a network (or when the request cannot get through), the device does. */
    async scan(value: string, gate?: string): Promise<Verdict> {
      if (!navigator.onLine) return scanOffline(value, gate);
      try {
        return await scanOnline(value, gate);
      } catch (error) {
        if (unreachable(error)) return scanOffline(value, gate);
        throw error;
      }
    },

    /**
     * Uploads the queued offline scans, then downloads the changes. Scans the server refused (an
     * earlier scan elsewhere won, or the ticket went void meanwhile) come back as conflicts.
     */
    async sync(): Promise<{ uploaded: number; conflicts: Conflict[] }> {
      const queue = await readQueue();
      const conflicts: Conflict[] = [];
      for (let at = 0; at < queue.length; at += batchMax) {
        const batch = queue.slice(at, at + batchMax);
        const { results } = await call('POST /events/:id/checkins/batch', { params, body: batch, headers });
        results.forEach((result: BatchResult, i) => {
          if (result.result === 'ok') return;
          const scan = batch[i]!;
          const details = result.details ?? {};
          const device = details.device as { name?: string } | null | undefined;
          conflicts.push({ code: scan.code ?? scan.qr?.split('.')[4] ?? '?', reason: result.result, firstAt: details.firstAt as string | undefined, device: device?.name });
        });
        // Answered (each scan is idempotent by its clientScanId): drop them from the queue.
        await save(queueKey(eventId), (await readQueue()).slice(batch.length));
      }
      await download();
      return { uploaded: queue.length, conflicts };
    },
  };
}

export type Scanner = ReturnType<typeof createScanner>;
