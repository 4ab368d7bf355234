import { EventEmitter } from 'node:events';
import type { Database } from '../../db/database.js';
import { advanceWatermark, readQueueRow } from './state.js';
import type { Arrival, QueueEventRef, QueueStore, QueueUpdate, SeqOfIndex } from './store.js';

/**
 * The single-node backend, for the embedded default (PGlite) and small installations. Unlike the
 * Redis backend it keeps a compact registry row per place (event, user, seq) and one per active
 * shopper: a join is one short transaction serialized on the event's queue_state row. Updates reach
 * this node's sockets through an in-process emitter; other nodes (if any) see them by polling.
 * Rate limits are counted in this process. An active shopper's row says until when it takes a
 * shopper slot (`counts_until`: the arrival grace end, moved to the window end once its holder shows
 * up, written once per shopper). The registry is never lost, so a place presented on join or leave
 * tells it nothing new: the user's row decides.
 */
export function createPostgresStore(db: Database, seqOfIndex: SeqOfIndex): QueueStore {
  const updates = new EventEmitter();
  updates.setMaxListeners(0);

  async function arriveMany(event: QueueEventRef, arrivals: readonly Arrival[]): Promise<(number | undefined)[]> {
    // One statement; it writes only on a holder's first arrival (or first after the grace ran out).
    const { rows } = await db.query<{ seq: string; until: Date }>(
      `with shopper as (select seq, queue_index, until, counts_until from queue_active where event_id = $1 and seq = any($2::bigint[]) and until > now()),
            arrived as (update queue_active a set counts_until = shopper.until from shopper
                         where a.event_id = $1 and a.queue_index = shopper.queue_index and shopper.counts_until < shopper.until)
       select seq, until from shopper`,
      [event.eventId, arrivals.map(({ place }) => place.seq)],
    );
    const ends = new Map(rows.map((row) => [Number(row.seq), row.until.getTime()]));
    return arrivals.map(({ place }) => ends.get(place.seq));
  }

  return {
    kind: 'postgres',
    countsJoinLimits: false,

    async join(event, userId) {
      return db.transaction(async (tx) => {
        await tx.query('insert into queue_state (event_id) values ($1) on conflict (event_id) do nothing', [event.eventId]);
        // The row lock serializes joins of one event, so the count and the freeze are exact.
        await tx.query('select 1 from queue_state where event_id = $1 for update', [event.eventId]);
        const existing = await tx.query<{ seq: number }>('select seq::float8 as seq from queue_members where event_id = $1 and user_id = $2', [event.eventId, userId]);
        if (existing.rows[0]) return { seq: existing.rows[0].seq, created: false };
        const { rows } = await tx.query<{ seq: number }>(
          `update queue_state set seq_reserved = seq_reserved + 1,
                  pre_queue_size = case when pre_queue_size is null and now() >= $2 then seq_reserved else pre_queue_size end
            where event_id = $1 returning seq_reserved::float8 as seq`,
          [event.eventId, new Date(event.startsAtMs)],
        );
        const seq = rows[0]!.seq;
        await tx.query('insert into queue_members (event_id, user_id, seq) values ($1, $2, $3)', [event.eventId, userId, seq]);
        return { seq, created: true };
      });
    },

    async leave(event, userId) {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<{ seq: number }>('delete from queue_members where event_id = $1 and user_id = $2 returning seq::float8 as seq', [event.eventId, userId]);
        const seq = rows[0]?.seq;
        if (seq !== undefined) await tx.query('delete from queue_active where event_id = $1 and seq = $2', [event.eventId, seq]);
        return seq;
      });
    },

    async freeze(event) {
      await db.query(
        `update queue_state set pre_queue_size = seq_reserved where event_id = $1 and pre_queue_size is null and now() >= $2`,
        [event.eventId, new Date(event.startsAtMs)],
      );
      const row = await readQueueRow(db, event.eventId);
      return { issued: row.seqReserved, preQueueSize: row.preQueueSize };
    },

    async activeCount(event, nowMs) {
      const { rows } = await db.query<{ n: number }>('select count(*)::int as n from queue_active where event_id = $1 and counts_until > $2', [event.eventId, new Date(nowMs)]);
      return rows[0]!.n;
    },

    async figures(event, nowMs) {
      // Counting the slots taken reads only their index entries (about maxActiveShoppers), not the line.
      const { rows } = await db.query<{ issued: number; active: number }>(
        `select coalesce((select seq_reserved::float8 from queue_state where event_id = $1), 0) as issued,
                (select count(*)::int from queue_active where event_id = $1 and counts_until > $2) as active`,
        [event.eventId, new Date(nowMs)],
      );
      return rows[0]!;
    },

    async arrive(event, place) {
      return (await arriveMany(event, [{ place }]))[0];
    },

    arriveMany,

    async admit(event, from, through, nowMs, committed) {
      const { preQueueSize } = await readQueueRow(db, event.eventId);
      const seqAt = seqOfIndex(event.eventId, preQueueSize);
      const seqs = Array.from({ length: through - from }, (_, i) => seqAt(from + 1 + i));
      const moved = await advanceWatermark(db, event.eventId, { from, through, admittedAt: nowMs }, async (tx) => {
        // Only places someone still holds become active shoppers: a departed place frees its slot at once.
        await tx.query(
          `insert into queue_active (event_id, queue_index, seq, until, counts_until)
           select $1, $2::bigint + t.ord, t.seq, $4, $5 from unnest($3::bigint[]) with ordinality as t(seq, ord)
            where exists (select 1 from queue_members m where m.event_id = $1 and m.seq = t.seq)`,
          [event.eventId, from, seqs, new Date(nowMs + event.windowMs), new Date(nowMs + Math.min(event.graceMs, event.windowMs))],
        );
        await tx.query('delete from queue_active where event_id = $1 and until <= $2', [event.eventId, new Date(nowMs)]);
      });
      if (moved) committed?.();
      return moved;
    },

    async acquireLease(eventId, nodeId, ttlMs) {
      await db.query('insert into queue_state (event_id) values ($1) on conflict (event_id) do nothing', [eventId]);
      const taken = await db.query(
        `update queue_state set lease_node = $2, lease_until = now() + make_interval(secs => $3::float8 / 1000)
          where event_id = $1 and (lease_node = $2 or lease_node is null or lease_until < now())`,
        [eventId, nodeId, ttlMs],
      );
      return taken.rowCount > 0;
    },

    async releaseLease(eventId, nodeId) {
      await db.query('update queue_state set lease_node = null, lease_until = null where event_id = $1 and lease_node = $2', [eventId, nodeId]);
    },

    async publish(update) {
      updates.emit('update', update);
    },

    async subscribe(listener: (update: QueueUpdate) => void) {
      updates.on('update', listener);
    },

    async close() {
      updates.removeAllListeners();
    },
  };
}
