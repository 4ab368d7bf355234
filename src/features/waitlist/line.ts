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
      this.seqsOf(sectionId).push(seq);
    }
  }

  private seqsOf(sectionId: string | null): number[] {
    if (sectionId === null) return this.wholeEvent;
    let seqs = this.bySection.get(sectionId);
    if (!seqs) this.bySection.set(sectionId, (seqs = []));
    return seqs;
  }

  /** 1 + the waiting entries ahead of an entry that compete with it (1 = served next). */
  placeOf({ seq, sectionId }: WaitingEntry): number {
    if (sectionId === null) return 1 + countBelow(this.all, seq);
    return 1 + countBelow(this.wholeEvent, seq) + countBelow(this.bySection.get(sectionId) ?? [], seq);
  }

  /** Entries that joined since the read; one already in the line is left as it is. */
  add(entries: readonly WaitingEntry[]): void {
    for (const { seq, sectionId } of entries) {
      const at = countBelow(this.all, seq);
      if (this.all[at] === seq) continue;
      this.all.splice(at, 0, seq);
      const seqs = this.seqsOf(sectionId);
      seqs.splice(countBelow(seqs, seq), 0, seq);
    }
  }

  /** Entries that stopped waiting since the read; one not in the line is ignored. */
  remove(entries: readonly WaitingEntry[]): void {
    for (const { seq, sectionId } of entries) {
      const at = countBelow(this.all, seq);
      if (this.all[at] !== seq) continue;
      this.all.splice(at, 1);
      const seqs = this.seqsOf(sectionId);
      seqs.splice(countBelow(seqs, seq), 1);
    }
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
  /** The event's line as read at most `maxAgeMs` ago, with this node's changes since. */
  get(eventId: string): Promise<WaitingLine>;
  /** Entries this node just added to the line (committed). */
  joined(eventId: string, entries: readonly WaitingEntry[]): void;
  /** Entries this node just took out of the line (committed). */
  left(eventId: string, entries: readonly WaitingEntry[]): void;
}

interface CachedLine {
  line: Promise<WaitingLine>;
  readAt: number;
}

/**
 * Each node's copy of its events' lines. A waiter's place may lag changes made elsewhere (an offer,
 * another node's join) by up to `maxAgeMs`; a change made on this node is applied to the copy at
 * once, so a buyer's own join or leave shows in their next answer from this node, and a crowd joining
 * costs no rereads. A change is applied once the read it lands on has finished: a read that began
 * before the change committed has it applied on top, one that began after already holds it, and
 * adding (or removing) twice changes nothing.
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

  /** Applies a change to the copy (none cached: the next read has it), before any caller waiting for the read sees it. */
  function change(eventId: string, apply: (line: WaitingLine) => void): void {
    const entry = cached.get(eventId);
    if (!entry) return;
    entry.line = entry.line.then((line) => (apply(line), line));
    // A failed read fails its callers; the change itself has nothing to report.
    entry.line.catch(() => undefined);
  }

  return {
    get(eventId) {
      const entry = cached.get(eventId);
      return entry && now() - entry.readAt <= maxAgeMs ? entry.line : read(eventId);
    },
    joined: (eventId, entries) => change(eventId, (line) => line.add(entries)),
    left: (eventId, entries) => change(eventId, (line) => line.remove(entries)),
  };
}
