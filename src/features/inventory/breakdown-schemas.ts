import { Type } from '@sinclair/typebox';
import { Nullable, StrictObject, Text } from '../../http/schemas.js';
import { limits } from '../../limits.js';

/** What a hold or order costs (breakdown.ts; docs/fees.md), in integer minor units. */
export const BreakdownSchema = Type.Object({
  subtotal: Type.Integer({ description: 'The tickets\' list prices, before any discount' }),
  discount: Type.Integer({ description: 'What codes took off' }),
  fees: Type.Integer({ description: 'The event\'s fees' }),
  tax: Type.Integer({ description: 'The tax: part of the prices when `taxIncluded`, else added to them' }),
  total: Type.Integer({ description: 'What is charged: subtotal - discount + fees (+ tax unless taxIncluded)' }),
  taxIncluded: Type.Boolean({ description: 'The prices include the tax (inclusive, as in the EU) rather than have it added (as in the US)' }),
}, { title: 'Breakdown' });

const Percent = (max: number, description: string) => Type.Number({ minimum: 0, maximum: max, description: `${description}; taken to a thousandth of a percent` });

const feeFields = { name: Text({ maxLength: 100 }), refundable: Type.Boolean({ description: 'Returned when the ticket is cancelled (a fee that is not is kept)' }) };

export const FeeInput = Type.Union([
  StrictObject({ ...feeFields, perTicket: Type.Integer({ minimum: 0, maximum: limits.priceMinorMax, description: 'Minor units on each ticket that costs something' }) }, { title: 'PerTicketFee' }),
  StrictObject({ ...feeFields, percent: Percent(limits.feePercentMax, 'Of each ticket\'s price after its discount, rounded half up per ticket') }, { title: 'PercentFee' }),
]);

export const FeesInput = Type.Array(FeeInput, { maxItems: limits.feesPerEventMax, description: 'Fees on each ticket (docs/fees.md); [] for none' });

export const TaxInput = StrictObject({
  name: Text({ maxLength: 100 }),
  ratePercent: Percent(limits.taxRatePercentMax, 'Of each ticket\'s price after its discount (fees are not taxed), rounded half up per ticket'),
  inclusive: Type.Boolean({ description: 'true: prices include the tax (EU); false: it is added at checkout (US)' }),
}, { title: 'Tax' });

export const FeeSchema = Type.Object({
  name: Type.String(),
  perTicket: Type.Optional(Type.Integer()),
  percent: Type.Optional(Type.Number()),
  refundable: Type.Boolean(),
});
export const TaxSchema = Nullable(Type.Object({ name: Type.String(), ratePercent: Type.Number(), inclusive: Type.Boolean() }));

/** A receipt's lines: each fee with what it came to, and the tax as it was. */
export const PricingSchema = Type.Object({
  fees: Type.Array(Type.Object({ name: Type.String(), perTicket: Type.Optional(Type.Integer()), percent: Type.Optional(Type.Number()), refundable: Type.Boolean(), amount: Type.Integer({ description: 'What the fee came to on the order' }) })),
  tax: TaxSchema,
});

