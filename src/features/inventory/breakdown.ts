/**
 * What a ticket and an order cost: price, discount, fees and tax, in integer minor units. The one
 * place the rule is computed (docs/fees.md); pure, so its property test can try any input.
 *
 * The rule, per ticket (every unit of a hold item is priced alike, so per item and quantity):
 *   - net = list price − discount (the code's, never more than the price);
 *   - each fee: `perTicket` as is, or `percent` of net, rounded half up to the minor unit; a ticket
 *     whose net is 0 (a free type, a 100 % discount) carries no fee and no tax;
 *   - tax on net (fees are outside its base): exclusive, net × rate, added; inclusive, the part of
 *     net that is tax, net × rate / (100 + rate), already in the price; rounded half up;
 *   - the ticket's total = net + fees + (exclusive ? tax : 0).
 * A breakdown sums its tickets: subtotal (list prices), discount, fees, tax, total; so
 * total = subtotal − discount + fees + (taxIncluded ? 0 : tax) holds exactly, and nothing is negative.
 * Rates are taken to a thousandth of a percent (rounded half up).
 */

export interface Fee {
  name: string;
  /** Minor units per ticket; or `percent` of the ticket's price after its discount. */
  perTicket?: number;
  percent?: number;
  /** Returned when the ticket is cancelled; a fee that is not is kept by the organizer. */
  refundable: boolean;
}

export interface Tax {
  name: string;
  ratePercent: number;
  /** true: prices include it (as in the EU); false: added on top (as in the US). */
  inclusive: boolean;
}

/** An event's fees and tax, as a hold is priced with them (and keeps them, for its receipt). */
export interface Pricing {
  fees: Fee[];
  tax: Tax | null;
}

export const noPricing: Pricing = { fees: [], tax: null };

export interface Breakdown {
  /** List prices of the tickets, before any discount. */
  subtotal: number;
  discount: number;
  fees: number;
  tax: number;
  /** What is charged: subtotal − discount + fees (+ tax when it is added, not included). */
  total: number;
  /** The tax is part of the prices (inclusive) rather than added to them. */
  taxIncluded: boolean;
}

/** What one ticket costs. */
export interface UnitCharge {
  listPrice: number;
  discount: number;
  /** listPrice − discount. */
  price: number;
  /** Each of the pricing's fees, in its order. */
  feeLines: number[];
  fees: number;
  /** The fees not returned on cancellation. */
  feesKept: number;
  tax: number;
  total: number;
  /** What cancelling this ticket returns: total − feesKept. */
  refundable: number;
}

/** Hundred-thousandths: a rate of 20 % is 20,000 of them. */
const rateScale = 100_000;
const scaledRate = (percent: number) => Math.round(percent * 1000);

/** a / b rounded half up, for integers a ≥ 0, b > 0 (exact below 2^52). */
export function divideHalfUp(a: number, b: number): number {
  return Math.floor((2 * a + b) / (2 * b));
}

export function chargeUnit(listPrice: number, discount: number, pricing: Pricing): UnitCharge {
  const off = Math.min(Math.max(0, discount), listPrice);
  const price = listPrice - off;
  const feeLines = pricing.fees.map((fee) => (price === 0 ? 0 : fee.perTicket ?? divideHalfUp(price * scaledRate(fee.percent ?? 0), rateScale)));
  const fees = feeLines.reduce((sum, f) => sum + f, 0);
  const feesKept = feeLines.reduce((sum, f, i) => (pricing.fees[i]!.refundable ? sum : sum + f), 0);
  const rate = pricing.tax ? scaledRate(pricing.tax.ratePercent) : 0;
  const tax = price === 0 || rate === 0 ? 0 : divideHalfUp(price * rate, pricing.tax!.inclusive ? rateScale + rate : rateScale);
  const total = price + fees + (pricing.tax?.inclusive ? 0 : tax);
  return { listPrice, discount: off, price, feeLines, fees, feesKept, tax, total, refundable: total - feesKept };
}

export const emptyBreakdown = (taxIncluded: boolean): Breakdown => ({ subtotal: 0, discount: 0, fees: 0, tax: 0, total: 0, taxIncluded });

/** The breakdown of tickets priced with one pricing: the sum of their lines. */
export function breakdownOf(lines: readonly { unit: UnitCharge; quantity: number }[], pricing: Pricing): Breakdown {
  const sum = emptyBreakdown(pricing.tax?.inclusive ?? false);
  for (const { unit, quantity } of lines) {
    sum.subtotal += unit.listPrice * quantity;
    sum.discount += unit.discount * quantity;
    sum.fees += unit.fees * quantity;
    sum.tax += unit.tax * quantity;
    sum.total += unit.total * quantity;
  }
  return sum;
}

/** Each fee's amount over the lines, for a receipt (same order as `pricing.fees`). */
export function feeTotals(lines: readonly { unit: UnitCharge; quantity: number }[], pricing: Pricing): { name: string; amount: number; refundable: boolean }[] {
  return pricing.fees.map((fee, i) => ({
    name: fee.name,
    refundable: fee.refundable,
    amount: lines.reduce((sum, { unit, quantity }) => sum + unit.feeLines[i]! * quantity, 0),
  }));
}

/** A hold item as priced: its list price is `price + discount` (what is paid, and what the code took off). */
interface PricedItem {
  quantity: number;
  price: number;
  discount?: number;
}

/**
 * Prices a hold's items with the event's fees and tax (per ticket, so per item and quantity) and sums
 * its breakdown. The pricing is kept with the hold, each fee with its amount, so its order and
 * receipt say what was charged whatever the event's fees become later.
 */
export function pricedItems<T extends PricedItem>(items: readonly T[], pricing: Pricing): {
  items: (T & { fees: number; feesKept: number; tax: number; charged: number })[];
  priced: { breakdown: Breakdown; pricing: { fees: (Fee & { amount: number })[]; tax: Tax | null } };
} {
  const lines = items.map((item) => ({ item, quantity: item.quantity, unit: chargeUnit(item.price + (item.discount ?? 0), item.discount ?? 0, pricing) }));
  const fees = feeTotals(lines, pricing);
  return {
    items: lines.map(({ item, unit }) => ({ ...item, fees: unit.fees, feesKept: unit.feesKept, tax: unit.tax, charged: unit.total })),
    priced: { breakdown: breakdownOf(lines, pricing), pricing: { fees: pricing.fees.map((fee, i) => ({ ...fee, amount: fees[i]!.amount })), tax: pricing.tax } },
  };
}
