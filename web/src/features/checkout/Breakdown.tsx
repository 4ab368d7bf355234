import type { Hold, Order } from '../../api/types';
import { formatMoney } from '../../app/format';

type Lines = Hold['breakdown'];
type Pricing = Order['pricing'];

/**
 * What the total is made of (the server's breakdown, docs/fees.md): subtotal, discount, each fee
 * (by name, when the order's pricing names them), the tax (included in the prices, or added) and
 * the total charged. A breakdown with nothing but prices shows the subtotal and total only.
 */
export function Breakdown({ breakdown: b, currency, pricing, totalLabel = 'Total' }: { breakdown: Lines; currency: string; pricing?: Pricing | undefined; totalLabel?: string }) {
  const money = (minor: number) => formatMoney(minor, currency);
  const fees = pricing?.fees.filter((fee) => fee.amount > 0) ?? [];
  return (
    <dl className="breakdown" data-testid="breakdown">
      <div><dt>Subtotal</dt><dd data-testid="breakdown-subtotal">{money(b.subtotal)}</dd></div>
      {b.discount > 0 && <div><dt>Discount</dt><dd data-testid="breakdown-discount">−{money(b.discount)}</dd></div>}
      {fees.length > 0
        ? fees.map((fee) => <div key={fee.name}><dt>{fee.name}{fee.refundable ? '' : ' (non-refundable)'}</dt><dd>{money(fee.amount)}</dd></div>)
        : b.fees > 0 && <div><dt>Fees</dt><dd data-testid="breakdown-fees">{money(b.fees)}</dd></div>}
      {b.tax > 0 && (
        <div>
          <dt>{pricing?.tax ? `${pricing.tax.name} ${pricing.tax.ratePercent}%` : 'Tax'}{b.taxIncluded ? ' (included)' : ''}</dt>
          <dd data-testid="breakdown-tax">{money(b.tax)}</dd>
        </div>
      )}
      <div className="total"><dt>{totalLabel}</dt><dd data-testid="breakdown-total">{money(b.total)}</dd></div>
    </dl>
  );
}
