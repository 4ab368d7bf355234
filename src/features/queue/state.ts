import type { Queryable, Tx, Database } from '../../db/database.js';

/**
 * The durable half of every queue, in PostgreSQL for both backends: per event one row (sequence
 * block high-water mark, frozen pre-queue size, admitted watermark) and one row per admitting tick.
 * Nothing here is written per user on join or status.
 */
export interface QueueRow {
  seqReserved: number;
  preQueueSize: number | null;
  admittedThrough: number;
}

export interface AdmissionRange {
  from: number; // exclusive
  through: number; // inclusive
  admittedAt: number; // ms
}

const ensureRow = (db: Queryable, eventId: string) =>
  db.query('insert into queue_state (event_id) values ($1) on conflict (event_id) do nothing', [eventId]);

/** Reserves the next block of sequence numbers: one atomic UPDATE per block. Returns the block's end. */
export async function reserveSeqBlock(db: Queryable, eventId: string, size: number): Promise<number> {
  await ensureRow(db, eventId);
  const { rows } = await db.query<{ end: number }>(
    'update queue_state set seq_reserved = seq_reserved + $2 where event_id = $1 returning seq_reserved::float8 as "end"',
    [eventId, size],
  );
  return rows[0]!.end;
}

export async function readQueueRow(db: Queryable, eventId: string): Promise<QueueRow> {
  const { rows } = await db.query<QueueRow>(
    `select seq_reserved::float8 as "seqReserved", pre_queue_size::float8 as "preQueueSize", admitted_through::float8 as "admittedThrough"
       from queue_state where event_id = $1`,
    [eventId],
  );
  return rows[0] ?? { seqReserved: 0, preQueueSize: null, admittedThrough: 0 };
}

/** Records the pre-queue size once; the first value wins forever (the draw must never change). */
export async function persistPreQueueSize(db: Queryable, eventId: string, size: number): Promise<number> {
  await ensureRow(db, eventId);
  const { rows } = await db.query<{ size: number }>(
    `update queue_state set pre_queue_size = coalesce(pre_queue_size, $2) where event_id = $1 returning pre_queue_size::float8 as size`,
    [eventId, size],
  );
  return rows[0]!.size;
}

/**
 * Moves the watermark from `from` to `to` if nobody else moved it (compare-and-set), and logs the
 * tick. Returns false when the watermark was not at `from` (another advancer got there first).
 * `alsoInTx` lets the PostgreSQL backend record the admitted shoppers in the same transaction.
 */
export async function advanceWatermark(db: Database, eventId: string, range: AdmissionRange, alsoInTx?: (tx: Tx) => Promise<void>): Promise<boolean> {
  return db.transaction(async (tx) => {
    const moved = await tx.query('update queue_state set admitted_through = $3 where event_id = $1 and admitted_through = $2', [eventId, range.from, range.through]);
    if (moved.rowCount === 0) return false;
    await tx.query('insert into queue_admissions (event_id, through, admitted_at) values ($1, $2, $3)', [eventId, range.through, new Date(range.admittedAt)]);
    await alsoInTx?.(tx);
    return true;
  });
}

/**
 * The admitting ticks beyond place `after` (usually none or one per tick; all of them when Redis is
 * rebuilt), each as the range it admitted, keeping those admitted at or after `admittedSince`.
 */
export async function admissionsAfter(db: Queryable, eventId: string, after: number, admittedSince: number): Promise<AdmissionRange[]> {
  const { rows } = await db.query<{ through: number; admittedAt: Date }>(
    'select through::float8 as through, admitted_at as "admittedAt" from queue_admissions where event_id = $1 and through > $2 order by through',
    [eventId, after],
  );
  let from = after;
  const ranges = rows.map((r) => {
    const range = { from, through: r.through, admittedAt: r.admittedAt.getTime() };
    from = r.through;
    return range;
  });
  return ranges.filter((r) => r.admittedAt >= admittedSince);
}

/**
 * The watermark as it stood at `atMs`: the last tick logged at or before then. Walks the log
 * backwards from its end, so it reads only the ticks since `atMs` (one per tick at most).
 */
export async function watermarkAt(db: Queryable, eventId: string, atMs: number): Promise<number> {
  const { rows } = await db.query<{ through: number }>(
    'select through::float8 as through from queue_admissions where event_id = $1 and admitted_at <= $2 order by through desc limit 1',
    [eventId, new Date(atMs)],
  );
  return rows[0]?.through ?? 0;
}

/** When the tick that admitted place `index` ran (ms), or undefined when it is not admitted. */
export async function admittedAtOf(db: Queryable, eventId: string, index: number): Promise<number | undefined> {
  const { rows } = await db.query<{ admittedAt: Date }>(
    'select admitted_at as "admittedAt" from queue_admissions where event_id = $1 and through >= $2 order by through limit 1',
    [eventId, index],
  );
  return rows[0]?.admittedAt.getTime();
}

/**
 * Records that a user left the line or checked out (Redis backend): every place of theirs up to
 * `through`, the last place given by then, has ended, even after Redis loses its data. `seq` is the
 * place freed when Redis knew it (a rebuild leaves that shopper out). One row per account and event.
 */
export async function recordDeparture(db: Queryable, eventId: string, userId: string, through: number, seq: number | null): Promise<void> {
  await db.query(
    `insert into queue_departures (event_id, user_id, through, seq) values ($1, $2, $3, $4)
     on conflict (event_id, user_id) do update
       set through = greatest(queue_departures.through, excluded.through), seq = coalesce(excluded.seq, queue_departures.seq)`,
    [eventId, userId, through, seq],
  );
}

/** Whether the user left the line or checked out after place `seq` was given to them. */
export async function departedSince(db: Queryable, eventId: string, userId: string, seq: number): Promise<boolean> {
  const { rows } = await db.query('select 1 from queue_departures where event_id = $1 and user_id = $2 and through >= $3', [eventId, userId, seq]);
  return rows.length > 0;
}

/** Which of these places were freed by a departure (through the (event_id, seq) index: reads only those). */
export async function departedPlaces(db: Queryable, eventId: string, seqs: number[]): Promise<Set<number>> {
  const { rows } = await db.query<{ seq: number }>(
    'select seq::float8 as seq from queue_departures where event_id = $1 and seq = any($2::bigint[])',
    [eventId, seqs],
  );
  return new Set(rows.map((r) => r.seq));
}
