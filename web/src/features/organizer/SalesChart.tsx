import type { Sales } from '../../api/types';
import { formatTime } from '../../app/format';

/** Tickets sold per minute (bars) and in total (line), as an SVG chart with a text summary. */
export function SalesChart({ sales }: { sales: Sales }) {
  const buckets = everyMinute(sales.buckets);
  if (buckets.length === 0) return <p className="empty">No sales yet. The chart fills in as orders come in.</p>;
  const width = 600;
  const height = 200;
  const left = 36;
  const bottom = 24;
  const maxPerMinute = Math.max(...buckets.map((b) => b.tickets));
  let running = 0;
  const cumulative = buckets.map((b) => (running += b.tickets));
  const total = running;
  const slot = (width - left) / buckets.length;
  const y = (value: number, max: number) => height - bottom - (value / max) * (height - bottom - 12);
  const line = cumulative.map((c, i) => `${i === 0 ? 'M' : 'L'}${left + slot * (i + 0.5)},${y(c, total)}`).join(' ');
  const first = buckets[0]!;
  const last = buckets[buckets.length - 1]!;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="chart-caption">
        <line x1={left} x2={width} y1={height - bottom} y2={height - bottom} className="axis" />
        <text x={left - 6} y={y(maxPerMinute, maxPerMinute) + 4} textAnchor="end" className="tick">{maxPerMinute}</text>
        <text x={left - 6} y={height - bottom} textAnchor="end" className="tick">0</text>
        {buckets.map((b, i) => (
          <rect key={b.minute} className="bar" x={left + slot * i + slot * 0.15} width={Math.max(1, slot * 0.7)} y={y(b.tickets, maxPerMinute)} height={height - bottom - y(b.tickets, maxPerMinute)}>
            <title>{`${formatTime(b.minute)}: ${b.tickets} tickets`}</title>
          </rect>
        ))}
        <path d={line} className="cumulative" />
        <text x={left} y={height - 6} className="tick">{formatTime(first.minute)}</text>
        <text x={width} y={height - 6} textAnchor="end" className="tick">{formatTime(last.minute)}</text>
      </svg>
      <figcaption id="chart-caption">
        Tickets sold per minute (bars) and in total (line): {total} tickets from {formatTime(first.minute)} to {formatTime(last.minute)}, peak {maxPerMinute} a minute.
      </figcaption>
    </figure>
  );
}

/** The server lists only minutes with sales; the chart's time axis needs the quiet minutes too. */
function everyMinute(buckets: Sales['buckets']): Sales['buckets'] {
  const byMinute = new Map(buckets.map((b) => [Date.parse(b.minute), b]));
  const first = Date.parse(buckets[0]?.minute ?? '');
  const last = Date.parse(buckets[buckets.length - 1]?.minute ?? '');
  if (!(last >= first)) return buckets;
  const filled: Sales['buckets'] = [];
  for (let t = first; t <= last; t += 60_000) filled.push(byMinute.get(t) ?? { minute: new Date(t).toISOString(), tickets: 0, revenue: 0 });
  return filled;
}
