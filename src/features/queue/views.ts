import type { Queryable } from '../../db/database.js';
import { onsaleColumns, onsaleFromRow, type OnsaleSettings } from './settings.js';
import type { QueueUpdate, StockState } from './store.js';

/**
 * What a node knows about one event's queue, kept current without a database round trip per
 * request: loaded once, refreshed in the background when older than `maxAgeMs` (polled), and moved
 * forward at once by the advancer's published updates (pushed). Status checks read only this.
 */
export interface QueueView {
  eventId: string;
  exists: boolean;
  published: boolean;
  eventStartsAt: Date | null;
  onsale: OnsaleSettings | null;
  admittedThrough: number;
  preQueueSize: number | null;
  stock: StockState;
  loadedAt: number;
}

interface ViewRow {
  status: string;
  eventStartsAt: Date;
  onsaleEventId: string | null;
  admittedThrough: number | null;
  preQueueSize: number | null;
}

async function loadView(db: Queryable, eventId: string): Promise<QueueView> {
  const { rows } = await db.query<ViewRow & Record<string, unknown>>(
    `select e.status, e.starts_at as "eventStartsAt", o.event_id as "onsaleEventId", ${onsaleColumns},
            s.admitted_through::float8 as "admittedThrough", s.pre_queue_size::float8 as "preQueueSize"
       from events e left join event_onsale o on o.event_id = e.id left join queue_state s on s.event_id = e.id
      where e.id = $1`,
    [eventId],
  );
  const row = rows[0];
  const base = { eventId, loadedAt: Date.now(), stock: 'on_sale' as StockState };
  if (!row) return { ...base, exists: false, published: false, eventStartsAt: null, onsale: null, admittedThrough: 0, preQueueSize: null };
  return {
    ...base,
    exists: true,
    published: row.status === 'published',
    eventStartsAt: row.eventStartsAt,
    onsale: row.onsaleEventId ? onsaleFromRow(row as never) : null,
    admittedThrough: row.admittedThrough ?? 0,
    preQueueSize: row.preQueueSize,
  };
}

export interface QueueViews {
  get(eventId: string): Promise<QueueView>;
  /** Applies an advancer's update (never moves the watermark back). Returns the view if cached. */
  apply(update: QueueUpdate): QueueView | undefined;
  invalidate(eventId: string): void;
}

export function createQueueViews(db: Queryable, maxAgeMs: number): QueueViews {
  const views = new Map<string, QueueView>();
  const loading = new Map<string, Promise<QueueView>>();
  const stockOf = new Map<string, StockState>();

  const load = (eventId: string) => {
    let pending = loading.get(eventId);
    if (!pending) {
      pending = loadView(db, eventId)
        .then((view) => {
          const known = views.get(eventId);
          // A push may have arrived while loading: keep the furthest watermark.
          const merged = { ...view, admittedThrough: Math.max(view.admittedThrough, known?.admittedThrough ?? 0), stock: stockOf.get(eventId) ?? view.stock };
          if (views.size > 10_000) views.clear();
          views.set(eventId, merged);
          return merged;
        })
        .finally(() => loading.delete(eventId));
      loading.set(eventId, pending);
    }
    return pending;
  };

  return {
    async get(eventId) {
      const view = views.get(eventId);
      if (!view) return load(eventId);
      if (Date.now() - view.loadedAt > maxAgeMs) load(eventId).catch(() => undefined);
      return view;
    },
    apply(update) {
      stockOf.set(update.eventId, update.stock);
      const view = views.get(update.eventId);
      if (!view) return undefined;
      view.admittedThrough = Math.max(view.admittedThrough, update.admittedThrough);
      view.preQueueSize = update.preQueueSize ?? view.preQueueSize;
      view.stock = update.stock;
      return view;
    },
    invalidate(eventId) {
      views.delete(eventId);
    },
  };
}
