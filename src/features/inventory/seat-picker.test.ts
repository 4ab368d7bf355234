import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickBestSeats, type PickerSeat } from './seat-picker.js';

/** A row of seats numbered 1..pattern.length; 'x' is taken, '.' is free. */
function row(label: string, pattern: string, y = 0): PickerSeat[] {
  return [...pattern].map((c, i) => ({ id: `${label}${i + 1}`, row: label, number: i + 1, x: i, y, free: c === '.' }));
}

const ids = (result: ReturnType<typeof pickBestSeats>) => result?.seats.map((s) => s.id);

describe('pickBestSeats', () => {
  it('takes the centre of an empty front row', () => {
    expect(ids(pickBestSeats([...row('A', '..........'), ...row('B', '..........', 1)], 2))).toEqual(['A5', 'A6']);
  });

  it('prefers a placement that strands no single seat over a more central one', () => {
    // Centre block A3-A4 would leave A2 alone between A1 (taken) and the group.
    expect(ids(pickBestSeats(row('A', 'x.....x'), 2))).toEqual(['A2', 'A3']);
  });

  it('goes to a further row rather than strand a seat in the front one', () => {
    // In row B, B2-B3 would strand B1 at the row's end; B1-B2 leaves three together.
    const seats = [...row('A', 'x...x'), ...row('B', '.....', 1)];
    expect(ids(pickBestSeats(seats, 2))).toEqual(['B1', 'B2']);
  });

  it('strands a seat when no other choice exists', () => {
    expect(ids(pickBestSeats(row('A', 'x...x'), 2))?.length).toBe(2);
  });

  it('does not treat an aisle (a gap in numbering) as adjacent', () => {
    const seats = row('A', '....').map((s, i) => ({ ...s, number: i < 2 ? i + 1 : i + 3 }));
    const picked = pickBestSeats(seats, 3);
    expect(picked?.together).toBe(false);
  });

  it('splits the group across rows when no row has enough seats together', () => {
    const picked = pickBestSeats([...row('A', '.x.x.'), ...row('B', 'x.x.x', 1)], 3);
    expect(picked?.together).toBe(false);
    expect(ids(picked)).toEqual(['A3', 'A1', 'A5']);
  });

  it('answers undefined only when fewer seats are free than asked for', () => {
    expect(pickBestSeats(row('A', 'xx.x'), 2)).toBeUndefined();
    expect(pickBestSeats(row('A', 'xx.x.'), 2)).toBeDefined();
  });

  const layouts = fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 8 }).map((rows) =>
    rows.flatMap((frees, r) => frees.map((free, i) => ({ id: `${r}-${i}`, row: `R${r}`, number: i + 1, x: i, y: r, free }))),
  );

  it('returns exactly the quantity, all distinct and free, whenever enough are free', () => {
    fc.assert(
      fc.property(layouts, fc.integer({ min: 1, max: 10 }), (seats, quantity) => {
        const free = seats.filter((s) => s.free).length;
        const picked = pickBestSeats(seats, quantity);
        if (free < quantity) return picked === undefined;
        return picked !== undefined && picked.seats.length === quantity && new Set(ids(picked)).size === quantity && picked.seats.every((s) => s.free);
      }),
    );
  });

  it('keeps the group together whenever some row has that many adjacent free seats', () => {
    fc.assert(
      fc.property(layouts, fc.integer({ min: 1, max: 6 }), (seats, quantity) => {
        const rowOf = (label: string) => seats.filter((s) => s.row === label);
        const runExists = [...new Set(seats.map((s) => s.row))].some((label) => {
          let run = 0;
          return rowOf(label).some((s) => (run = s.free ? run + 1 : 0) >= quantity);
        });
        const picked = pickBestSeats(seats, quantity);
        if (!runExists) return true;
        const sameRow = new Set(picked!.seats.map((s) => s.row)).size === 1;
        const numbers = picked!.seats.map((s) => s.number).sort((a, b) => a - b);
        return picked!.together && sameRow && numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1);
      }),
    );
  });

  it('strands no single seat when some adjacent placement avoids it', () => {
    const strands = (seats: PickerSeat[], chosen: Set<string>) =>
      seats.filter((s) => s.free && !chosen.has(s.id)).some((s) => {
        const neighbours = seats.filter((n) => n.row === s.row && Math.abs(n.number - s.number) === 1);
        const blocked = (n: PickerSeat | undefined) => !n || !n.free || chosen.has(n.id);
        const left = neighbours.find((n) => n.number === s.number - 1);
        const right = neighbours.find((n) => n.number === s.number + 1);
        // A single newly stranded seat: boxed in, with our group on one side.
        return blocked(left) && blocked(right) && [left, right].some((n) => n && chosen.has(n.id));
      });
    fc.assert(
      fc.property(layouts, fc.integer({ min: 1, max: 5 }), (seats, quantity) => {
        const picked = pickBestSeats(seats, quantity);
        if (!picked?.together) return true;
        const candidates = seats.filter((s) => s.free).flatMap((start) => {
          const group = seats.filter((s) => s.row === start.row && s.number >= start.number && s.number < start.number + quantity);
          return group.length === quantity && group.every((s) => s.free) ? [new Set(group.map((s) => s.id))] : [];
        });
        const someAvoids = candidates.some((group) => !strands(seats, group));
        return !someAvoids || !strands(seats, new Set(ids(picked)));
      }),
    );
  });
});
