/**
 * Fairness of the line, from each buyer's place (the seq in their queue token, mapped through the
 * event's pre-queue draw) and when they sent their join:
 *   - after the opening the line is FIFO: arrival order and admission order (= place order, since the
 *     watermark admits places in order, whether or not the line reached a place before the stock ran
 *     out) should agree: Kendall's tau and Spearman's rho near 1, and no strict inversion (a buyer whose
 *     join was answered before another's was sent, placed behind them);
 *   - the pre-queue is drawn at random: arrival and place should not correlate (rho near 0).
 */
import { createPlaceMapping } from '../../src/features/queue/queue.js';
import { createQueueTokens } from '../../src/features/queue/tokens.js';
import type { BuyerRecord } from './buyer.js';

export interface Fairness {
  /** Joiners after the opening: their arrival order against their place (= admission order). */
  postOpen: { buyers: number; admitted: number; kendallTau: number; spearmanRho: number; inversions: number; strictInversions: number };
  preQueue: { buyers: number; spearmanRho: number; threshold: number };
  /** Buyers told their place or window had expired before their window (from their tick) could have ended. */
  expiredEarly: number;
  admittedMetSoldOut: number;
  admittedGotTickets: number;
  admittedGotNone: number;
  waitedAndGotNone: number;
  expectations: { name: string; ok: boolean; detail: string }[];
}

/** Ranks 1..n of values (ties share their mean rank). */
function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const result = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) result[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return result;
}

export function spearman(a: number[], b: number[]): number {
  if (a.length < 2) return NaN;
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (a.length + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i]! - mean) * (rb[i]! - mean);
    da += (ra[i]! - mean) ** 2;
    db += (rb[i]! - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/** Pairs out of order in `values` (merge sort, O(n log n)). */
export function countInversions(values: number[]): number {
  const sortAndCount = (xs: number[]): [number[], number] => {
    if (xs.length < 2) return [xs, 0];
    const middle = xs.length >> 1;
    const [left, a] = sortAndCount(xs.slice(0, middle));
    const [right, b] = sortAndCount(xs.slice(middle));
    const merged: number[] = [];
    let count = a + b;
    let i = 0;
    let j = 0;
    while (i < left.length && j < right.length) {
      if (left[i]! <= right[j]!) merged.push(left[i++]!);
      else {
        merged.push(right[j++]!);
        count += left.length - i;
      }
    }
    return [[...merged, ...left.slice(i), ...right.slice(j)], count];
  };
  return sortAndCount(values)[1];
}

/**
 * Pairs of joins where one request was over before the other began (their order is beyond doubt):
 * how many such pairs, and how many of them got their places the wrong way round (strict inversions).
 */
export function orderedPairs(joins: { sentAt: number; answeredAt: number; place: number }[]): { pairs: number; inverted: number } {
  const places = [...new Set(joins.map((j) => j.place))].sort((a, b) => a - b);
  const rankOf = new Map(places.map((p, i) => [p, i + 1]));
  const tree = new Array<number>(places.length + 1).fill(0);
  const add = (i: number) => { for (; i < tree.length; i += i & -i) tree[i]!++; };
  const countUpTo = (i: number) => { let n = 0; for (; i > 0; i -= i & -i) n += tree[i]!; return n; };
  const bySent = [...joins].sort((a, b) => a.sentAt - b.sentAt);
  const byAnswered = [...joins].sort((a, b) => a.answeredAt - b.answeredAt);
  let added = 0;
  let pairs = 0;
  let inverted = 0;
  for (const later of bySent) {
    while (added < byAnswered.length && byAnswered[added]!.answeredAt < later.sentAt) add(rankOf.get(byAnswered[added++]!.place)!);
    pairs += added;
    inverted += added - countUpTo(rankOf.get(later.place)!);
  }
  return { pairs, inverted };
}

export interface Line {
  eventId: string;
  queueTokenSecret: string;
  preQueueSize: number | null;
  admittedThrough: number;
  /** The admission log: places up to `through` admitted at `admittedAt` (ms), in order. */
  ticks: { through: number; admittedAt: number }[];
  shoppingWindowSeconds: number;
}

/** Clocks of the simulator and the servers may differ a little (same machine here). */
const clockMarginMs = 1000;

export function measureFairness(records: BuyerRecord[], line: Line): Fairness {
  const tokens = createQueueTokens(line.queueTokenSecret);
  const mapping = createPlaceMapping(line.queueTokenSecret);
  const preQueueSize = line.preQueueSize ?? 0;
  const joined = records.filter((r) => r.queueToken && r.joinSentAt !== null && r.joinAnsweredAt !== null).map((r) => {
    const { seq } = tokens.verify(r.queueToken!);
    return { record: r, seq, place: mapping.indexOfSeq(line.eventId, preQueueSize, seq), sentAt: r.joinSentAt!, answeredAt: r.joinAnsweredAt! };
  });
  const postOpen = joined.filter((j) => j.seq > preQueueSize).sort((a, b) => a.sentAt - b.sentAt);
  const n = postOpen.length;
  const inversions = countInversions(postOpen.map((j) => j.place));
  // Kendall's tau over the pairs whose arrival order is beyond doubt (1.0 for FIFO); joins in flight at
  // the same moment may be served in either order, and count only in `inversions`.
  const ordered = orderedPairs(postOpen);
  const kendallTau = ordered.pairs === 0 ? NaN : (ordered.pairs - 2 * ordered.inverted) / ordered.pairs;
  const strict = ordered.inverted;
  const pre = joined.filter((j) => j.seq <= preQueueSize);
  const preRho = spearman(pre.map((j) => j.sentAt), pre.map((j) => j.place));
  // Four standard errors of rho under no correlation (about 1/sqrt(n)), and never stricter than 0.1.
  const threshold = Math.max(0.1, 4 / Math.sqrt(Math.max(pre.length - 1, 1)));
  const admittedAt = (place: number) => line.ticks.find((t) => t.through >= place)?.admittedAt;
  const expiredEarly = joined.filter((j) => {
    if (j.record.expiredSeenAt === null) return false;
    const at = admittedAt(j.place);
    return at === undefined || j.record.expiredSeenAt < at + line.shoppingWindowSeconds * 1000 - clockMarginMs;
  });
  const admitted = records.filter((r) => r.admittedSeenAt !== null);
  const gotTickets = (r: BuyerRecord) => r.orders.some((o) => !o.cancelled) || r.outcome === 'cancelled';
  const expectations = [
    { name: 'FIFO after the opening: no strict inversion (Kendall tau = 1)', ok: strict === 0, detail: `${strict} strict inversions in ${ordered.pairs} ordered pairs of ${n} joiners (tau ${kendallTau.toFixed(4)}); ${inversions} inversions counting joins in flight together` },
    {
      name: 'no buyer told their place expired before their shopping window ended', ok: expiredEarly.length === 0,
      detail: expiredEarly.length === 0 ? 'none' : `${expiredEarly.length} buyers, e.g. place ${expiredEarly[0]!.place} told at ${expiredEarly[0]!.record.expiredSeenAt} ms, admitted at ${admittedAt(expiredEarly[0]!.place) ?? 'never'}`,
    },
    ...(pre.length >= 30 ? [{ name: `pre-queue drawn at random: |Spearman rho| < ${threshold.toFixed(2)}`, ok: Math.abs(preRho) < threshold, detail: `rho ${preRho.toFixed(4)} over ${pre.length} early joiners` }] : []),
  ];
  return {
    postOpen: {
      buyers: n, admitted: postOpen.filter((j) => j.place <= line.admittedThrough).length, kendallTau,
      spearmanRho: spearman(postOpen.map((j) => j.sentAt), postOpen.map((j) => j.place)), inversions, strictInversions: strict,
    },
    preQueue: { buyers: pre.length, spearmanRho: preRho, threshold },
    expiredEarly: expiredEarly.length,
    admittedMetSoldOut: admitted.filter((r) => r.toldSoldOut === 'hold').length,
    admittedGotTickets: admitted.filter(gotTickets).length,
    admittedGotNone: admitted.filter((r) => !gotTickets(r)).length,
    waitedAndGotNone: joined.filter((j) => j.record.admittedSeenAt === null && !gotTickets(j.record)).length,
    expectations,
  };
}
