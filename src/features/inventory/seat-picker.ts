/** A seat as the picker sees it: where it is and whether it can be sold now. */
export interface PickerSeat {
  id: string;
  row: string;
  number: number;
  x: number;
  y: number;
  free: boolean;
}

interface Row<T extends PickerSeat> {
  rank: number;
  centerX: number;
  seats: T[];
}

interface Placement<T extends PickerSeat> {
  seats: T[];
  strandedSingles: number;
  rowRank: number;
  offCenter: number;
}

/**
 * Rows ordered best first: nearest the stage (smallest y) first. Within a row seats follow their
 * numbers; a gap in numbering (an aisle) breaks adjacency.
 */
function rowsBestFirst<T extends PickerSeat>(seats: readonly T[]): Row<T>[] {
  const byRow = new Map<string, T[]>();
  for (const seat of seats) byRow.set(seat.row, [...(byRow.get(seat.row) ?? []), seat]);
  const rows = [...byRow.entries()].map(([label, rowSeats]) => {
    const sorted = rowSeats.sort((a, b) => a.number - b.number);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    return { label, seats: sorted, y: mean(sorted.map((s) => s.y)), centerX: mean(sorted.map((s) => s.x)) };
  });
  rows.sort((a, b) => a.y - b.y || a.label.localeCompare(b.label, undefined, { numeric: true }));
  return rows.map((row, rank) => ({ rank, centerX: row.centerX, seats: row.seats }));
}

/** Maximal runs of free seats with consecutive numbers. */
function freeRuns<T extends PickerSeat>(row: Row<T>): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  for (const seat of row.seats) {
    const continues = seat.free && run.length > 0 && seat.number === run[run.length - 1]!.number + 1;
    if (continues) run.push(seat);
    else {
      if (run.length > 0) runs.push(run);
      run = seat.free ? [seat] : [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

const better = <T extends PickerSeat>(a: Placement<T>, b: Placement<T>) =>
  a.strandedSingles - b.strandedSingles || a.rowRank - b.rowRank || a.offCenter - b.offCenter;

/**
 * Chooses the best `quantity` seats: side by side in one row when possible, preferring placements
 * that leave no single empty seat stranded beside them, then rows nearer the stage, then seats nearer
 * the row's centre. When no row has enough adjacent seats, the best free seats are returned apart.
 * Returns undefined only when fewer than `quantity` seats are free.
 */
export function pickBestSeats<T extends PickerSeat>(seats: readonly T[], quantity: number): { seats: T[]; together: boolean } | undefined {
  if (quantity < 1 || seats.filter((s) => s.free).length < quantity) return undefined;
  const rows = rowsBestFirst(seats);
  let best: Placement<T> | undefined;
  for (const row of rows) {
    for (const run of freeRuns(row)) {
      for (let offset = 0; offset + quantity <= run.length; offset++) {
        const chosen = run.slice(offset, offset + quantity);
        const leftGap = offset;
        const rightGap = run.length - offset - quantity;
        const centre = chosen.reduce((sum, s) => sum + s.x, 0) / quantity;
        const placement: Placement<T> = {
          seats: chosen,
          strandedSingles: Number(leftGap === 1) + Number(rightGap === 1),
          rowRank: row.rank,
          offCenter: Math.abs(centre - row.centerX),
        };
        if (!best || better(placement, best) < 0) best = placement;
      }
    }
  }
  if (best) return { seats: best.seats, together: true };
  const apart = rows.flatMap((row) =>
    row.seats.filter((s) => s.free).map((seat) => ({ seat, rank: row.rank, offCenter: Math.abs(seat.x - row.centerX) })),
  );
  apart.sort((a, b) => a.rank - b.rank || a.offCenter - b.offCenter);
  return { seats: apart.slice(0, quantity).map((a) => a.seat), together: false };
}
