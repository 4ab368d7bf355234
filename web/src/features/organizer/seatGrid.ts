/** Row labels A..Z, then AA, AB… */
export function rowLabel(index: number): string {
  let label = '';
  let n = index;
  do {
    label = String.fromCharCode(65 + (n % 26)) + label;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return label;
}

export interface GridSpec {
  rows: number;
  seatsPerRow: number;
  layout: 'straight' | 'curved';
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * A reserved section's rows from a rows × seats grid, each seat with map coordinates one unit apart.
 * Curved rows lie on arcs around the stage (above the first row), each row one unit further out, so
 * every seat faces the stage; straight rows are a plain grid.
 */
export function generateRows({ rows, seatsPerRow, layout }: GridSpec) {
  // About one radian of arc for the first row: curved enough to face the stage, not a horseshoe.
  const innerRadius = Math.max(10, seatsPerRow * 1.2);
  return Array.from({ length: rows }, (_, r) => {
    const radius = innerRadius + r;
    const seats = Array.from({ length: seatsPerRow }, (_, i) => {
      const offset = i - (seatsPerRow - 1) / 2;
      if (layout === 'straight') return { number: i + 1, x: round(offset), y: r };
      const angle = offset / radius;
      return { number: i + 1, x: round(radius * Math.sin(angle)), y: round(radius * Math.cos(angle) - innerRadius) };
    });
    return { label: rowLabel(r), seats };
  });
}
