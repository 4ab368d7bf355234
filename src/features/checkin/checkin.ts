import type { Database, Queryable, Tx } from '../../db/database.js';
import { AppError, notFound, type ErrorCode } from '../../errors.js';
import { hashOpaqueToken, newOpaqueToken } from '../auth/tokens.js';
import type { Scanner } from './access.js';
import type { TicketSigner } from './signing.js';

export interface DeviceView {
  id: string;
  name: string;
}

export interface CheckinView {
  id: string;
  at: Date;
  gate: string | null;
  device: DeviceView | null;
}

export interface ScannedTicket {
  id: string;
  code: string;
  section: string;
  seat?: string;
  attendeeName?: string;
}

export interface CheckinOk {
  result: 'ok';
  checkin: CheckinView;
  ticket: ScannedTicket;
}

/** What a scanner sends: a typed code or a scanned QR payload. */
export type TicketRef = { code: string } | { qr: string };
/** A ticket as a scan names it: by code, or by the id and code a verified QR carries. */
type ResolvedTicket = { id: string; code: string } | { code: string };

export interface OfflineScan {
  clientScanId: string;
  code?: string;
  qr?: string;
  scannedAt: string;
  gate?: string;
}

/** One uploaded scan's answer: `ok`, or the code of the refusal with its message and details. */
export type OfflineScanResult =
  | (CheckinOk & { clientScanId: string; displaced?: CheckinView })
  | { clientScanId: string; result: ErrorCode; message: string; details: Record<string, unknown> };

export interface CheckinList {
  /** Pass it back as `cursor` to get only the check-ins that changed since this download. */
  cursor: string;
  keyId: string;
  tickets: (ScannedTicket & { eventId: string })[];
  /** Current check-ins; with a cursor, those added or reverted since (`reverted: true`). */
  checkins: (CheckinView & { ticketId: string; reverted: boolean })[];
}

export interface CheckinService {
  createDevice(eventId: string, name: string): Promise<DeviceView & { deviceToken: string }>;
  revokeDevice(eventId: string, deviceId: string): Promise<void>;
  /** The device a token belongs to, if it is a live one. */
  deviceByToken(token: string): Promise<(DeviceView & { eventId: string }) | undefined>;
  checkIn(scanner: Scanner, eventId: string, ref: TicketRef, gate: string | null): Promise<CheckinOk>;
  revert(checkinId: string): Promise<void>;
  list(eventId: string, cursor: number | undefined): Promise<CheckinList>;
  uploadOffline(scanner: Scanner, eventId: string, scans: readonly OfflineScan[]): Promise<OfflineScanResult[]>;
  /** Tickets admitted at the door, by section id (the organizer's stats). */
  checkedInBySection(eventId: string): Promise<Map<string, number>>;
  /** Admissions per minute over the last `minutes` minutes, oldest first (the live dashboard). */
  entriesPerMinute(eventId: string, minutes: number): Promise<{ minute: Date; entries: number }[]>;
}

interface LockedTicket {
  id: string;
  eventId: string;
  code: string;
  status: 'valid' | 'void';
  transferred: boolean;
  section: string;
  seat: string | null;
  attendeeName: string | null;
}

const ticketSelect = `
  select t.id, t.event_id as "eventId", t.code, t.status, t.transferred_to is not null as transferred,
         sc.name as section, st.label as seat, t.attendee_name as "attendeeName"
    from tickets t join sections sc on sc.id = t.section_id left join seats st on st.id = t.seat_id`;

const checkinSelect = `
  select c.id, c.scanned_at as at, c.gate, c.ticket_id as "ticketId", c.reverted_at is not null as reverted,
         case when d.id is null then null else json_build_object('id', d.id, 'name', d.name) end as device
    from checkins c left join checkin_devices d on d.id = c.device_id`;

const toScannedTicket = (t: LockedTicket): ScannedTicket => ({
  id: t.id,
  code: t.code,
  section: t.section,
  ...(t.seat === null ? {} : { seat: t.seat }),
  ...(t.attendeeName === null ? {} : { attendeeName: t.attendeeName }),
});

const toCheckinView = <T extends { at: Date | string }>(row: T): T & { at: Date } => ({ ...row, at: new Date(row.at) });

const alreadyCheckedIn = (first: CheckinView) => new AppError('already_checked_in', 'This ticket was already checked in.', {
  checkinId: first.id, firstAt: first.at.toISOString(), gate: first.gate, device: first.device,
});

/** The refusal for a ticket that cannot be admitted at this event, if any. */
function refusalFor(ticket: LockedTicket | undefined, eventId: string): AppError | undefined {
  if (!ticket) return notFound('ticket');
  if (ticket.eventId !== eventId) return new AppError('wrong_event', 'This ticket is for another event.', { eventId: ticket.eventId });
  if (ticket.status === 'void') {
    const reason = ticket.transferred ? 'transferred' : 'cancelled';
    return new AppError('ticket_void', `This ticket is void (${reason}).`, { reason });
  }
  return undefined;
}

/** Ticket codes are Crockford base32 in upper case; a typed code may come in lower case. */
export const normalizeCode = (code: string) => code.toUpperCase();

/**
 * Locks the ticket a scan names: FOR SHARE for a live scan (concurrent scans of one ticket wait on
 * one another only at the unique index, which picks the one admitted), FOR UPDATE for an offline
 * upload, which may replace a later check-in by an earlier one. Either way a transfer (FOR UPDATE)
 * of the same ticket runs strictly before or after.
 */
async function lockTicket(tx: Tx, ref: { id: string; code: string } | { code: string }, mode: 'share' | 'update'): Promise<LockedTicket | undefined> {
  const { rows } = 'id' in ref
    ? await tx.query<LockedTicket>(`${ticketSelect} where t.id = $1 and t.code = $2 for ${mode} of t`, [ref.id, ref.code])
    : await tx.query<LockedTicket>(`${ticketSelect} where t.code = $1 for ${mode} of t`, [normalizeCode(ref.code)]);
  return rows[0];
}

async function activeCheckin(q: Queryable, ticketId: string): Promise<CheckinView | undefined> {
  const { rows } = await q.query<CheckinView & { ticketId: string; reverted: boolean }>(`${checkinSelect} where c.ticket_id = $1 and c.reverted_at is null`, [ticketId]);
  const row = rows[0];
  if (!row) return undefined;
  const { ticketId: _, reverted: __, ...view } = toCheckinView(row);
  return view;
}

/** Moves the event's change counter on; held until commit, so the counter's order is the commit order. */
async function nextSeq(tx: Tx, eventId: string): Promise<number> {
  const { rows } = await tx.query<{ seq: string }>(
    `insert into checkin_cursors (event_id, seq) values ($1, 1)
     on conflict (event_id) do update set seq = checkin_cursors.seq + 1 returning seq`,
    [eventId],
  );
  return Number(rows[0]!.seq);
}

/**
 * Admits the ticket unless a check-in that is not reverted exists: the partial unique index
 * `checkins_once_per_ticket` decides between concurrent scans on any node. Undefined when another
 * scan holds the ticket.
 */
async function insertCheckin(tx: Tx, scanner: Scanner, ticket: LockedTicket, gate: string | null, scannedAt: string | null): Promise<CheckinView | undefined> {
  const { rows } = await tx.query<{ id: string; at: Date }>(
    `insert into checkins (ticket_id, event_id, device_id, admin_id, api_key_id, gate, scanned_at, seq)
     values ($1, $2, $3, $4, $5, $6, least(coalesce($7::timestamptz, now()), now()), 0)
     on conflict (ticket_id) where reverted_at is null do nothing
     returning id, scanned_at as at`,
    [ticket.id, ticket.eventId, scanner.kind === 'device' ? scanner.deviceId : null, scanner.kind === 'staff' ? scanner.userId : null,
      scanner.kind === 'apiKey' ? scanner.keyId : null, gate, scannedAt],
  );
  const row = rows[0];
  if (!row) return undefined;
  await tx.query('update checkins set seq = $2 where id = $1', [row.id, await nextSeq(tx, ticket.eventId)]);
  return { id: row.id, at: new Date(row.at), gate, device: scanner.kind === 'device' ? { id: scanner.deviceId, name: scanner.name } : null };
}

/** Whose offline scan ids a scan's id is unique among (`admin:` for people: the name it had before roles). */
const scannerKey = (scanner: Scanner): string =>
  scanner.kind === 'device' ? `device:${scanner.deviceId}` : scanner.kind === 'staff' ? `admin:${scanner.userId}` : `api-key:${scanner.keyId}`;

/** Ends a check-in (a revert, or an earlier offline scan replacing it), as a change scanners download. */
async function endCheckin(tx: Tx, checkinId: string, eventId: string): Promise<void> {
  await tx.query('update checkins set reverted_at = now(), seq = $2 where id = $1', [checkinId, await nextSeq(tx, eventId)]);
}

export function createCheckinService({ db, signer }: { db: Database; signer: TicketSigner }): CheckinService {
  /** Resolves a QR payload to the ticket it names (400 if it does not verify), or passes a code through. */
  const resolve = async (ref: TicketRef, eventId: string): Promise<ResolvedTicket> => {
    if ('code' in ref) return ref;
    const signed = await signer.verify(ref.qr);
    if (signed.eventId !== eventId) throw new AppError('wrong_event', 'This ticket is for another event.', { eventId: signed.eventId });
    return signed;
  };

  /** One live scan, in its transaction. A second scan of an admitted ticket gets the first one back. */
  const admit = async (tx: Tx, scanner: Scanner, eventId: string, target: ResolvedTicket, gate: string | null): Promise<CheckinOk> => {
    const ticket = await lockTicket(tx, target, 'share');
    const refusal = refusalFor(ticket, eventId);
    if (refusal) throw refusal;
    const checkin = await insertCheckin(tx, scanner, ticket!, gate, null);
    if (checkin) return { result: 'ok', checkin, ticket: toScannedTicket(ticket!) };
    // The winner committed before our insert gave way to it, so this statement sees it.
    const first = await activeCheckin(tx, ticket!.id);
    throw first ? alreadyCheckedIn(first) : new AppError('unavailable', 'The ticket\'s check-in changed meanwhile; scan it again.');
  };

  /**
   * One offline scan, in its transaction, under the ticket's FOR UPDATE lock. The earliest scan
   * wins whatever the upload order: a scan earlier than the current check-in replaces it (and
   * says which it displaced); a later one is refused with the earlier one.
   */
  const admitOffline = async (tx: Tx, scanner: Scanner, eventId: string, scan: OfflineScan, target: ResolvedTicket): Promise<OfflineScanResult> => {
    const ticket = await lockTicket(tx, target, 'update');
    const refusal = refusalFor(ticket, eventId);
    if (refusal) throw refusal;
    const current = await activeCheckin(tx, ticket!.id);
    const scannedAt = new Date(Math.min(new Date(scan.scannedAt).getTime(), Date.now()));
    if (current && current.at.getTime() <= scannedAt.getTime()) throw alreadyCheckedIn(current);
    if (current) await endCheckin(tx, current.id, eventId);
    const checkin = (await insertCheckin(tx, scanner, ticket!, scan.gate ?? null, scannedAt.toISOString()))!;
    return { clientScanId: scan.clientScanId, result: 'ok', checkin, ticket: toScannedTicket(ticket!), ...(current ? { displaced: current } : {}) };
  };

  /** An AppError as the answer to one uploaded scan; anything else is not the scan's fault. */
  const refusedScan = (scan: OfflineScan, error: unknown): OfflineScanResult => {
    if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
    return { clientScanId: scan.clientScanId, result: error.code, message: error.message, details: error.details };
  };

  /**
   * Claims the (scanner, clientScanId) key; a repeat gets the answer stored with it. The QR is verified
   * before the transaction: verifying reads the keys through the pool, and PGlite's one connection is
   * the transaction's until it ends.
   */
  const uploadOne = async (scanner: Scanner, eventId: string, scan: OfflineScan): Promise<OfflineScanResult> => {
    const target = await resolve(scan.code !== undefined ? { code: scan.code } : { qr: scan.qr! }, eventId).catch((error: unknown) => refusedScan(scan, error));
    return db.transaction((tx) => recordUpload(tx, scanner, eventId, scan, target));
  };

  const recordUpload = async (tx: Tx, scanner: Scanner, eventId: string, scan: OfflineScan, target: ResolvedTicket | OfflineScanResult): Promise<OfflineScanResult> => {
    const key = scannerKey(scanner);
    const claimed = await tx.query(
      'insert into offline_scans (scanner, client_scan_id, event_id) values ($1, $2, $3) on conflict do nothing returning 1',
      [key, scan.clientScanId, eventId],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await tx.query<{ result: OfflineScanResult }>('select result from offline_scans where scanner = $1 and client_scan_id = $2', [key, scan.clientScanId]);
      return rows[0]!.result;
    }
    const result = 'result' in target ? target : await admitOffline(tx, scanner, eventId, scan, target).catch((error: unknown) => refusedScan(scan, error));
    await tx.query('update offline_scans set result = $3 where scanner = $1 and client_scan_id = $2', [key, scan.clientScanId, JSON.stringify(result)]);
    return result;
  };

  return {
    async createDevice(eventId, name) {
      const deviceToken = `osd_${newOpaqueToken()}`;
      const { rows } = await db.query<DeviceView>(
        'insert into checkin_devices (event_id, name, token_hash) select id, $2, $3 from events where id = $1 returning id, name',
        [eventId, name, hashOpaqueToken(deviceToken)],
      );
      if (!rows[0]) throw notFound('event');
      return { ...rows[0], deviceToken };
    },
    async revokeDevice(eventId, deviceId) {
      const { rowCount } = await db.query('update checkin_devices set revoked_at = coalesce(revoked_at, now()) where id = $1 and event_id = $2', [deviceId, eventId]);
      if (rowCount === 0) throw notFound('device');
    },
    async deviceByToken(token) {
      const { rows } = await db.query<DeviceView & { eventId: string }>(
        'select id, name, event_id as "eventId" from checkin_devices where token_hash = $1 and revoked_at is null',
        [hashOpaqueToken(token)],
      );
      return rows[0];
    },
    async checkIn(scanner, eventId, ref, gate) {
      const target = await resolve(ref, eventId);
      return db.transaction((tx) => admit(tx, scanner, eventId, target, gate));
    },
    async revert(checkinId) {
      await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ eventId: string }>(
          'select event_id as "eventId" from checkins where id = $1 and reverted_at is null for update',
          [checkinId],
        );
        if (!rows[0]) throw notFound('check-in');
        await endCheckin(tx, checkinId, rows[0].eventId);
      });
    },
    async list(eventId, cursor) {
      // One statement, so the tickets, the check-ins and the cursor come from one snapshot.
      const { rows } = await db.query<{ found: boolean; cursor: string; tickets: (LockedTicket & { eventId: string })[]; checkins: (CheckinView & { ticketId: string; reverted: boolean })[] }>(
        `select exists (select 1 from events where id = $1) as found,
                coalesce((select seq from checkin_cursors where event_id = $1), 0)::text as cursor,
                (select coalesce(json_agg(json_build_object('id', t.id, 'eventId', t.event_id, 'code', t.code, 'section', sc.name, 'seat', st.label,
                                                             'attendeeName', t.attendee_name) order by t.code), '[]')
                   from tickets t join sections sc on sc.id = t.section_id left join seats st on st.id = t.seat_id
                  where t.event_id = $1 and t.status = 'valid') as tickets,
                (select coalesce(json_agg(json_build_object('id', c.id, 'at', c.scanned_at, 'gate', c.gate, 'ticketId', c.ticket_id,
                                                             'reverted', c.reverted_at is not null,
                                                             'device', case when d.id is null then null else json_build_object('id', d.id, 'name', d.name) end)
                                          order by c.seq), '[]')
                   from checkins c left join checkin_devices d on d.id = c.device_id
                  where c.event_id = $1 and c.seq > $2 and ($2 > 0 or c.reverted_at is null)) as checkins`,
        [eventId, cursor ?? 0],
      );
      const row = rows[0]!;
      if (!row.found) throw notFound('event');
      return {
        cursor: row.cursor,
        keyId: await signer.activeKeyId(),
        tickets: row.tickets.map((t) => ({ ...toScannedTicket(t), eventId: t.eventId })),
        checkins: row.checkins.map(toCheckinView),
      };
    },
    async checkedInBySection(eventId) {
      const { rows } = await db.query<{ sectionId: string; n: number }>(
        `select t.section_id as "sectionId", count(*)::int as n from checkins c join tickets t on t.id = c.ticket_id
          where c.event_id = $1 and c.reverted_at is null group by t.section_id`,
        [eventId],
      );
      return new Map(rows.map((r) => [r.sectionId, r.n]));
    },
    async entriesPerMinute(eventId, minutes) {
      const { rows } = await db.query<{ minute: Date; entries: number }>(
        `select m.minute, count(c.id)::int as entries
           from generate_series(date_trunc('minute', now()) - make_interval(mins => $2 - 1), date_trunc('minute', now()), interval '1 minute') as m(minute)
           left join checkins c on c.event_id = $1 and c.reverted_at is null and date_trunc('minute', c.scanned_at) = m.minute
          group by m.minute order by m.minute`,
        [eventId, minutes],
      );
      return rows.map((r) => ({ minute: new Date(r.minute), entries: r.entries }));
    },
    async uploadOffline(scanner, eventId, scans) {
      const results: OfflineScanResult[] = [];
      // One transaction per scan, in upload order: a refused scan does not undo the others.
      for (const scan of scans) results.push(await uploadOne(scanner, eventId, scan));
      return results;
    },
  };
}
