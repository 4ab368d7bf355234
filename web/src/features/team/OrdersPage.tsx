import { useState, type FormEvent } from 'react';
import { api, type Output } from '../../api/client';
import { formatDate, formatMoney } from '../../app/format';
import { asApiError, useLoad } from '../../app/hooks';
import { Link } from '../../app/router';
import { mayUse, useOrganizations } from './organizations';

type DeskOrder = Output<'GET /events/:id/orders'>['items'][number];
type Status = DeskOrder['status'];
const statusWords: Record<Status, string> = { confirmed: 'Confirmed', partially_cancelled: 'Partly cancelled', cancelled: 'Cancelled' };

/** The order desk of one event: search, CSV export, complimentary orders, cancelling some tickets. */
export function OrdersPage({ eventId }: { eventId: string }) {
  const { current, loaded } = useOrganizations();
  const event = useLoad((signal) => api.events.get(eventId, signal), [eventId]);
  const [q, setQ] = useState('');
  const [asked, setAsked] = useState<{ q: string; status: Status | '' }>({ q: '', status: '' });
  const [status, setStatus] = useState<Status | ''>('');
  const [more, setMore] = useState<DeskOrder[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  const query = { ...(asked.q ? { q: asked.q } : {}), ...(asked.status ? { status: asked.status } : {}) };
  const orders = useLoad(async (signal) => {
    const page = await api.organizer.orders(eventId, query, signal);
    setMore([]);
    setCursor(page.nextCursor);
    return page;
  }, [eventId, asked.q, asked.status]);
  const [open, setOpen] = useState<string>();

  if (!loaded) return <p className="loading" aria-busy="true">Loading…</p>;
  const search = (e: FormEvent) => {
    e.preventDefault();
    setAsked({ q: q.trim(), status });
  };
  const loadMore = async () => {
    if (!cursor) return;
    const page = await api.organizer.orders(eventId, { ...query, cursor });
    setMore((m) => [...m, ...page.items]);
    setCursor(page.nextCursor);
  };
  const download = async () => {
    try {
      const blob = await api.organizer.ordersCsv(eventId);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `orders-${eventId}.csv`;
      link.click();
      // Revoked once the browser has surely started the download.
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    } catch (error) {
      setMessage({ text: asApiError(error).message, error: true });
    }
  };
  const done = async (text: string) => {
    setMessage({ text, error: false });
    await orders.reload();
  };
  const items = [...(orders.data?.items ?? []), ...more];
  return (
    <div>
      <div className="panel-head">
        <h1>Orders{event.data ? `: ${event.data.title}` : ''}</h1>
        <Link className="button" to={`/organizer/events/${eventId}`}>Dashboard</Link>
      </div>
      {message && <p role={message.error ? 'alert' : 'status'} className={`notice${message.error ? ' error' : ''}`}>{message.text}</p>}
      <form className="inline-form" role="search" onSubmit={search}>
        <label className="field"><span>Search orders</span><input type="search" value={q} maxLength={200} placeholder="email, name, order number or ticket code" onChange={(e) => setQ(e.target.value)} /></label>
        <label className="field">
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.target.value as Status | '')}>
            <option value="">Any</option>
            {(Object.keys(statusWords) as Status[]).map((s) => <option key={s} value={s}>{statusWords[s]}</option>)}
          </select>
        </label>
        <button type="submit" className="button primary">Search</button>
        {mayUse(current, 'export') && <button type="button" className="button" onClick={() => void download()}>Download CSV</button>}
      </form>
      {orders.error && <p role="alert" className="notice error">{orders.error.message}</p>}
      <ul className="plain-list" data-testid="desk-orders">
        {items.map((o) => (
          <li key={o.id} className="panel">
            <div className="list-row">
              <div>
                <strong>#{o.number}</strong> {o.buyer.name} <span className="muted">{o.buyer.email}</span>
                <p className="muted">{statusWords[o.status]}{o.kind === 'comp' ? ' · complimentary' : ''} · {o.validTickets} of {o.tickets} tickets · {formatMoney(o.total, o.currency)}{o.refunded ? ` · refunded ${formatMoney(o.refunded, o.currency)}` : ''} · {formatDate(o.createdAt)}</p>
              </div>
              {mayUse(current, 'cancel') && o.status !== 'cancelled' && (
                <button type="button" className="button" aria-expanded={open === o.id} onClick={() => setOpen(open === o.id ? undefined : o.id)}>Cancel tickets of #{o.number}</button>
              )}
            </div>
            {open === o.id && <CancelTickets orderId={o.id} onDone={(text) => { setOpen(undefined); void done(text); }} />}
          </li>
        ))}
      </ul>
      {orders.data && items.length === 0 && <p className="empty">No orders match.</p>}
      {cursor && <button type="button" className="button" onClick={() => void loadMore()}>More orders</button>}
      {mayUse(current, 'comp') && event.data && <CompOrder eventId={eventId} sections={event.data.sections} onDone={(text) => void done(text)} />}
    </div>
  );
}

function CancelTickets({ orderId, onDone }: { orderId: string; onDone: (text: string) => void }) {
  const order = useLoad(() => api.orders.get(orderId), [orderId]);
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const valid = order.data?.tickets.filter((t) => t.status === 'valid') ?? [];
  const cancel = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const after = await api.orders.cancel(orderId, picked);
      onDone(`${picked.length} ticket(s) cancelled; refund ${formatMoney(after.refund?.amount ?? 0, after.currency)} in all.`);
    } catch (failure) {
      setError(asApiError(failure).message);
    }
  };
  return (
    <form onSubmit={(e) => void cancel(e)}>
      {error && <p role="alert" className="notice error">{error}</p>}
      <fieldset>
        <legend>Tickets to cancel</legend>
        {valid.map((t) => (
          <label key={t.id} className="check">
            <input type="checkbox" checked={picked.includes(t.id)} onChange={(e) => setPicked(e.target.checked ? [...picked, t.id] : picked.filter((id) => id !== t.id))} />
            {t.sectionName}{t.seatLabel ? ` ${t.seatLabel}` : ''} · {t.code}
          </label>
        ))}
      </fieldset>
      <button type="submit" className="button primary" disabled={picked.length === 0}>Cancel selected tickets</button>
    </form>
  );
}

function CompOrder({ eventId, sections, onDone }: { eventId: string; sections: Output<'GET /events/:id'>['sections']; onDone: (text: string) => void }) {
  const ga = sections.filter((s) => s.kind === 'ga');
  const [form, setForm] = useState({ email: '', sectionId: ga[0]?.id ?? '', quantity: 1, reason: '' });
  const [error, setError] = useState<string>();
  if (ga.length === 0) return null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const order = await api.organizer.comp(eventId, form);
      setForm({ ...form, email: '', reason: '' });
      onDone(`Complimentary order sent to ${form.email} (${order.tickets.length} tickets).`);
    } catch (failure) {
      setError(asApiError(failure).message);
    }
  };
  return (
    <section className="panel" aria-labelledby="comp-title">
      <h2 id="comp-title">Complimentary order</h2>
      {error && <p role="alert" className="notice error">{error}</p>}
      <form className="inline-form" onSubmit={(e) => void submit(e)}>
        <label className="field"><span>Recipient email</span><input type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} /></label>
        <label className="field">
          <span>Section</span>
          <select value={form.sectionId} onChange={(e) => setForm({ ...form, sectionId: e.target.value })}>{ga.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}</select>
        </label>
        <label className="field"><span>Tickets</span><input type="number" min={1} max={100} required value={form.quantity} onChange={(e) => setForm({ ...form, quantity: Number(e.target.value) })} /></label>
        <label className="field"><span>Reason</span><input required maxLength={500} value={form.reason} onChange={(e) => setForm({ ...form, reason: e.target.value })} /></label>
        <button type="submit" className="button primary">Send tickets</button>
      </form>
    </section>
  );
}
