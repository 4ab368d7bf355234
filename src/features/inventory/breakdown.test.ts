import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { breakdownOf, chargeUnit, divideHalfUp, feeTotals, pricedItems, type Pricing } from './breakdown.js';
import { limits } from '../../limits.js';

const seed = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);
console.log(`breakdown: fast-check seed ${seed}; replay with FUZZ_SEED=${seed}`);

const vat = (ratePercent: number, inclusive: boolean): Pricing['tax'] => ({ name: 'VAT', ratePercent, inclusive });

describe('the breakdown of a price', () => {
  it('rounds half up to the minor unit', () => {
    expect(divideHalfUp(5, 2)).toBe(3);
    expect(divideHalfUp(7, 2)).toBe(4);
    expect(divideHalfUp(1, 3)).toBe(0);
    expect(divideHalfUp(2, 3)).toBe(1);
    expect(divideHalfUp(0, 7)).toBe(0);
  });

  it('adds an exclusive tax and the fees to the price after the discount, per ticket', () => {
    const pricing: Pricing = { fees: [{ name: 'Service', percent: 10, refundable: false }, { name: 'Facility', perTicket: 150, refundable: true }], tax: vat(8.875, false) };
    // 2,500 list, 500 off: net 2,000; service 10 % = 200; facility 150; tax 8.875 % of 2,000 = 177.5 -> 178.
    const unit = chargeUnit(2500, 500, pricing);
    expect(unit).toEqual({ listPrice: 2500, discount: 500, price: 2000, feeLines: [200, 150], fees: 350, feesKept: 200, tax: 178, total: 2528, refundable: 2328 });
    const breakdown = breakdownOf([{ unit, quantity: 3 }], pricing);
    expect(breakdown).toEqual({ subtotal: 7500, discount: 1500, fees: 1050, tax: 534, total: 7584, taxIncluded: false });
    expect(feeTotals([{ unit, quantity: 3 }], pricing)).toEqual([{ name: 'Service', refundable: false, amount: 600 }, { name: 'Facility', refundable: true, amount: 450 }]);
  });

  it('takes an inclusive tax out of the price instead of adding it', () => {
    // 1,200 with 20 % VAT included: 1,200 x 20 / 120 = 200.
    const unit = chargeUnit(1200, 0, { fees: [], tax: vat(20, true) });
    expect(unit).toMatchObject({ price: 1200, tax: 200, total: 1200 });
    // 999 at 7.7 %: 999 x 7.7 / 107.7 = 71.42… -> 71.
    expect(chargeUnit(999, 0, { fees: [], tax: vat(7.7, true) }).tax).toBe(71);
  });

  it('charges neither fee nor tax on a ticket that costs nothing', () => {
    const pricing: Pricing = { fees: [{ name: 'Service', perTicket: 300, refundable: false }], tax: vat(20, false) };
    expect(chargeUnit(1000, 1000, pricing)).toMatchObject({ price: 0, fees: 0, tax: 0, total: 0, refundable: 0 });
    expect(chargeUnit(0, 0, pricing).total).toBe(0);
  });

  it('never takes off more than the price', () => {
    expect(chargeUnit(300, 500, { fees: [], tax: null })).toMatchObject({ discount: 300, price: 0, total: 0 });
  });

  it('always sums its lines to the total, per ticket and per order, and nothing goes below zero (property)', () => {
    const fee = fc.record({
      name: fc.constant('fee'),
      refundable: fc.boolean(),
      amount: fc.oneof(
        fc.record({ perTicket: fc.integer({ min: 0, max: 100_000 }) }),
        // Rates to a thousandth of a percent, as stored.
        fc.record({ percent: fc.integer({ min: 0, max: limits.feePercentMax * 1000 }).map((r) => r / 1000) }),
      ),
    }).map(({ amount, ...rest }) => ({ ...rest, ...amount }));
    const pricing = fc.record({
      fees: fc.array(fee, { maxLength: limits.feesPerEventMax }),
      tax: fc.option(fc.record({ name: fc.constant('tax'), ratePercent: fc.integer({ min: 0, max: limits.taxRatePercentMax * 1000 }).map((r) => r / 1000), inclusive: fc.boolean() }), { nil: null }),
    });
    const item = fc.record({ listPrice: fc.integer({ min: 0, max: limits.priceMinorMax }), discountPercent: fc.integer({ min: 0, max: 100 }), amountOff: fc.integer({ min: 0, max: 50_000 }), percent: fc.boolean(), quantity: fc.integer({ min: 1, max: limits.ticketsPerOrderMax }) });
    fc.assert(fc.property(pricing, fc.array(item, { minLength: 1, maxLength: 10 }), (p: Pricing, lines) => {
      const items = lines.map((line) => {
        // A code's discount as codes.ts takes it: percent rounded half up, or an amount, never above the price.
        const discount = line.percent ? Math.floor((line.listPrice * line.discountPercent + 50) / 100) : Math.min(line.listPrice, line.amountOff);
        return { quantity: line.quantity, price: line.listPrice - discount, discount };
      });
      const { items: priced, priced: { breakdown: b, pricing: kept } } = pricedItems(items, p);
      for (const [i, it] of priced.entries()) {
        const unit = chargeUnit(it.price + it.discount, it.discount, p);
        expect(unit.total).toBe(unit.price + unit.fees + (p.tax?.inclusive ? 0 : unit.tax));
        expect(unit.feeLines.reduce((a, f) => a + f, 0)).toBe(unit.fees);
        expect(unit.refundable).toBeGreaterThanOrEqual(0);
        expect(unit.refundable).toBeLessThanOrEqual(unit.total);
        if (p.tax?.inclusive) expect(unit.tax).toBeLessThanOrEqual(unit.price);
        for (const value of [unit.price, unit.fees, unit.feesKept, unit.tax, unit.total, ...unit.feeLines]) {
          expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
        }
        expect(it.charged).toBe(unit.total);
        expect(it.price).toBe(items[i]!.price);
      }
      expect(b.total).toBe(b.subtotal - b.discount + b.fees + (b.taxIncluded ? 0 : b.tax));
      expect(b.total).toBe(priced.reduce((sum, it) => sum + it.charged * it.quantity, 0));
      expect(b.fees).toBe(kept.fees.reduce((sum, f) => sum + f.amount, 0));
      expect(b.subtotal).toBe(lines.reduce((sum, l) => sum + l.listPrice * l.quantity, 0));
      for (const value of Object.values(b)) if (typeof value === 'number') expect(value).toBeGreaterThanOrEqual(0);
      expect(b.discount).toBeLessThanOrEqual(b.subtotal);
      // Refunding tickets one by one gives back at most what was paid, and exactly it when every fee is refundable.
      const refunds = priced.reduce((sum, it) => sum + it.quantity * (it.charged - it.feesKept), 0);
      expect(refunds).toBeLessThanOrEqual(b.total);
      if (p.fees.every((f) => f.refundable)) expect(refunds).toBe(b.total);
    }), { seed, numRuns: 500 });
  });
});
