import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { NewEvent, OnsaleSettings, Seat } from '../../api/types';
import { asApiError, useLoad } from '../../app/hooks';
import { useOrganizations } from '../team/organizations';
import { navigate } from '../../app/router';
import { isoToZonedInput, viewerTimeZone, zonedInputToIso, zoneLabel } from '../../app/zones';
import { SeatMap } from '../seatmap/SeatMap';
import { degreesFromText, performersFromText, tagsFromText } from './lists';
import { generateRows, type GridSpec } from './seatGrid';

type SectionDraft =
  | { kind: 'ga'; name: string; price: string; capacity: number }
  | ({ kind: 'seated'; name: string; price: string } & GridSpec);

const toMinor = (price: string) => Math.round(Number(price.replace(',', '.')) * 100);
/** Every zone the browser knows, for a new venue's time zone. */
const timeZones = [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])];

/** The new venue's form as the API takes it: an empty address or coordinate is left out. */
function venueBody({ name, city, timeZone, address, latitude, longitude }: { name: string; city: string; timeZone: string; address: string; latitude: string; longitude: string }) {
  const lat = degreesFromText(latitude);
  const lng = degreesFromText(longitude);
  return { name, city, timeZone, ...(address.trim() && { address: address.trim() }), ...(lat !== null && { latitude: lat }), ...(lng !== null && { longitude: lng }) };
}

/** Organizer: a venue, an event with its sections, prices, hold time and on-sale/queue settings. */
export function NewEventPage() {
  // The switcher's organization: a member of several must say which one the event is for.
  const { current, loaded } = useOrganizations();
  const organizationId = current?.id;
  const inOrganization = organizationId ? { organizationId } : {};
  // Only that organization's venues: an event may use no other's (the server refuses it too).
  const venues = useLoad((signal) => (loaded ? api.venues.list(organizationId, signal) : Promise.resolve({ items: [] })), [loaded, organizationId]);
  const [picked, setPicked] = useState('');
  // A venue picked before the organization was switched is not one of this organization's.
  const venueId = venues.data?.items.some((v) => v.id === picked) ? picked : '';
  const [newVenue, setNewVenue] = useState({ name: '', city: '', timeZone: viewerTimeZone(), address: '', latitude: '', longitude: '' });
  const [form, setForm] = useState({
    title: '',
    description: '',
    category: '',
    performers: '',
    tags: '',
    // Wall times in the venue's zone, as the organizer types them.
    startsAt: isoToZonedInput(Date.now() + 30 * 86_400_000, viewerTimeZone()),
    currency: 'EUR',
    maxTicketsPerOrder: 8,
    holdTtlMinutes: 10,
  });
  const [onsale, setOnsale] = useState({ startsAt: isoToZonedInput(Date.now() + 3_600_000, viewerTimeZone()), queue: false, preQueueMinutes: 30, admitPerMinute: 100, maxActiveShoppers: 500, shoppingWindowMinutes: 10, stockAware: true });
  const [sections, setSections] = useState<SectionDraft[]>([
    { kind: 'seated', name: 'Stalls', price: '65', rows: 8, seatsPerRow: 16, layout: 'curved' },
    { kind: 'ga', name: 'Standing', price: '40', capacity: 500 },
  ]);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const creatingVenue = venueId === '' || venueId === 'new';
  const timeZone = creatingVenue ? newVenue.timeZone : venues.data?.items.find((v) => v.id === venueId)?.timeZone ?? viewerTimeZone();
  const fromLocal = (value: string) => zonedInputToIso(value, timeZone);
  const zoneNote = `${zoneLabel(timeZone)} time`;

  const update = (index: number, patch: Partial<SectionDraft>) => setSections((all) => all.map((s, i) => (i === index ? ({ ...s, ...patch } as SectionDraft) : s)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setBusy(true);
    try {
      const venue = creatingVenue ? (await api.venues.create({ ...venueBody(newVenue), ...inOrganization })).id : venueId;
      const body: NewEvent = {
        title: form.title,
        ...(form.description && { description: form.description }),
        ...(form.category && { category: form.category }),
        performers: performersFromText(form.performers),
        tags: tagsFromText(form.tags),
        startsAt: fromLocal(form.startsAt),
        venueId: venue,
        currency: form.currency.toUpperCase(),
        status: 'draft',
        maxTicketsPerOrder: form.maxTicketsPerOrder,
        holdTtlSeconds: Math.round(form.holdTtlMinutes * 60),
        sections: sections.map((s) =>
          s.kind === 'ga'
            ? { name: s.name, price: toMinor(s.price), capacity: s.capacity }
            : { name: s.name, price: toMinor(s.price), rows: generateRows(s) },
        ),
      };
      const settings: OnsaleSettings = {
        startsAt: fromLocal(onsale.startsAt),
        queue: {
          enabled: onsale.queue,
          ...(onsale.queue && { preQueueOpensAt: new Date(Date.parse(fromLocal(onsale.startsAt)) - onsale.preQueueMinutes * 60_000).toISOString() }),
          admitPerMinute: onsale.admitPerMinute,
          maxActiveShoppers: onsale.maxActiveShoppers,
          stockAware: onsale.stockAware,
          shoppingWindowSeconds: onsale.shoppingWindowMinutes * 60,
        },
      };
      const created = await api.events.create({ ...body, ...inOrganization, onsale: settings });
      navigate(`/organizer/events/${created.id}`);
    } catch (error) {
      const failure = asApiError(error);
      const fields = (failure.details.fields as { field: string; message: string }[] | undefined)?.map((f) => `${f.field} ${f.message}`).join('; ');
      setProblem(fields ? `${failure.message} ${fields}` : failure.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="organizer-form" onSubmit={submit}>
      <h1>New event</h1>
      <fieldset className="panel">
        <legend>Venue</legend>
        <label className="field">
          <span>Venue</span>
          <select value={venueId} onChange={(e) => setPicked(e.target.value)}>
            <option value="">New venue…</option>
            {venues.data?.items.map((v) => <option key={v.id} value={v.id}>{v.name}, {v.city}</option>)}
          </select>
        </label>
        {creatingVenue && (
          <div className="grid-2">
            <label className="field"><span>Venue name</span><input required value={newVenue.name} onChange={(e) => setNewVenue({ ...newVenue, name: e.target.value })} /></label>
            <label className="field"><span>City</span><input required value={newVenue.city} onChange={(e) => setNewVenue({ ...newVenue, city: e.target.value })} /></label>
            <label className="field">
              <span>Time zone</span>
              <select value={newVenue.timeZone} onChange={(e) => setNewVenue({ ...newVenue, timeZone: e.target.value })}>
                {timeZones.map((zone) => <option key={zone} value={zone}>{zone.replace(/_/g, ' ')}</option>)}
              </select>
            </label>
            <label className="field"><span>Address</span><input value={newVenue.address} onChange={(e) => setNewVenue({ ...newVenue, address: e.target.value })} /></label>
            <label className="field"><span>Latitude</span><input inputMode="decimal" pattern="-?[0-9]+([.,][0-9]+)?" value={newVenue.latitude} onChange={(e) => setNewVenue({ ...newVenue, latitude: e.target.value })} /></label>
            <label className="field"><span>Longitude</span><input inputMode="decimal" pattern="-?[0-9]+([.,][0-9]+)?" value={newVenue.longitude} onChange={(e) => setNewVenue({ ...newVenue, longitude: e.target.value })} /></label>
          </div>
        )}
      </fieldset>

      <fieldset className="panel">
        <legend>Event</legend>
        <label className="field"><span>Title</span><input required value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} /></label>
        <label className="field"><span>Description</span><textarea rows={3} value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} /></label>
        <div className="grid-2">
          <label className="field"><span>Performers (one per line, headliner first)</span><textarea rows={3} value={form.performers} onChange={(e) => setForm({ ...form, performers: e.target.value })} /></label>
          <label className="field"><span>Tags (comma-separated)</span><input value={form.tags} placeholder="rock, outdoor" onChange={(e) => setForm({ ...form, tags: e.target.value })} /></label>
        </div>
        <div className="grid-2">
          <label className="field"><span>Category</span><input value={form.category} placeholder="concert" onChange={(e) => setForm({ ...form, category: e.target.value })} /></label>
          <label className="field"><span>Starts ({zoneNote})</span><input type="datetime-local" required value={form.startsAt} onChange={(e) => setForm({ ...form, startsAt: e.target.value })} /></label>
          <label className="field"><span>Currency</span><input required pattern="[A-Za-z]{3}" maxLength={3} value={form.currency} onChange={(e) => setForm({ ...form, currency: e.target.value })} /></label>
          <label className="field"><span>Max tickets per order</span><input type="number" min={1} max={100} value={form.maxTicketsPerOrder} onChange={(e) => setForm({ ...form, maxTicketsPerOrder: Number(e.target.value) })} /></label>
          <label className="field"><span>Hold time (minutes)</span><input type="number" min={1} max={1440} step="any" value={form.holdTtlMinutes} onChange={(e) => setForm({ ...form, holdTtlMinutes: Number(e.target.value) })} /></label>
        </div>
      </fieldset>

      <fieldset className="panel">
        <legend>On sale and waiting room</legend>
        <label className="field"><span>Sale opens ({zoneNote})</span><input type="datetime-local" value={onsale.startsAt} onChange={(e) => setOnsale({ ...onsale, startsAt: e.target.value })} /></label>
        <label className="check"><input type="checkbox" checked={onsale.queue} onChange={(e) => setOnsale({ ...onsale, queue: e.target.checked })} /> Use a waiting room</label>
        {onsale.queue && (
          <div className="grid-2">
            <label className="field"><span>Waiting room opens (minutes before)</span><input type="number" min={0} value={onsale.preQueueMinutes} onChange={(e) => setOnsale({ ...onsale, preQueueMinutes: Number(e.target.value) })} /></label>
            <label className="field"><span>Admit per minute</span><input type="number" min={1} value={onsale.admitPerMinute} onChange={(e) => setOnsale({ ...onsale, admitPerMinute: Number(e.target.value) })} /></label>
            <label className="field"><span>Max active shoppers</span><input type="number" min={1} value={onsale.maxActiveShoppers} onChange={(e) => setOnsale({ ...onsale, maxActiveShoppers: Number(e.target.value) })} /></label>
            <label className="field"><span>Shopping window (minutes)</span><input type="number" min={1} value={onsale.shoppingWindowMinutes} onChange={(e) => setOnsale({ ...onsale, shoppingWindowMinutes: Number(e.target.value) })} /></label>
            <label className="check"><input type="checkbox" checked={onsale.stockAware} onChange={(e) => setOnsale({ ...onsale, stockAware: e.target.checked })} /> Stop admitting when stock runs out</label>
          </div>
        )}
      </fieldset>

      <fieldset className="panel">
        <legend>Sections</legend>
        {sections.map((s, i) => (
          <div key={i} className="section-editor" role="group" aria-label={`Section ${i + 1}`}>
            <div className="grid-3">
              <label className="field"><span>Section name</span><input required value={s.name} onChange={(e) => update(i, { name: e.target.value })} /></label>
              <label className="field"><span>Price</span><input required inputMode="decimal" pattern="[0-9]+([.,][0-9]{1,2})?" value={s.price} onChange={(e) => update(i, { price: e.target.value })} /></label>
              <label className="field">
                <span>Kind</span>
                <select value={s.kind} onChange={(e) => setSections((all) => all.map((x, j) => (j === i ? (e.target.value === 'ga' ? { kind: 'ga', name: x.name, price: x.price, capacity: 500 } : { kind: 'seated', name: x.name, price: x.price, rows: 8, seatsPerRow: 16, layout: 'curved' }) : x)))}>
                  <option value="seated">Reserved seating</option>
                  <option value="ga">General admission</option>
                </select>
              </label>
            </div>
            {s.kind === 'ga' ? (
              <label className="field"><span>Capacity</span><input type="number" min={1} required value={s.capacity} onChange={(e) => update(i, { capacity: Number(e.target.value) })} /></label>
            ) : (
              <>
                <div className="grid-3">
                  <label className="field"><span>Rows</span><input type="number" min={1} max={100} required value={s.rows} onChange={(e) => update(i, { rows: Number(e.target.value) })} /></label>
                  <label className="field"><span>Seats per row</span><input type="number" min={1} max={200} required value={s.seatsPerRow} onChange={(e) => update(i, { seatsPerRow: Number(e.target.value) })} /></label>
                  <label className="field">
                    <span>Rows are</span>
                    <select value={s.layout} onChange={(e) => update(i, { layout: e.target.value as GridSpec['layout'] })}>
                      <option value="curved">Curved</option>
                      <option value="straight">Straight</option>
                    </select>
                  </label>
                </div>
                <GridPreview spec={s} />
              </>
            )}
            {sections.length > 1 && <button type="button" className="text-button" onClick={() => setSections((all) => all.filter((_, j) => j !== i))}>Remove section</button>}
          </div>
        ))}
        <div className="row">
          <button type="button" className="button" onClick={() => setSections([...sections, { kind: 'seated', name: `Section ${sections.length + 1}`, price: '50', rows: 6, seatsPerRow: 12, layout: 'straight' }])}>Add reserved section</button>
          <button type="button" className="button" onClick={() => setSections([...sections, { kind: 'ga', name: `Standing ${sections.length + 1}`, price: '30', capacity: 200 }])}>Add general admission</button>
        </div>
      </fieldset>

      {problem && <p role="alert" className="notice error">{problem}</p>}
      <button type="submit" className="button primary wide" disabled={busy}>Create event (draft)</button>
    </form>
  );
}

/** What the generated rows look like, drawn with the buyers' seat map. */
function GridPreview({ spec }: { spec: GridSpec }) {
  const seats = useMemo<Seat[]>(() => {
    if (!(spec.rows > 0 && spec.seatsPerRow > 0 && spec.rows * spec.seatsPerRow <= 5000)) return [];
    return generateRows(spec).flatMap((row) =>
      row.seats.map((seat) => ({ id: `${row.label}-${seat.number}`, sectionId: '', row: row.label, number: seat.number, label: `${row.label}${seat.number}`, x: seat.x, y: seat.y, status: 'available' as const })),
    );
  }, [spec.rows, spec.seatsPerRow, spec.layout]);
  if (seats.length === 0) return null;
  return (
    <div className="preview" aria-label={`Preview: ${spec.rows} rows of ${spec.seatsPerRow} seats`}>
      <SeatMap seats={seats} selected={new Set()} onToggle={() => undefined} priceLabel="" label="Seat map preview" />
    </div>
  );
}

