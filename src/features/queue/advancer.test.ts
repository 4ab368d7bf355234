import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shoppersServable } from './advancer.js';

const seed = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
console.log(`advancer: fast-check seed ${seed}; replay with FUZZ_SEED=${seed}`);

describe('shoppersServable (stock-aware admission)', () => {
  it('serves one shopper per order while stock is plentiful and one per ticket in the tail', () => {
    expect(shoppersServable(2000, 4, 100)).toBe(500);
    expect(shoppersServable(300, 4, 100)).toBe(100);
    expect(shoppersServable(90, 4, 100)).toBe(90);
    expect(shoppersServable(3, 4, 100)).toBe(3);
    expect(shoppersServable(0, 4, 100)).toBe(0);
    expect(shoppersServable(10, 4, 0)).toBe(3);
  });

  it('never lets in more shoppers than tickets, never fewer than the per-order rule, and never decreases as stock grows', () => {
    fc.assert(fc.property(fc.nat(100_000), fc.integer({ min: 1, max: 50 }), fc.nat(10_000), (available, perShopper, tail) => {
      const servable = shoppersServable(available, perShopper, tail);
      expect(servable).toBeLessThanOrEqual(available);
      expect(servable).toBeGreaterThanOrEqual(Math.ceil(available / perShopper));
      expect(shoppersServable(available + 1, perShopper, tail)).toBeGreaterThanOrEqual(servable);
    }), { seed });
  });
});
