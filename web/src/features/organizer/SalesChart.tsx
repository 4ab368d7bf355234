import type { Sales } from '../../api/types';
import { formatTime } from '../../app/format';

type Bucket = Sales['buckets'][number];

/** A short sale still gets a time axis this long, so one busy minute is a bar, not the whole chart. */
const axisMinutesMin = 30;
/** Bars at most: a longer sale is binned (5, 10, 15 … minutes a bar) so every bar stays visible. */
const barsMax = 120;
const binChoices = [1, 2, 5, 10, 15, 30, 60];
const barWidthMax = 16;

/** Tickets sold per minute (or per bin of minutes) as bars, and in total as a line, with a text summary. */
export function SalesChart({ sales }: { sales: Sales }) {
  if (sales.buckets.length === 0) return <p className="empty">No sales yet. The chart fills in as orders come in.</p>;
  const { bars, binMinutes } = binned(everyMinute(sales.buckets));
  const width = 600;
  const height = 200;
  const left = 36;
  const bottom = 24;
  const maxPerBar = Math.max(1, ...bars.map((b) => b.tickets));
  let running = 0;
  const cumulative = bars.map((b) => (running += b.tickets));
  const total = running;
  const slot = (width - left) / bars.length;
  const barWidth = Math.min(barWidthMax, Math.max(1, slot * 0.7));
  const y = (value: number, max: number) => height - bottom - (value / Math.max(1, max)) * (height - bottom - 12);
  const line = cumulative.map((c, i) => `${i === 0 ? 'M' : 'L'}${left + slot * (i + 0.5)},${y(c, total)}`).join(' ');
  const first = bars[0]!;
  const last = bars[bars.length - 1]!;
  const middle = bars[Math.floor(bars.length / 2)]!;
  const per = binMinutes === 1 ? 'a minute' : `per ${binMinutes} minutes`;
  const peak = Math.max(...bars.map((b) => b.tickets));
  return (
    <figure className="chart" data-bars={bars.length} data-bin-minutes={binMinutes}>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="chart-caption">
        <line x1={left} x2={width} y1={height - bottom} y2={height - bottom} className="axis" />
        <text x={left - 6} y={y(maxPerBar, maxPerBar) + 4} textAnchor="end" className="tick">{maxPerBar}</text>
        <text x={left - 6} y={height - bottom} textAnchor="end" className="tick">0</text>
        {bars.map((b, i) => (
          <rect key={b.minute} className="bar" x={left + slot * (i + 0.5) - barWidth / 2} width={barWidth} y={y(b.tickets, maxPerBar)} height={height - bottom - y(b.tickets, maxPerBar)}>
            <title>{`${formatTime(b.minute)}: ${b.tickets} tickets`}</title>
          </rect>
        ))}
        <path d={line} className="cumulative" />
        <text x={left} y={height - 6} className="tick">{formatTime(first.minute)}</text>
        {bars.length > 8 && <text x={left + slot * (Math.floor(bars.length / 2) + 0.5)} y={height - 6} textAnchor="middle" className="tick">{formatTime(middle.minute)}</text>}
        <text x={width} y={height - 6} textAnchor="end" className="tick">{formatTime(last.minute)}</text>
      </svg>
      <figcaption id="chart-caption">
        Tickets sold {per} (bars) and in total (line): {total} tickets from {formatTime(first.minute)} to {formatTime(last.minute)}, peak {peak} {per}.
      </figcaption>
    </figure>
  );
}

/** The server lists only minutes with sales; the time axis needs the quiet minutes too, and at least `axisMinutesMin` of them. */
function everyMinute(buckets: Sales['buckets']): Bucket[] {
  const byMinute = new Map(buckets.map((b) => [Date.parse(b.minute), b]));
  const last = Date.parse(buckets[buckets.length - 1]!.minute);
  const first = Math.min(Date.parse(buckets[0]!.minute), last - (axisMinutesMin - 1) * 60_000);
  const filled: Bucket[] = [];
  for (let t = first; t <= last; t += 60_000) filled.push(byMinute.get(t) ?? { minute: new Date(t).toISOString(), tickets: 0, revenue: 0 });
  return filled;
}

/** Minutes grouped into bins of the smallest size that keeps the bars within `barsMax`. */
function binned(minutes: Bucket[]): { bars: Bucket[]; binMinutes: number } {
  const binMinutes = binChoices.find((size) => Math.ceil(minutes.length / size) <= barsMax) ?? binChoices[binChoices.length - 1]!;
  const bars: Bucket[] = [];
  for (let i = 0; i < minutes.length; i += binMinutes) {
    const bin = minutes.slice(i, i + binMinutes);
    bars.push({ minute: bin[0]!.minute, tickets: bin.reduce((n, b) => n + b.tickets, 0), revenue: bin.reduce((n, b) => n + b.revenue, 0) });
  }
  return { bars, binMinutes };
}
