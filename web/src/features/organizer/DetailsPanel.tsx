import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { EventDetail } from '../../api/types';
import { asApiError, useLoad } from '../../app/hooks';
import { degreesFromText, degreesText, performersFromText, performersText, tagsFromText, tagsText } from './lists';

/**
 * What buyers search and find an event by, editable after it is created: its lineup and tags, and
 * where its venue is (the address shown, the coordinates "near me" and distance sort read).
 */
export function DetailsPanel({ event, onSaved }: { event: EventDetail; onSaved: () => Promise<void> }) {
  const venue = useLoad((signal) => api.venues.get(event.venueId, signal), [event.venueId]);
  const [form, setForm] = useState({ performers: performersText(event.performers), tags: tagsText(event.tags) });
  const [place, setPlace] = useState({ address: '', latitude: '', longitude: '' });
  const [status, setStatus] = useState<{ saved?: boolean; problem?: string }>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (venue.data) setPlace({ address: venue.data.address ?? '', latitude: degreesText(venue.data.latitude), longitude: degreesText(venue.data.longitude) });
  }, [venue.data]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setStatus({});
    setBusy(true);
    try {
      await api.events.update(event.id, { performers: performersFromText(form.performers), tags: tagsFromText(form.tags) });
      await api.venues.update(event.venueId, { address: place.address.trim() || null, latitude: degreesFromText(place.latitude), longitude: degreesFromText(place.longitude) });
      await Promise.all([onSaved(), venue.reload()]);
      setStatus({ saved: true });
    } catch (error) {
      const failure = asApiError(error);
      const fields = (failure.details.fields as { field: string; message: string }[] | undefined)?.map((f) => `${f.field} ${f.message}`).join('; ');
      setStatus({ problem: fields ? `${failure.message} ${fields}` : failure.message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="search-details-title">
      <h2 id="search-details-title">Search details</h2>
      <form className="organizer-form" onSubmit={save}>
        <div className="grid-2">
          <label className="field"><span>Performers (one per line, headliner first)</span><textarea rows={3} value={form.performers} onChange={(e) => setForm({ ...form, performers: e.target.value })} /></label>
          <label className="field"><span>Tags (comma-separated)</span><input value={form.tags} placeholder="rock, outdoor" onChange={(e) => setForm({ ...form, tags: e.target.value })} /></label>
        </div>
        <fieldset className="grid-3" disabled={!venue.data}>
          <legend>Venue: {event.venue.name}, {event.venue.city}</legend>
          <label className="field"><span>Address</span><input value={place.address} onChange={(e) => setPlace({ ...place, address: e.target.value })} /></label>
          <label className="field"><span>Latitude</span><input inputMode="decimal" pattern="-?[0-9]+([.,][0-9]+)?" value={place.latitude} onChange={(e) => setPlace({ ...place, latitude: e.target.value })} /></label>
          <label className="field"><span>Longitude</span><input inputMode="decimal" pattern="-?[0-9]+([.,][0-9]+)?" value={place.longitude} onChange={(e) => setPlace({ ...place, longitude: e.target.value })} /></label>
        </fieldset>
        {status.problem && <p role="alert" className="notice error">{status.problem}</p>}
        {status.saved && <p role="status" className="notice success">Saved.</p>}
        <button type="submit" className="button" disabled={busy || !venue.data}>Save search details</button>
      </form>
    </section>
  );
}
