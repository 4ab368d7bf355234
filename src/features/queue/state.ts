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
