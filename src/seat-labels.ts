/**
 * Seat labels as a person reads them: "Row H, seats 3-10" instead of eight lines. A label is its
 * row followed by its number ("H3"); labels of another shape are listed as they are.
 */
export function groupSeatLabels(labels: readonly string[]): string[] {
  const rows = new Map<string, number[]>();
  const others: string[] = [];
  for (const label of labels) {
    const match = /^(.*?)[\s-]*(\d+)$/.exec(label);
    const row = match?.[1];
    if (row) rows.set(row, [...(rows.get(row) ?? []), Number(match[2])]);
    else others.push(label);
  }
  const grouped = [...rows].map(([row, numbers]) => {
    const runs = runsOf([...new Set(numbers)].sort((a, b) => a - b));
    const count = runs.reduce((sum, [from, to]) => sum + to - from + 1, 0);
    return `Row ${row}, seat${count === 1 ? '' : 's'} ${runs.map(([from, to]) => (from === to ? `${from}` : `${from}–${to}`)).join(', ')}`;
  });
  return [...grouped, ...(others.length ? [`Seat${others.length === 1 ? '' : 's'} ${others.join(', ')}`] : [])];
}

/** [3, 4, 5, 8] -> [[3, 5], [8, 8]]. */
function runsOf(sorted: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const n of sorted) {
    const last = runs.at(-1);
    if (last && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs;
}
