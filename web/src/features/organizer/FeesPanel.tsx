import { useState } from 'react';
import { api } from '../../api/client';
import type { EventDetail } from '../../api/types';
import { useSubmit } from '../../app/hooks';

interface FeeRow {
  name: string;
  kind: 'perTicket' | 'percent';
  /** As typed: major units ("1.50") for a per-ticket fee, percent ("10") for a percent one. */
  value: string;
  refundable: boolean;
}

const feeRowOf = (fee: EventDetail['fees'][number]): FeeRow => (fee.perTicket !== undefined
  ? { name: fee.name, kind: 'perTicket', value: (fee.perTicket / 100).toFixed(2), refundable: fee.refundable }
  : { name: fee.name, kind: 'percent', value: String(fee.percent ?? 0), refundable: fee.refundable });

const number = (text: string) => Number(text.replace(',', '.'));

/**
 * The event's fees and tax (docs/fees.md): each fee per ticket or a percent of the price, refundable
 * or kept on cancellation, and one tax, included in the prices (EU) or added at checkout (US).
 * Holds made from the save on are priced with them; orders keep what they were charged.
 */
export function FeesPanel({ event, onSaved }: { event: EventDetail; onSaved: () => Promise<void> }) {
  const [fees, setFees] = useState<FeeRow[]>(event.fees.map(feeRowOf));
  const [tax, setTax] = useState({ on: event.tax !== null, name: event.tax?.name ?? 'VAT', rate: String(event.tax?.ratePercent ?? 20), inclusive: event.tax?.inclusive ?? true });
  const [saved, setSaved] = useState(false);
  const { submit, busy, problem } = useSubmit(async () => {
    setSaved(false);
    await api.events.update(event.id, {
      fees: fees.map((fee) => (fee.kind === 'perTicket'
        ? { name: fee.name.trim(), perTicket: Math.round(number(fee.value) * 100), refundable: fee.refundable }
        : { name: fee.name.trim(), percent: number(fee.value), refundable: fee.refundable })),
      tax: tax.on ? { name: tax.name.trim(), ratePercent: number(tax.rate), inclusive: tax.inclusive } : null,
    });
    await onSaved();
    setSaved(true);
  });
  const change = (i: number, patch: Partial<FeeRow>) => setFees(fees.map((fee, j) => (j === i ? { ...fee, ...patch } : fee)));

  return (
    <section className="panel" aria-labelledby="fees-title" data-testid="fees-panel">
      <h2 id="fees-title">Fees and tax</h2>
      <p className="muted">New holds are priced with these; orders already made keep what they were charged.</p>
      <form className="organizer-form" onSubmit={submit}>
        {fees.map((fee, i) => (
          <fieldset key={i} className="grid-3">
            <legend>Fee {i + 1}</legend>
            <label className="field"><span>Name</span><input required maxLength={100} value={fee.name} onChange={(e) => change(i, { name: e.target.value })} /></label>
            <label className="field">
              <span>Charged</span>
              <select value={fee.kind} onChange={(e) => change(i, { kind: e.target.value as FeeRow['kind'] })}>
                <option value="perTicket">Per ticket ({event.currency})</option>
                <option value="percent">Percent of the price</option>
              </select>
            </label>
            <label className="field"><span>{fee.kind === 'perTicket' ? `Amount (${event.currency})` : 'Percent'}</span><input required inputMode="decimal" pattern="[0-9]+([.,][0-9]+)?" value={fee.value} onChange={(e) => change(i, { value: e.target.value })} /></label>
            <label className="check"><input type="checkbox" checked={fee.refundable} onChange={(e) => change(i, { refundable: e.target.checked })} /> Refunded when a ticket is cancelled</label>
            <button type="button" className="text-button" onClick={() => setFees(fees.filter((_, j) => j !== i))}>Remove fee</button>
          </fieldset>
        ))}
        {fees.length < 10 && <button type="button" className="text-button" onClick={() => setFees([...fees, { name: 'Service fee', kind: 'perTicket', value: '1.00', refundable: false }])}>Add a fee</button>}
        <fieldset className="grid-3">
          <legend><label className="check"><input type="checkbox" checked={tax.on} onChange={(e) => setTax({ ...tax, on: e.target.checked })} /> Tax</label></legend>
          <label className="field"><span>Tax name</span><input required={tax.on} disabled={!tax.on} maxLength={100} value={tax.name} onChange={(e) => setTax({ ...tax, name: e.target.value })} /></label>
          <label className="field"><span>Rate (%)</span><input required={tax.on} disabled={!tax.on} inputMode="decimal" pattern="[0-9]+([.,][0-9]+)?" value={tax.rate} onChange={(e) => setTax({ ...tax, rate: e.target.value })} /></label>
          <label className="field">
            <span>Prices</span>
            <select disabled={!tax.on} value={tax.inclusive ? 'inclusive' : 'exclusive'} onChange={(e) => setTax({ ...tax, inclusive: e.target.value === 'inclusive' })}>
              <option value="inclusive">include the tax (EU)</option>
              <option value="exclusive">have it added at checkout (US)</option>
            </select>
          </label>
        </fieldset>
        {problem && <p role="alert" className="notice error">{problem}</p>}
        {saved && <p role="status" className="notice success">Saved.</p>}
        <button type="submit" className="button" disabled={busy}>Save fees and tax</button>
      </form>
    </section>
  );
}
