import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { EventQuery, EventSummary } from '../../api/types';
import { availabilityLabel, availabilityOf, formatMoney } from '../../app/format';
import { useLoad } from '../../app/hooks';
import { Link, navigate, useLocation } from '../../app/router';
import { Discovery, EmptyResults, type DiscoveryFilters } from '../search/Discovery';
import { SearchBox } from '../search/SearchBox';
import '../search/search.css';
import { SaleOpens } from './SaleOpens';
import { EventTime } from '../../app/EventTime';

const filterKeys = ['q', 'city', 'category', 'from', 'to', 'near', 'radiusKm', 'priceMax', 'sort'] as const;

/** Upcoming events, searchable; the filters live in the URL so a search can be shared or reloaded. */
export function HomePage() {
  const { search } = useLocation();
  const filters = Object.fromEntries(filterKeys.map((k) => [k, search.get(k) ?? ''])) as Record<(typeof filterKeys)[number], string>;
  const [form, setForm] = useState(filters);
  const [more, setMore] = useState<EventSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const key = filterKeys.map((k) => filters[k]).join('|');

  const params: EventQuery = {
    ...(filters.q && { q: filters.q }),
    ...(filters.city && { city: filters.city }),
    ...(filters.category && { category: filters.category }),
    ...(filters.from && { from: new Date(filters.from).toISOString() }),
    ...(filters.to && { to: new Date(`${filters.to}T23:59:59`).toISOString() }),
    ...(filters.near && { near: filters.near }),
    ...(filters.radiusKm && { radiusKm: Number(filters.radiusKm) }),
    ...(filters.priceMax && { priceMax: Number(filters.priceMax) }),
    ...(filters.sort && { sort: filters.sort as NonNullable<EventQuery['sort']> }),
    limit: 24,
  };
  const page = useLoad(async (signal) => {
    const result = await api.events.list(params, signal);
    setMore([]);
    setCursor(result.nextCursor);
    return result;
  }, [key]);

  const searchWith = (values: Record<string, string>) => {
    const query = new URLSearchParams(Object.entries(values).filter(([, v]) => v));
    navigate(`/${query.size ? `?${query}` : ''}`);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    searchWith(form);
  };
  /** A facet chip, the sort or "near me": applied at once, on top of the search shown. */
  const change = (changes: Partial<DiscoveryFilters> & { radiusKm?: string }) => {
    const next = { ...filters, ...changes };
    setForm(next);
    searchWith(next);
  };
  const loadMore = async () => {
    if (!cursor) return;
    const next = await api.events.list({ ...params, cursor });
    setMore((m) => [...m, ...next.items]);
    setCursor(next.nextCursor);
  };
  const events = [...(page.data?.items ?? []), ...more];

  return (
    <>
      <section className="search-hero">
        <h1>Find your next night out</h1>
        <form role="search" className="search" onSubmit={submit}>
          <div className="field search-q">
            <SearchBox
              value={form.q}
              onChange={(q) => setForm({ ...form, q })}
              onPick={(s) => (s.kind === 'event' && s.eventId ? navigate(`/events/${s.eventId}`)
                : s.kind === 'city' ? change({ q: '', city: s.text, near: '', radiusKm: '' }) : change({ q: s.text, sort: '' }))}
            />
          </div>
          <details className="filters" open={Boolean(filters.city || filters.category || filters.from || filters.to)}>
            <summary>Filters</summary>
            <div className="filter-grid">
              <label className="field"><span>City</span><input value={form.city} onChange={(e) => setForm({ ...form, city: e.target.value })} /></label>
              <label className="field"><span>Category</span><input value={form.category} placeholder="concert, sport…" onChange={(e) => setForm({ ...form, category: e.target.value })} /></label>
              <label className="field"><span>From</span><input type="date" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} /></label>
              <label className="field"><span>To</span><input type="date" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} /></label>
            </div>
          </details>
          <button type="submit" className="button primary">Search</button>
        </form>
      </section>

      <section aria-labelledby="upcoming-title">
        <h2 id="upcoming-title" className="visually-hidden">Upcoming events</h2>
        {page.error && <p role="alert" className="notice error">{page.error.message}</p>}
        {page.loading && !page.data && <p className="loading" aria-busy="true">Loading events…</p>}
        <Discovery filters={filters} facets={page.data?.facets} currency={events[0]?.currency ?? 'EUR'} change={change} />
        {page.data && events.length === 0 && <EmptyResults filters={filters} change={change} />}
        <ul className="event-grid">
          {events.map((e) => <EventCard key={e.id} event={e} />)}
        </ul>
        {cursor && <button type="button" className="button" onClick={() => void loadMore()}>More events</button>}
      </section>
    </>
  );
}

function EventCard({ event }: { event: EventSummary }) {
  const state = availabilityOf(event.available, event.capacity);
  const date = new Date(event.startsAt);
  return (
    <li className="event-card">
      <div className="date-tile" aria-hidden="true">
        <span>{date.toLocaleString(undefined, { month: 'short' })}</span>
        <strong>{date.getDate()}</strong>
      </div>
      <div className="event-card-body">
        <h3><Link to={`/events/${event.id}`}>{event.title}</Link></h3>
        <p className="muted"><EventTime iso={event.startsAt} timeZone={event.venue.timeZone} /></p>
        <p>{event.venue.name} · {event.venue.city}{event.distanceKm !== undefined && <> · {event.distanceKm.toFixed(1)} km</>}</p>
        <p className="event-card-foot">
          {event.priceFrom !== null && <span>From <strong>{formatMoney(event.priceFrom, event.currency)}</strong></span>}
          {event.opensAt && Date.parse(event.opensAt) > Date.now()
            ? <SaleOpens opensAt={event.opensAt} compact />
            : <span className={`badge badge-${state}`}>{availabilityLabel[state]}</span>}
        </p>
      </div>
    </li>
  );
}
