/** The simulator's fairness measures and report charts (bench/simulate), as pure functions. */
import { describe, expect, it } from 'vitest';
import { countInversions, orderedPairs, spearman } from '../bench/simulate/fairness.js';
import { lineChart } from '../bench/simulate/html.js';

describe('the fairness measures and the charts', () => {
  it('count inversions, and strict ones only between requests that did not overlap', () => {
    expect(countInversions([1, 2, 3, 4])).toBe(0);
    expect(countInversions([4, 3, 2, 1])).toBe(6);
    expect(countInversions([2, 1, 4, 3])).toBe(2);
    const fifo = [{ sentAt: 0, answeredAt: 10, place: 1 }, { sentAt: 20, answeredAt: 30, place: 2 }, { sentAt: 40, answeredAt: 50, place: 3 }];
    expect(orderedPairs(fifo)).toEqual({ pairs: 3, inverted: 0 });
    // The last two overlap, so their order proves nothing; the first was over before either began.
    expect(orderedPairs([{ sentAt: 0, answeredAt: 10, place: 3 }, { sentAt: 20, answeredAt: 60, place: 2 }, { sentAt: 30, answeredAt: 40, place: 1 }])).toEqual({ pairs: 2, inverted: 2 });
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [40, 30, 20, 10])).toBeCloseTo(-1);
  });

  it('draws charts as inline SVG that need nothing from the network', () => {
    const svg = lineChart('Holds', [0, 1, 2], [{ name: 'holds', values: [0, 5, null] }]);
    expect(svg).toMatch(/^<figure><svg /);
    expect(svg).toContain('<path d="M');
    expect(svg).not.toMatch(/https?:|<script|xlink:href/);
  });
});
