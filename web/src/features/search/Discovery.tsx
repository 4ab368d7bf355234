import { useState } from 'react';
import type { Output } from '../../api/client';
import { formatMoney } from '../../app/format';

type Page = Output<'GET /events'>;
type Facets = Page['facets'];

/** The URL parameters the discovery controls own. */
export interface DiscoveryFilters {
  q: string;
  city: string;
  category: string;
  priceMax: string;
  near: string;
  sort: string;
}

interface Props {
  filters: DiscoveryFilters;
  facets: Facets | undefined;
  currency: string;
  /** Sets (or, with '', clears) some parameters and searches again. */
  change: (changes: Partial<DiscoveryFilters> & { radiusKm?: string }) => void;
}

/** Facets as filter chips (a chip on filters by it, on again clears it), the sort, and "near me". */
export function Discovery({ filters, facets, currency, change }: Props) {
  const [location, setLocation] = useState<'idle' | 'asking' | 'failed'>('idle');
  const nearMe = () => {
    if (!('geolocation' in navigator)) return setLocation('failed');
    setLocation('asking');
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setLocation('idle');
        change({ near: `${position.coords.latitude.toFixed(4)},${position.coords.longitude.toFixed(4)}`, radiusKm: '50', sort: 'distance', city: '' });
      },
      () => setLocation('failed'),
      { timeout: 10_000, maximumAge: 600_000 },
    );
  };
  const sorts = [
    ...(filters.q ? [['relevance', 'Best match']] : []), ['date', 'Soonest'], ['price', 'Cheapest'], ...(filters.near ? [['distance', 'Nearest']] : []),
  ] as [string, string][];
  const sort = filters.sort || (filters.q ? 'relevance' : 'date');

  return (
    <div className="discovery">
      <div className="discovery-row">
        <label className="sort">
          <span>Sort</span>
          <select value={sort} onChange={(e) => change({ sort: e.target.value })}>
            {sorts.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </label>
        {filters.near
          ? <button type="button" className="chip" aria-pressed="true" onClick={() => change({ near: '', radiusKm: '', sort: '' })}>Near me ✕</button>
          : <button type="button" className="chip" onClick={nearMe} disabled={location === 'asking'}>{location === 'asking' ? 'Locating…' : 'Near me'}</button>}
      </div>
      {location === 'failed' && !filters.near && (
        <p role="status" className="muted">Your location is not available. Pick a city instead:</p>
      )}
      {facets && (
        <>
          <ChipGroup label="City" values={facets.cities.map((f) => ({ key: f.value, label: f.value, count: f.count }))} selected={filters.city} onToggle={(city) => change({ city, near: '', radiusKm: '' })} />
          <ChipGroup label="Category" values={facets.categories.map((f) => ({ key: f.value, label: f.value, count: f.count }))} selected={filters.category} onToggle={(category) => change({ category })} />
          <ChipGroup
            label="Price"
            values={facets.prices.filter((band) => band.max !== null).map((band) => ({ key: String(band.max! - 1), label: `Under ${formatMoney(band.max!, currency)}`, count: band.count }))}
            selected={filters.priceMax}
            onToggle={(priceMax) => change({ priceMax })}
          />
        </>
      )}
    </div>
  );
}

function ChipGroup({ label, values, selected, onToggle }: { label: string; values: { key: string; label: string; count: number }[]; selected: string; onToggle: (value: string) => void }) {
  if (values.length === 0) return null;
  return (
    <div role="group" aria-label={label} className="chips">
      <span className="chips-label">{label}</span>
      {values.map((v) => {
        const on = v.key.toLowerCase() === selected.toLowerCase();
        return (
          <button key={v.key} type="button" className="chip" aria-pressed={on} onClick={() => onToggle(on ? '' : v.key)}>
            {v.label} <span className="chip-count">{v.count}</span>
          </button>
        );
      })}
    </div>
  );
}

/** What to try when nothing matched: fewer filters, or a suggestion of the catalogue's own words. */
export function EmptyResults({ filters, change }: { filters: DiscoveryFilters; change: Props['change'] }) {
  const active = (['city', 'category', 'priceMax', 'near'] as const).filter((key) => filters[key]);
  return (
    <div className="empty">
      <p>No upcoming events match{filters.q ? <> “{filters.q}”</> : null}.</p>
      <ul className="empty-tips">
        {filters.q && <li>Check the spelling, or type fewer words: the first letters of an artist are enough.</li>}
        {active.length > 0 && (
          <li>
            <button type="button" className="button" onClick={() => change({ city: '', category: '', priceMax: '', near: '', radiusKm: '', sort: '' })}>Clear the filters</button>
          </li>
        )}
        <li>Try a city (“Lisbon”), a category (“jazz”) or an artist.</li>
      </ul>
    </div>
  );
}
