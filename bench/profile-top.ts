/**
 * The frames with the most self time in a V8 CPU profile (`node --cpu-prof`, or bench/queue.ts --cpu-prof DIR),
 * the reading docs/benchmarks.md records for the door:
 *   npx tsx bench/profile-top.ts FILE.cpuprofile [--top 30] [--by frame|file] [--from S] [--to S] [--timeline]
 * Self time is where the CPU was when sampled (not counting callees); `--by file` adds up each source file
 * (or package, for node_modules), which shows which layer (Fastify, a plugin, ioredis, our code) costs what.
 * Idle time (`(idle)`) is left out of the percentages, so they are shares of the time the process was busy.
 * --from/--to (seconds since the profile began) keep one window, e.g. the load phase without the start-up's
 * module loading and schema compiling; --timeline prints the busy share per second, to find that window.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: {
  top: { type: 'string', default: '30' }, by: { type: 'string', default: 'frame' }, from: { type: 'string', default: '0' }, to: { type: 'string', default: 'Infinity' },
  timeline: { type: 'boolean', default: false },
} });
const file = positionals[0];
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile [--top 30] [--by frame|file]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
const idleIds = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));

const fromUs = Number(values.from) * 1e6;
const toUs = Number(values.to) * 1e6;
const hits = new Map<number, number>();
const perSecond: { busy: number; all: number }[] = [];
let at = 0;
let kept = 0;
for (const [i, id] of profile.samples.entries()) {
  at += profile.timeDeltas[i]!;
  const second = (perSecond[Math.floor(at / 1e6)] ??= { busy: 0, all: 0 });
  second.all++;
  if (!idleIds.has(id)) second.busy++;
  if (at < fromUs || at >= toUs) continue;
  kept++;
  hits.set(id, (hits.get(id) ?? 0) + 1);
}
if (values.timeline) for (const [s, { busy, all }] of perSecond.entries()) console.log(`${String(s).padStart(4)} s  busy ${Math.round((busy / Math.max(1, all)) * 100)} %`);

const where = (url: string) => {
  const packageAt = url.lastIndexOf('node_modules/');
  if (packageAt >= 0) {
    const rest = url.slice(packageAt + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return url.replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/') || '(native)';
};
const label = ({ callFrame: { functionName, url, lineNumber } }: ProfileNode) =>
  values.by === 'file' ? where(url) : `${functionName || '(anonymous)'} ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;

const totals = new Map<string, number>();
let busy = 0;
for (const node of profile.nodes) {
  const count = hits.get(node.id) ?? 0;
  if (count === 0 || node.callFrame.functionName === '(idle)') continue;
  busy += count;
  totals.set(label(node), (totals.get(label(node)) ?? 0) + count);
}
console.log(`${kept} samples, busy ${((busy / Math.max(1, kept)) * 100).toFixed(1)} % (idle ${kept - busy})`);
for (const [name, count] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(`${((count / busy) * 100).toFixed(1).padStart(5)} %  ${name}`);
}
