import type { Seat } from '../../api/types';

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function boundsOf(seats: readonly Pick<Seat, 'x' | 'y'>[]): Bounds {
  const xs = seats.map((s) => s.x);
  const ys = seats.map((s) => s.y);
  return { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
}

type Direction = 'left' | 'right' | 'up' | 'down';

/**
 * The seat an arrow key moves to from `from`: the nearest seat lying mostly in that direction
 * (distance along the axis counts, sideways drift counts double). Works for straight and curved rows.
 */
export function neighbour<T extends Pick<Seat, 'x' | 'y'>>(seats: readonly T[], from: T, direction: Direction): T | undefined {
  let best: T | undefined;
  let bestScore = Infinity;
  for (const seat of seats) {
    if (seat === from) continue;
    const dx = seat.x - from.x;
    const dy = seat.y - from.y;
    const [along, across] = direction === 'left' ? [-dx, dy] : direction === 'right' ? [dx, dy] : direction === 'up' ? [-dy, dx] : [dy, dx];
    if (along <= 0.01 || Math.abs(across) > along * 1.5 + 0.5) continue;
    const score = along + 2 * Math.abs(across);
    if (score < bestScore) {
      bestScore = score;
      best = seat;
    }
  }
  return best;
}

export const arrowDirections: Record<string, Direction> = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' };
