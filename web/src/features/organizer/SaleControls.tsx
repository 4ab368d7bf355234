import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client';
import type { EventChanges, EventDetail, EventStats, Onsale, OnsaleSettings, Sales } from '../../api/types';
import { formatMoney } from '../../app/format';
import { asApiError } from '../../app/hooks';
import { isoToZonedInput, zonedInputToIso, zoneLabel } from '../../app/zones';

type QueueInput = NonNullable<OnsaleSettings['queue']>;

/** The event's current on-sale settings as the API takes them back, with `changes` applied to the queue. */
export function onsaleWith(onsale: NonNullable<Onsale>, changes: Partial<QueueInput>): OnsaleSettings {
  const q = onsale.queue!;
  return {
    startsAt: onsale.startsAt,
    queue: {
      enabled: q.enabled,
      ...(q.preQueueOpensAt !== null && { preQueueOpensAt: q.preQueueOpensAt }),
      admitPerMinute: q.admitPerMinute,
      ...(q.maxActiveShoppers !== null && { maxActiveShoppers: q.maxActiveShoppers }),
      stockAware: q.stockAware,
      stockBasis: q.stockBasis === 'average' ? 'average' : 'max',
      stockHeadroomPercent: q.stockHeadroomPercent,
      stockTailShoppers: q.stockTailShoppers,
      shoppingWindowSeconds: q.shoppingWindowSeconds,
      arrivalGraceSeconds: q.arrivalGraceSeconds,
      paused: q.paused,
      ...changes,
    },
  };
}

/** Runs one organizer action: clears the last problem, shows the new one in people's words. */
function useAction(onDone: () => Promise<unknown> | void) {
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<unknown>) => {
    setProblem(undefined);
    setBusy(true);
    try {
      await action();
      await onDone();
      return true;
    } catch (error) {
      setProblem(asApiError(error).message);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const alert: ReactNode = problem ? <p role="alert" className="notice error">{problem}</p> : null;
  return { run, busy, alert };
}

/** Title, description, category and times, edited in the venue's zone. */
export function EventDetailsForm({ event, onSaved }: { event: EventDetail; onSaved: () => Promise<unknown> }) {
  const zone = event.venue.timeZone;
  const initial = () => ({
    title: event.title,
    description: event.description ?? '',
    category: event.category ?? '',
    startsAt: isoToZonedInput(Date.parse(event.startsAt), zone),
  });
  const [form, setForm] = useState(initial);
  const [saved, setSaved] = useState(false);
  const { run, busy, alert } = useAction(onSaved);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    // An emptied description or category is cleared: the API stores no blank text, null is "none".
    const changes: EventChanges = {
      title: form.title,
      description: form.description.trim() || null,
      category: form.category.trim() || null,
      startsAt: zonedInputToIso(form.startsAt, zone),
    };
    setSaved(await run(() => api.events.update(event.id, changes)));
  };
  return (
    <form className="panel" aria-labelledby="details-title" onSubmit={submit}>
      <h2 id="details-title">Event details</h2>
      <label className="field"><span>Title</span><input required maxLength={200} value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} /></label>
      <label className="field"><span>Description</span><textarea rows={3} value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} /></label>
      <div className="grid-2">
        <label className="field"><span>Category</span><input maxLength={50} value={form.category} onChange={(e) => setForm({ ...form, category: e.target.value })} /></label>
        <label className="field"><span>Starts ({zoneLabel(zone)} time)</span><input type="datetime-local" required value={form.startsAt} onChange={(e) => setForm({ ...form, startsAt: e.target.value })} /></label>
      </div>
      {alert}
      {saved && <p role="status" className="notice success">Saved.</p>}
      <button type="submit" className="button primary" disabled={busy}>Save details</button>
    </form>
  );
}

/**
 * Cancelling refunds every order and cannot be undone: the organizer sees how many orders and how
 * much, then confirms twice.
 */
export function CancelEvent({ event, totals, onCancelled }: { event: EventDetail; totals: Sales['totals'] | undefined; onCancelled: () => Promise<unknown> }) {
  const [step, setStep] = useState<'idle' | 'first' | 'second'>('idle');
  const { run, busy, alert } = useAction(onCancelled);
  if (event.status === 'cancelled') return null;
  const orders = totals?.confirmedOrders ?? 0;
  const refund = totals ? formatMoney(totals.net, event.currency) : '';
  const refunds = orders === 1 ? '1 order' : `${orders} orders`;
  return (
    <section className="panel" aria-labelledby="cancel-title">
      <h2 id="cancel-title">Cancel the event</h2>
      {step === 'idle' && (
        <button type="button" className="button" onClick={() => setStep('first')}>Cancel event…</button>
      )}
      {step !== 'idle' && (
        <div className="confirm" data-testid="cancel-confirm">
          <p>
            Cancelling <strong>{event.title}</strong> stops the sale and refunds <strong data-testid="refund-orders">{refunds}</strong>
            {orders > 0 && <> ({refund})</>} in full. Buyers are told by email. This cannot be undone.
          </p>
          {step === 'first' ? (
            <div className="row">
              <button type="button" className="button danger" onClick={() => setStep('second')}>Cancel and refund {refunds}</button>
              <button type="button" className="text-button" onClick={() => setStep('idle')}>Keep the event</button>
            </div>
          ) : (
            <div className="row">
              <button type="button" className="button danger" disabled={busy} onClick={() => void run(() => api.events.update(event.id, { status: 'cancelled' }))}>
                Yes, cancel {event.title} now
              </button>
              <button type="button" className="text-button" onClick={() => setStep('idle')}>Keep the event</button>
            </div>
          )}
        </div>
      )}
      {alert}
    </section>
  );
}

/** Pause and resume admission; the rate and the shopper cap, changed while the line runs. */
export function QueueControls({ event, onSaved }: { event: EventDetail; onSaved: () => Promise<unknown> }) {
  const onsale = event.onsale!;
  const queue = onsale.queue!;
  const [rate, setRate] = useState(String(queue.admitPerMinute));
  const [cap, setCap] = useState(queue.maxActiveShoppers === null ? '' : String(queue.maxActiveShoppers));
  const { run, busy, alert } = useAction(onSaved);
  const save = (changes: Partial<QueueInput>) => run(() => api.events.update(event.id, { onsale: onsaleWith(onsale, changes) }));
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const settings = onsaleWith(onsale, { admitPerMinute: Number(rate) });
    const { maxActiveShoppers: _, ...withoutCap } = settings.queue!;
    const queueSettings: QueueInput = cap === '' ? withoutCap : { ...withoutCap, maxActiveShoppers: Number(cap) };
    void run(() => api.events.update(event.id, { onsale: { ...settings, queue: queueSettings } }));
  };
  return (
    <div className="queue-controls">
      <div className="row">
        {queue.paused ? (
          <button type="button" className="button primary" disabled={busy} onClick={() => void save({ paused: false })}>Resume admission</button>
        ) : (
          <button type="button" className="button" disabled={busy} onClick={() => void save({ paused: true })}>Pause admission</button>
        )}
        <span className="hint">{queue.paused ? 'Nobody is let in; everyone keeps their place and sees the line is paused.' : 'Pausing lets nobody in; places are kept.'}</span>
      </div>
      <form className="grid-2 queue-settings" onSubmit={apply}>
        <label className="field"><span>Admit per minute</span><input type="number" min={1} required value={rate} onChange={(e) => setRate(e.target.value)} /></label>
        <label className="field"><span>Max shoppers at once</span><input type="number" min={1} placeholder="No cap" value={cap} onChange={(e) => setCap(e.target.value)} /></label>
        <button type="submit" className="button" disabled={busy}>Apply rate and cap</button>
      </form>
      {alert}
    </div>
  );
}

/** A general-admission section's capacity: raised at once (the waitlist first), lowered only by unsold tickets. */
export function CapacityForm({ event, sections, onSaved }: { event: EventDetail; sections: EventStats['sections']; onSaved: () => Promise<unknown> }) {
  const ga = sections.filter((s) => event.sections.find((x) => x.id === s.sectionId)?.kind === 'ga');
  const [sectionId, setSectionId] = useState(ga[0]?.sectionId ?? '');
  const current = ga.find((s) => s.sectionId === sectionId);
  const [capacity, setCapacity] = useState('');
  const { run, busy, alert } = useAction(onSaved);
  if (ga.length === 0) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api.events.changeCapacity(event.id, sectionId, Number(capacity));
      setCapacity('');
    });
  };
  return (
    <form className="panel" aria-labelledby="capacity-title" onSubmit={submit}>
      <h2 id="capacity-title">Capacity</h2>
      <div className="grid-2">
        <label className="field">
          <span>Section</span>
          <select value={sectionId} onChange={(e) => setSectionId(e.target.value)}>
            {ga.map((s) => <option key={s.sectionId} value={s.sectionId}>{s.name}</option>)}
          </select>
        </label>
        <label className="field">
          <span>New capacity</span>
          <input type="number" min={1} required value={capacity} placeholder={current ? String(current.capacity) : ''} onChange={(e) => setCapacity(e.target.value)} />
        </label>
      </div>
      {current && <p className="hint">Now {current.capacity}; it cannot go below the {current.capacity - current.available} tickets sold, held or kept for the waitlist. New tickets go to the waitlist first.</p>}
      {alert}
      <button type="submit" className="button" disabled={busy}>Change capacity</button>
    </form>
  );
}
