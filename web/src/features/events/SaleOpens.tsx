import { formatCountdown, formatDate } from '../../app/format';
import { useSecondsLeft } from '../../app/hooks';

/** Before the sale: "Sale opens in 2 h 14 min", ticking, with the opening time (gone once it opens). */
export function SaleOpens({ opensAt, compact = false }: { opensAt: string; compact?: boolean }) {
  const left = useSecondsLeft(opensAt) ?? 0;
  if (left === 0) return null;
  return (
    <span className={compact ? 'badge badge-soon' : 'sale-opens'} data-testid="sale-opens">
      Sale opens in <strong role="timer" aria-live="off">{formatCountdown(left)}</strong>
      {!compact && <> · <time dateTime={opensAt}>{formatDate(opensAt)}</time></>}
    </span>
  );
}
