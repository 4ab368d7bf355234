import type { Queryable } from '../../db/database.js';

/** A waiting entry as the line sees it: its join order and the section it waits for (null: the whole event). */
export interface WaitingEntry {
  seq: number;
  sectionId: string | null;
}

/** How many of the ascending `seqs` are below `seq` (binary search). */
function countBelow(seqs: readonly number[], seq: number): number {
  let low = 0;
  let high = seqs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (seqs[middle]! < seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * One event's waiting entries as one read saw them, so anyone's place is two binary searches instead
 * of a count over everyone ahead (which, with every waiter checking every few seconds, grew with the
 * square of the line). Entries compete when they wait for the same section or either waits for the
 * whole event.
 */
export class WaitingLine {
  private readonly all: number[] = [];
  private readonly wholeEvent: number[] = [];
  private readonly bySection = new Map<string, number[]>();

  /** `entries` in join order. */
  constructor(entries: readonly WaitingEntry[]) {
    for (const { seq, sectionId } of entries) {
      this.all.push(seq);
      if (sectionId === null) this.wholeEvent.push(seq);
      else this.sectionSeqs(sectionId).push(seq);
    }
  }

  private sectionSeqs(sectionId: string): number[] {
    let seqs = this.bySection.get(sectionId);
    if (!seqs) this.bySection.set(sectionId, (seqs = []));
    return seqs;
  }

  /** 1 + the waiting entries ahead of an entry that compete with it (1 = served next). */
  placeOf({ seq, sectionId }: WaitingEntry): number {
    if (sectionId === null) return 1 + countBelow(this.all, seq);
    return 1 + countBelow(this.wholeEvent, seq) + countBelow(this.bySection.get(sectionId) ?? [], seq);
  }
}

async function loadLine(db: Queryable, eventId: string): Promise<WaitingLine> {
  const { rows } = await db.query<WaitingEntry>(
    `select seq::float8 as seq, section_id as "sectionId" from waitlist_entries where event_id = $1 and status = 'waiting' order by seq`,
    [eventId],
  );
  return new WaitingLine(rows);
}

export interface WaitingLines {
  /** The event's line, read at most `maxAgeMs` ago, or after this node's last change to it. */
  get(eventId: string): Promise<WaitingLine>;
  /** This node changed the line (an entry joined or left): the next `get` reads it again. */
  invalidate(eventId: string): void;
}

interface CachedLine {
  line: Promise<WaitingLine>;
  readAt: number;
}

/**
 * Each node's copy of its events' lines. A waiter's place may lag changes made elsewhere (an offer,
 * another node's join) by up to `maxAgeMs`; what they did on this node shows at once, and their
 * status, offer included, is always read fresh. A read in flight when the line changes is not reused.
 */
export function createWaitingLines(db: Queryable, maxAgeMs: number, now: () => number = Date.now): WaitingLines {
  const cached = new Map<string, CachedLine>();

  function read(eventId: string): Promise<WaitingLine> {
    const readAt = now();
    for (const [id, entry] of cached) if (readAt - entry.readAt > maxAgeMs) cached.delete(id);
    const line = loadLine(db, eventId);
    const entry = { line, readAt };
    cached.set(eventId, entry);
    // A failed read is not kept: the next caller tries again.
    line.catch(() => cached.get(eventId) === entry && cached.delete(eventId));
    return line;
  }

  return {
    get(eventId) {
      const entry = cached.get(eventId);
      return entry && now() - entry.readAt <= maxAgeMs ? entry.line : read(eventId);
    },
    invalidate(eventId) {
      cached.delete(eventId);
    },
  };
}
