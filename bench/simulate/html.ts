/**
 * The report as one self-contained HTML file: charts drawn here as inline SVG (no script, no library,
 * nothing fetched), so it opens offline and can be mailed or attached as it is.
 */
import type { Step } from './client.js';
import type { Report, TimelineRow } from './report.js';

interface Series {
  name: string;
  values: (number | null)[];
  dashed?: boolean;
}

const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563', '#ca8a04', '#db2777'];
const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A round step for about five grid lines up to `max`. */
function niceStep(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
}

export function lineChart(title: string, seconds: number[], series: Series[], unit = ''): string {
  const width = 560;
  const height = 230;
  const left = 52;
  const right = 12;
  const top = 26;
  const bottom = 28;
  const drawn = series.filter((s) => s.values.some((v) => v !== null));
  const maxY = Math.max(1, ...drawn.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v))));
  const stepY = niceStep(maxY);
  const topY = Math.ceil(maxY / stepY) * stepY;
  const maxX = Math.max(1, seconds.at(-1) ?? 1);
  const x = (second: number) => left + ((width - left - right) * second) / maxX;
  const y = (value: number) => top + (height - top - bottom) * (1 - value / topY);
  const grid: string[] = [];
  for (let v = 0; v <= topY + 1e-9; v += stepY) {
    grid.push(`<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${+v.toPrecision(4)}</text>`);
  }
  const stepX = niceStep(maxX);
  for (let s = 0; s <= maxX; s += stepX) grid.push(`<text x="${x(s)}" y="${height - 10}" text-anchor="middle">${s}</text>`);
  const paths = drawn.map((s, i) => {
    let d = '';
    let pen = false;
    s.values.forEach((v, k) => {
      if (v === null || !Number.isFinite(v)) return void (pen = false);
      d += `${pen ? 'L' : 'M'}${x(seconds[k]!).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return `<path d="${d}" fill="none" stroke="${palette[i % palette.length]}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`;
  });
  // The legend is HTML under the chart, so a long one wraps instead of running off the edge.
  const legend = drawn.map((s, i) => `<span><b style="color:${palette[i % palette.length]}">■</b> ${escape(s.name)}</span>`).join(' ');
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escape(title)}">
<text x="${left}" y="16" class="title">${escape(title)}${unit ? ` (${escape(unit)})` : ''}</text>
${grid.join('\n')}
<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#9ca3af"/>
${paths.join('\n')}
</svg><figcaption>${legend || 'no data'}</figcaption></figure>`;
}

function htmlTable(header: string[], rows: (string | number)[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escape(String(c))}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const badge = (ok: boolean) => `<span class="${ok ? 'ok' : 'bad'}">${ok ? 'held' : 'BROKEN'}</span>`;

function charts(report: Report): string[] {
  const rows = report.timeline;
  const seconds = rows.map((r) => r.second);
  const pick = (f: (r: TimelineRow) => number | null) => rows.map(f);
  const latency = (step: Step) => lineChart(`${step} latency`, seconds, (['p50', 'p95', 'p99'] as const).map((p) => ({ name: p, values: pick((r) => r.latency[step]?.[p] ?? null) })), 'ms');
  const errorKeys = Object.entries(rows.reduce<Record<string, number>>((all, r) => {
    for (const [k, v] of Object.entries(r.errors)) all[k] = (all[k] ?? 0) + v;
    return all;
  }, {})).sort((a, b) => b[1] - a[1]).slice(0, palette.length).map(([k]) => k);
  const cpuNames = Object.keys(report.cpuAverage);
  const queue = report.options.queue;
  return [
    ...(queue ? [
      lineChart('Waiting room', seconds, [{ name: 'queue length', values: pick((r) => r.queueLength) }, { name: 'active shoppers', values: pick((r) => r.activeShoppers) }], 'people'),
      lineChart('Admitted per minute', seconds, [
        { name: 'configured', values: rows.map(() => report.options.admitPerMinute), dashed: true },
        { name: 'actual (last 60 s, server)', values: pick((r) => r.admittedPerMinute) },
        { name: 'this second × 60', values: pick((r) => (r.admittedThisSecond === null ? null : r.admittedThisSecond * 60)) },
      ], 'per minute'),
    ] : []),
    lineChart('Holds and orders per second', seconds, [{ name: 'holds (201)', values: pick((r) => r.holds) }, { name: 'orders (201)', values: pick((r) => r.orders) }], 'per second'),
    lineChart('Tickets', seconds, [{ name: 'left (available)', values: pick((r) => r.ticketsLeft) }, { name: 'sold', values: pick((r) => r.sold) }, { name: 'held', values: pick((r) => r.held) }]),
    ...(['join', 'status', 'hold', 'checkout'] as const).filter((step) => report.latency[step]).map(latency),
    lineChart('Errors by step and code', seconds, errorKeys.map((key) => ({ name: key, values: pick((r) => r.errors[key] ?? 0) })), 'per second'),
    lineChart('CPU by process', seconds, cpuNames.map((name) => ({ name, values: pick((r) => r.cpu[name] ?? null), dashed: name === 'machine' })), '% of one core'),
  ];
}

export function renderHtml(report: Report, summary: string): string {
  const o = report.outcome;
  const f = report.fairness;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(report.title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #111827; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
.ok { color: #15803d; font-weight: 600; } .bad { color: #b91c1c; font-weight: 700; }
.verdict { font-size: 18px; padding: 8px 12px; border-radius: 6px; display: inline-block; background: #f3f4f6; }
.charts { display: flex; flex-wrap: wrap; gap: 8px; } figure { margin: 0; border: 1px solid #e5e7eb; border-radius: 6px; }
svg text { font-size: 11px; fill: #374151; } svg .title { font-size: 13px; font-weight: 600; }
figcaption { font-size: 11px; padding: 0 8px 6px 52px; max-width: 500px; } figcaption span { margin-right: 10px; white-space: nowrap; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border-bottom: 1px solid #e5e7eb; padding: 3px 10px; text-align: left; vertical-align: top; }
pre { background: #f9fafb; padding: 12px; overflow-x: auto; font-size: 12px; }
</style></head><body>
<h1>${escape(report.title)}</h1>
<p>commit ${escape(report.commit)} · ${escape(report.date)} · ${report.machine.cpus} CPUs, load average ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}</p>
<p class="verdict">${report.verdict.ok ? '<span class="ok">PASSED</span>: every invariant held and every expectation was met' : `<span class="bad">FAILED</span>: ${escape(report.verdict.failures.join('; '))}`}</p>
<h2>Outcome</h2>
${htmlTable(['', ''], [
    ['tickets sold', `${o.ticketsSold} of ${o.capacity}`],
    ['time to sell out (from opening)', o.secondsToSellOut === null ? 'not sold out' : `${o.secondsToSellOut} s`],
    ['buyers served / told sold out', `${o.buyersServed} / ${o.buyersToldSoldOut}`],
    ['waitlist joined / offers made / converted', `${o.waitlist.joined} / ${o.waitlist.offers} / ${o.waitlist.converted}`],
    ['responses >= 500 / 503 / timeouts', `${report.answers.fiveHundreds} / ${report.answers.unavailable} / ${report.answers.timeouts}`],
    ['run', `${report.run.seconds.toFixed(0)} s${report.run.stoppedBy ? `, stopped: ${report.run.stoppedBy}` : ''}`],
  ])}
<h2>Timeline (seconds since the clock started; the sale opened at ${report.run.openSecond} s)</h2>
<div class="charts">${charts(report).join('\n')}</div>
<h2>Invariants</h2>
${htmlTable(['rule', '', 'detail'], report.invariants.map((c) => [c.name, c.ok ? 'held' : 'BROKEN', c.detail])).replace(/<td>(held|BROKEN)<\/td>/g, (_, v: string) => `<td>${badge(v === 'held')}</td>`)}
${f ? `<h2>Fairness</h2>${htmlTable(['expectation', '', 'detail'], f.expectations.map((e) => [e.name, e.ok ? 'met' : 'NOT MET', e.detail]))}` : ''}
<h2>Summary (as printed)</h2>
<pre>${escape(summary)}</pre>
</body></html>
`;
}
