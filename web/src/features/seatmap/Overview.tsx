import { useMemo } from 'react';
import type { Seat, Section } from '../../api/types';
import { formatMoney } from '../../app/format';
import { boundsOf } from './geometry';

/** Price levels, dearest first: each distinct price gets a level (1 = dearest), so colours follow price. */
export function priceLevels(sections: readonly Pick<Section, 'price'>[]): Map<number, number> {
  const prices = [...new Set(sections.map((s) => s.price))].sort((a, b) => b - a);
  return new Map(prices.map((price, i) => [price, Math.min(i + 1, levelsMax)]));
}
const levelsMax = 5;

interface Props {
  sections: Section[];
  seats: Seat[];
  chosenId: string | undefined;
  currency: string;
  onChoose: (sectionId: string) => void;
}

/**
 * A venue with several sections at a glance: each section as a block (its seats in miniature, or
 * standing room), coloured by price level, with its price and what is left; a block picks the
 * section. The legend names each level's price.
 */
export function VenueOverview({ sections, seats, chosenId, currency, onChoose }: Props) {
  const levels = useMemo(() => priceLevels(sections), [sections]);
  return (
    <figure className="overview" aria-labelledby="overview-caption">
      <figcaption id="overview-caption" className="overview-caption">Venue overview · price levels</figcaption>
      <ul className="overview-legend" aria-label="Price levels">
        {[...levels].map(([price, level]) => (
          <li key={price}><span className={`swatch level-${level}`} aria-hidden="true" />{formatMoney(price, currency)}</li>
        ))}
      </ul>
      <ul className="overview-blocks">
        {sections.map((s) => (
          <li key={s.id}>
            <button
              type="button"
              className={`overview-block level-${levels.get(s.price)} ${s.id === chosenId ? 'chosen' : ''}`}
              aria-pressed={s.id === chosenId}
              onClick={() => onChoose(s.id)}
              data-testid={`overview-${s.name}`}
            >
              {s.kind === 'seated' ? <Miniature seats={seats.filter((seat) => seat.sectionId === s.id)} /> : <span className="overview-standing" aria-hidden="true">Standing</span>}
              <span className="overview-name">{s.name}</span>
              <span className="overview-price">{formatMoney(s.price, currency)} · {s.available > 0 ? `${s.available} left` : 'sold out'}</span>
            </button>
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** A section's seats as dots, free ones filled, to show its shape and what is left. */
function Miniature({ seats }: { seats: Seat[] }) {
  if (seats.length === 0) return <span className="overview-standing" aria-hidden="true" />;
  const b = boundsOf(seats);
  return (
    <svg className="overview-mini" viewBox={`${b.minX - 1} ${b.minY - 1} ${b.maxX - b.minX + 2} ${b.maxY - b.minY + 2}`} aria-hidden="true">
      {seats.map((seat) => <circle key={seat.id} cx={seat.x} cy={seat.y} r={0.38} className={seat.status === 'available' ? 'free' : 'taken'} />)}
    </svg>
  );
}
