import { Type, type Static } from '@sinclair/typebox';
import type { Queryable, Tx } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { Nullable, StrictObject, Timestamp, TimestampOut } from '../../http/schemas.js';
import { limits } from '../../limits.js';

/** Default arrival grace; an event whose window is shorter gets the window (the grace never outlasts it). */
const arrivalGraceSecondsDefault = 120;
const shoppingWindowSecondsDefault = 600;
const stockTailShoppersDefault = 100;

const queueFields = {
  enabled: Type.Boolean(),
  preQueueOpensAt: Type.Optional(Timestamp),
  admitPerMinute: Type.Integer({ minimum: 1, maximum: limits.admitPerMinuteMax, description: 'Users let in per minute, in queue order' }),
  maxActiveShoppers: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.activeShoppersMax })),
  stockAware: Type.Optional(Type.Boolean({ description: 'Never admit more shoppers than the remaining stock could serve (default true)' })),
  stockBasis: Type.Optional(Type.Union([Type.Literal('max'), Type.Literal('average')], { description: 'Tickets per shopper assumed by stock-aware admission: the event maximum per order (default) or the average of its orders so far' })),
  stockHeadroomPercent: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'Extra shoppers admitted beyond what the stock could serve, in percent (default 10)' })),
  stockTailShoppers: Type.Optional(Type.Integer({ minimum: 0, maximum: limits.activeShoppersMax, description: `The sale's tail: stock-aware admission lets in at least one shopper per ticket left, up to this many shoppers, however many tickets it assumes each takes (default ${stockTailShoppersDefault}; 0 turns it off)` })),
  shoppingWindowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.shoppingWindowSecondsMax, description: 'How long an admitted user may shop, from admission (default 600)' })),
  paused: Type.Optional(Type.Boolean({ description: 'Stops admission without losing places: nobody is let in while true, and waiting buyers see `paused` (default false)' })),
  arrivalGraceSeconds: Type.Optional(Type.Integer({ minimum: limits.arrivalGraceSecondsMin, maximum: limits.shoppingWindowSecondsMax, description: `An admitted user who has not shown up (status check, live socket or hold with the queue token) this long after admission stops taking a shopper place, so the next in line is let in; the admission itself stands until the window ends. At most shoppingWindowSeconds (default ${arrivalGraceSecondsDefault}, or the window if shorter)` })),
};

export const OnsaleInput = StrictObject({
  startsAt: Timestamp,
  queue: Type.Optional(StrictObject(queueFields)),
}, { description: 'When sales open and how the waiting room admits buyers' });
export type OnsaleInput = Static<typeof OnsaleInput>;

export const OnsaleSchema = Type.Object({
  startsAt: TimestampOut,
  queue: Nullable(Type.Object({
    enabled: Type.Boolean(),
    preQueueOpensAt: Nullable(TimestampOut),
    admitPerMinute: Type.Integer(),
    maxActiveShoppers: Nullable(Type.Integer()),
    stockAware: Type.Boolean(),
    stockBasis: Type.String(),
    stockHeadroomPercent: Type.Integer(),
    stockTailShoppers: Type.Integer(),
    shoppingWindowSeconds: Type.Integer(),
    arrivalGraceSeconds: Type.Integer(),
    paused: Type.Boolean(),
  })),
});

export interface QueueSettings {
  enabled: boolean;
  preQueueOpensAt: Date | null;
  admitPerMinute: number;
  maxActiveShoppers: number | null;
  stockAware: boolean;
  stockBasis: 'max' | 'average';
  stockHeadroomPercent: number;
  /** One shopper per ticket left is admitted while that is at most this many (see stockPicture). */
  stockTailShoppers: number;
  shoppingWindowSeconds: number;
  /** After admission, how long a place takes a shopper slot before its holder shows up (see docs/waiting-room.md). */
  arrivalGraceSeconds: number;
  /** The organizer stopped admission for now (places are kept). */
  paused: boolean;
}

export interface OnsaleSettings {
  startsAt: Date;
  queue: QueueSettings | null;
}

const fieldError = (field: string, message: string) =>
  new AppError('validation_failed', 'The on-sale settings are not valid.', { fields: [{ in: 'body', field, message }] });

/** Checks what the schema cannot: the order of the times, and a grace within the window. */
function assertCoherent(onsale: OnsaleInput, eventStartsAt: Date): void {
  const startsAt = new Date(onsale.startsAt);
  if (startsAt >= eventStartsAt) throw fieldError('/onsale/startsAt', 'must be before the event starts');
  const opens = onsale.queue?.preQueueOpensAt;
  if (opens !== undefined && new Date(opens) >= startsAt) throw fieldError('/onsale/queue/preQueueOpensAt', 'must be before onsale.startsAt');
  const grace = onsale.queue?.arrivalGraceSeconds;
  if (grace !== undefined && grace > (onsale.queue?.shoppingWindowSeconds ?? shoppingWindowSecondsDefault)) {
    throw fieldError('/onsale/queue/arrivalGraceSeconds', 'must not be longer than shoppingWindowSeconds');
  }
}

/** Replaces an event's on-sale settings (null removes them). Runs inside the event's transaction. */
export async function saveOnsale(tx: Tx, eventId: string, onsale: OnsaleInput | null, eventStartsAt: Date): Promise<void> {
  if (onsale === null) {
    await tx.query('delete from event_onsale where event_id = $1', [eventId]);
    return;
  }
  assertCoherent(onsale, eventStartsAt);
  const q = onsale.queue;
  const window = q?.shoppingWindowSeconds ?? shoppingWindowSecondsDefault;
  await tx.query(
    `insert into event_onsale (event_id, starts_at, queue_enabled, pre_queue_opens_at, admit_per_minute, max_active_shoppers,
                               stock_aware, stock_basis, stock_headroom_percent, stock_tail_shoppers, shopping_window_seconds, arrival_grace_seconds, queue_paused)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     on conflict (event_id) do update set starts_at = excluded.starts_at, queue_enabled = excluded.queue_enabled,
       pre_queue_opens_at = excluded.pre_queue_opens_at, admit_per_minute = excluded.admit_per_minute,
       max_active_shoppers = excluded.max_active_shoppers, stock_aware = excluded.stock_aware, stock_basis = excluded.stock_basis,
       stock_headroom_percent = excluded.stock_headroom_percent, stock_tail_shoppers = excluded.stock_tail_shoppers, shopping_window_seconds = excluded.shopping_window_seconds,
       arrival_grace_seconds = excluded.arrival_grace_seconds, queue_paused = excluded.queue_paused`,
    [eventId, onsale.startsAt, q?.enabled ?? false, q?.preQueueOpensAt ?? null, q?.admitPerMinute ?? null, q?.maxActiveShoppers ?? null,
      q?.stockAware ?? true, q?.stockBasis ?? 'max', q?.stockHeadroomPercent ?? 10, q?.stockTailShoppers ?? stockTailShoppersDefault, window, q?.arrivalGraceSeconds ?? Math.min(arrivalGraceSecondsDefault, window), q?.paused ?? false],
  );
}

/** A row of `event_onsale`: the queue settings, flattened, with no rate stored when the queue is off. */
type OnsaleRow = Omit<QueueSettings, 'admitPerMinute'> & { eventId: string; startsAt: Date; admitPerMinute: number | null };

export const onsaleColumns = `o.event_id as "eventId", o.starts_at as "startsAt", o.queue_enabled as enabled, o.pre_queue_opens_at as "preQueueOpensAt",
  o.admit_per_minute as "admitPerMinute", o.max_active_shoppers as "maxActiveShoppers", o.stock_aware as "stockAware",
  o.stock_basis as "stockBasis", o.stock_headroom_percent as "stockHeadroomPercent", o.stock_tail_shoppers as "stockTailShoppers", o.shopping_window_seconds as "shoppingWindowSeconds",
  o.arrival_grace_seconds as "arrivalGraceSeconds", o.queue_paused as paused`;

export function onsaleFromRow({ startsAt, admitPerMinute, eventId: _, ...queue }: OnsaleRow): OnsaleSettings {
  return { startsAt, queue: admitPerMinute === null ? null : { ...queue, admitPerMinute } };
}

export async function loadOnsale(db: Queryable, eventId: string): Promise<OnsaleSettings | null> {
  const { rows } = await db.query<OnsaleRow>(`select ${onsaleColumns} from event_onsale o where o.event_id = $1`, [eventId]);
  return rows[0] ? onsaleFromRow(rows[0]) : null;
}
