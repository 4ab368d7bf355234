import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/database.js';
import { openTestPostgres } from '../../../test/support/postgres.js';
import { insertEvent } from '../../../test/support/queue.js';
import { createWaitingLines, WaitingLine, type WaitingEntry } from './line.js';

const seed = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
console.log(`waitlist line: fast-check seed ${seed}; replay with FUZZ_SEED=${seed}`);

/** The definition (the count the database used to make per request): competing entries that joined earlier, plus one. */
const placeByCounting = (line: readonly WaitingEntry[], { seq, sectionId }: WaitingEntry) =>
  1 + line.filter((o) => o.seq < seq && (sectionId === null || o.sectionId === null || o.sectionId === sectionId)).length;

describe('a waiting line', () => {
  it('places every entry, and one not in it yet, where counting the competing entries ahead would', () => {
    const section = fc.constantFrom(null, 'a', 'b', 'c');
    const scenario = fc.record({
      line: fc.uniqueArray(fc.record({ seq: fc.integer({ min: 1, max: 10_000 }), sectionId: section }), { selector: (e) => e.seq, maxLength: 200 })
        .map((entries) => entries.sort((x, y) => x.seq - y.seq)),
      newcomer: fc.record({ seq: fc.integer({ min: 1, max: 10_001 }), sectionId: section }),
    });
    fc.assert(fc.property(scenario, ({ line, newcomer }) => {
      const waiting = new WaitingLine(line);
      for (const entry of [...line, newcomer]) expect(waiting.placeOf(entry)).toBe(placeByCounting(line, entry));
    }), { seed, numRuns: 300 });
  });

  it('after entries are added and removed, places everyone as a line read afresh would', () => {
    const entry = fc.record({ seq: fc.integer({ min: 1, max: 500 }), sectionId: fc.constantFrom(null, 'a', 'b') });
    const bySeq = (entries: WaitingEntry[]) => [...new Map(entries.map((e) => [e.seq, e])).values()].sort((x, y) => x.seq - y.seq);
    fc.assert(fc.property(fc.array(entry, { maxLength: 100 }), fc.array(entry, { maxLength: 50 }), fc.array(fc.nat(), { maxLength: 50 }), (read, joined, leaving) => {
      const line = bySeq(read);
      const copy = new WaitingLine(line);
      // A seq is one entry's (the identity column): the changes name each once.
      const added = bySeq(joined).filter((e) => !line.some((o) => o.seq === e.seq));
      copy.add(added);
      const now = bySeq([...line, ...added]);
      const left = leaving.map((i) => now[i % Math.max(1, now.length)]).filter((e): e is WaitingEntry => e !== undefined);
      copy.remove(left);
      const fresh = now.filter((e) => !left.includes(e));
      for (const e of [...now, ...joined]) expect(copy.placeOf(e)).toBe(placeByCounting(fresh, e));
    }), { seed, numRuns: 300 });
  });

  it('puts the head of each section first, and a whole-event entry behind everyone ahead of it', () => {
    const waiting = new WaitingLine([{ seq: 1, sectionId: 'a' }, { seq: 2, sectionId: 'b' }, { seq: 3, sectionId: null }, { seq: 4, sectionId: 'a' }]);
    expect([1, 2, 3, 4].map((seq, i) => waiting.placeOf({ seq, sectionId: ['a', 'b', null, 'a'][i]! }))).toEqual([1, 1, 3, 3]);
  });
});

describe("a node's copy of the lines", () => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => ({ db, drop } = await openTestPostgres(2)));
  afterAll(() => drop?.());

  async function joinLine(eventId: string, sectionId: string): Promise<number> {
    const { rows: [user] } = await db.query<{ id: string }>(`insert into users (email, name, password_hash) values ($1, 'Fan', 'x') returning id`, [`fan-${randomUUID()}@example.org`]);
    const { rows: [entry] } = await db.query<{ seq: number }>(
      `insert into waitlist_entries (event_id, user_id, section_id, quantity) values ($1, $2, $3, 1) returning seq::float8 as seq`,
      [eventId, user!.id, sectionId],
    );
    return entry!.seq;
  }

  it('reads a line once per max age, and applies the changes made on this node at once, without reading again', async () => {
    const { eventId, sectionId } = await insertEvent(db);
    let clock = 0;
    let reads = 0;
    const counting = { query: ((sql: string, params?: readonly unknown[]) => (reads++, db.query(sql, params))) as Database['query'] };
    const lines = createWaitingLines(counting, 1_000, () => clock);
    const first = await joinLine(eventId, sectionId);
    const place = async (seq: number) => (await lines.get(eventId)).placeOf({ seq, sectionId });

    expect(await place(first)).toBe(1);
    const second = await joinLine(eventId, sectionId);
    await db.query(`update waitlist_entries set status = 'left' where seq = $1`, [first]);
    // Within its max age the copy is what was read: a change made elsewhere does not show yet.
    clock = 1_000;
    expect(await place(second)).toBe(2);
    expect(reads).toBe(1);
    clock = 1_001;
    expect(await place(second)).toBe(1);
    expect(reads).toBe(2);

    // This node's own changes, applied twice as a read racing them could: each counts once.
    const third = await joinLine(eventId, sectionId);
    lines.joined(eventId, [{ seq: third, sectionId }, { seq: third, sectionId }]);
    expect(await place(third)).toBe(2);
    lines.left(eventId, [{ seq: second, sectionId }, { seq: second, sectionId }]);
    expect(await place(third)).toBe(1);
    expect(reads).toBe(2);
  });

  it('applies a change made while a read is in flight on top of what the read returns', async () => {
    const { eventId, sectionId } = await insertEvent(db);
    const lines = createWaitingLines(db, 1_000, () => 0);
    const first = await joinLine(eventId, sectionId);
    const reading = lines.get(eventId);
    const second = await joinLine(eventId, sectionId);
    lines.joined(eventId, [{ seq: second, sectionId }]);
    await reading;
    expect((await lines.get(eventId)).placeOf({ seq: second, sectionId })).toBe(2);
    expect((await lines.get(eventId)).placeOf({ seq: first + 0.5, sectionId })).toBe(2);
  });

  it('does not keep a read that failed: the next caller reads again', async () => {
    const { eventId, sectionId } = await insertEvent(db);
    const seq = await joinLine(eventId, sectionId);
    // The connection drops under the first read (the database itself is real).
    let dropNext = true;
    const flaky = {
      query: ((sql: string, params?: readonly unknown[]) => {
        if (!dropNext) return db.query(sql, params);
        dropNext = false;
        return Promise.reject(new Error('Connection terminated unexpectedly'));
      }) as Database['query'],
    };
    const lines = createWaitingLines(flaky, 1_000, () => 0);
    await expect(lines.get(eventId)).rejects.toThrow('Connection terminated');
    expect((await lines.get(eventId)).placeOf({ seq, sectionId })).toBe(1);
  });
});
