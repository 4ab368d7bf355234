import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { QueueFigures, Sales } from '../../api/types';
import { formatDate, formatMoney, formatWait } from '../../app/format';
import { asApiError, useLoad } from '../../app/hooks';
import { Problem } from '../../app/Problem';
import { Link } from '../../app/router';
import { liveSocketServes, useLive } from '../events/live';
import { DetailsPanel } from './DetailsPanel';
import { FeesPanel } from './FeesPanel';
import { DoorPanel } from './DoorPanel';
import { CancelEvent, CapacityForm, EventDetailsForm, QueueControls } from './SaleControls';
import { CodesPanel } from './CodesPanel';
import { TicketTypesPanel } from './TicketTypesPanel';
import { OrdersPanel } from './OrdersPanel';
import { SalesChart } from './SalesChart';
import { WaitlistFigures } from './WaitlistFigures';

/** The line's figures change with every join and tick, not only with the stock: refreshed this often. */
const queueRefreshMs = 2000;

/** Organizer's live view of one event: stock per section, the queue, the pace of sales. */
export function DashboardPage({ id }: { id: string }) {
  const event = useLoad((signal) => api.events.get(id, signal), [id]);
  const stats = useLoad((signal) => api.events.stats(id, signal), [id]);
  const sales = useLoad((signal) => api.events.sales(id, signal), [id]);
  const waitlist = useLoad((signal) => api.events.waitlistSummary(id, signal), [id]);
  const [problem, setProblem] = useState<string>();
  const refresh = () => {
    void stats.reload();
    void sales.reload();
    void waitlist.reload();
  };
  /** After an organizer's change: the event's settings, and the figures they move. */
  const reloadAll = () => Promise.all([event.reload(), stats.reload(), sales.reload(), waitlist.reload()]);
  const mode = useLive(event.data ? id : undefined, undefined, (message) => message.type === 'availability' && refresh(), refresh, { socket: liveSocketServes(event.data) });
  const queueOn = event.data?.onsale?.queue?.enabled === true;
  useEffect(() => {
    if (!queueOn) return;
    const timer = setInterval(() => void stats.reload(), queueRefreshMs);
    return () => clearInterval(timer);
  }, [queueOn, stats.reload]);

  if (event.error && !event.data) return <Problem error={event.error} />;
  if (!event.data || !stats.data) return <p className="loading" aria-busy="true">Loading the dashboard…</p>;
  const e = event.data;
  // Every unit is in exactly one of these (sold + held + offered + reserved + available = capacity).
  const totals = stats.data.sections.reduce(
    (t, s) => ({ capacity: t.capacity + s.capacity, sold: t.sold + s.sold, held: t.held + s.held, offered: t.offered + s.offered, reserved: t.reserved + s.reserved, available: t.available + s.available }),
    { capacity: 0, sold: 0, held: 0, offered: 0, reserved: 0, available: 0 },
  );
  const sellOut = sellOutEstimate(sales.data, totals.available);
  const queue = stats.data.queue;
  const queueSettings = e.onsale?.queue;

  const setStatus = async (status: 'published' | 'cancelled') => {
    setProblem(undefined);
    try {
      await api.events.update(id, { status });
      await event.reload();
    } catch (error) {
      setProblem(asApiError(error).message);
    }
  };

  return (
    <div className="dashboard">
      <header className="dashboard-head">
        <div>
          <p className="eyebrow">Dashboard</p>
          <h1>{e.title}</h1>
          <p className="muted">{formatDate(e.startsAt)} · {e.venue.name}, {e.venue.city}</p>
        </div>
        <div className="row">
          <span className={`badge ${e.status === 'published' ? 'badge-on_sale' : e.status === 'draft' ? 'badge-few_left' : 'badge-sold_out'}`} data-testid="event-status">{e.status}</span>
          {e.status === 'draft' && <button type="button" className="button primary" onClick={() => void setStatus('published')}>Publish</button>}
          <Link className="button" to={`/events/${id}`}>View page</Link>
          <Link className="button" to={`/organizer/events/${id}/orders`}>Orders</Link>
        </div>
      </header>
      {problem && <p role="alert" className="notice error">{problem}</p>}

      <section className="kpis" aria-label="Totals">
        <Kpi label="Sold" value={totals.sold} of={totals.capacity} />
        <Kpi label="Held" value={totals.held} of={totals.capacity} />
        <Kpi label="Offered" value={totals.offered + totals.reserved} of={totals.capacity} note="to the waitlist" />
        <Kpi label="Available" value={totals.available} of={totals.capacity} />
        <Kpi label="Sells out in" text={sellOut.text} note={sellOut.basis} />
      </section>

      {sales.data && (
        <section className="kpis" aria-label="Revenue">
          <Kpi label="Gross" text={formatMoney(sales.data.totals.gross, e.currency)} note={`${sales.data.totals.confirmedOrders + sales.data.totals.cancelledOrders} orders`} />
          <Kpi label="Refunded" text={formatMoney(sales.data.totals.refunded, e.currency)} note={`${sales.data.totals.cancelledOrders} cancelled`} />
          <Kpi label="Net" text={formatMoney(sales.data.totals.net, e.currency)} note={`${sales.data.totals.confirmedOrders} orders standing`} />
        </section>
      )}

      <DoorPanel eventId={id} checkedIn={stats.data.checkedIn} sold={totals.sold} />

      <section className="panel" aria-labelledby="sections-title">
        <div className="panel-head">
          <h2 id="sections-title">Sections</h2>
          <span className="live-indicator"><span className={`dot ${mode}`} aria-hidden="true" />{mode === 'live' ? 'Live' : 'Auto-refresh'}</span>
        </div>
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Sections figures">
          <table className="stats-table">
            <thead><tr><th scope="col">Section</th><th scope="col">Sold</th><th scope="col">Held</th><th scope="col">Offered</th><th scope="col">Kept for waitlist</th><th scope="col">Available</th><th scope="col">Capacity</th><th scope="col" className="bar-col"><span className="visually-hidden">Breakdown</span></th></tr></thead>
            <tbody>
              {stats.data.sections.map((s) => (
                <tr key={s.sectionId} data-testid={`section-${s.name}`}>
                  <th scope="row">{s.name}</th>
                  <td>{s.sold}</td>
                  <td>{s.held}</td>
                  <td>{s.offered}</td>
                  <td>{s.reserved}</td>
                  <td>{s.available}</td>
                  <td>{s.capacity}</td>
                  <td className="bar-col">
                    <div className="stack" role="img" aria-label={`${s.sold} sold, ${s.held} held, ${s.offered + s.reserved} for the waitlist, ${s.available} available of ${s.capacity}`}>
                      <span className="sold" style={{ width: `${(s.sold / s.capacity) * 100}%` }} />
                      <span className="held" style={{ width: `${(s.held / s.capacity) * 100}%` }} />
                      <span className="offered" style={{ width: `${((s.offered + s.reserved) / s.capacity) * 100}%` }} />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section className="panel" aria-labelledby="queue-title">
        <div className="panel-head">
          <h2 id="queue-title">Waiting room</h2>
          {queueOn && queue && <span className={`badge ${queueBadge[queue.state]}`} data-testid="queue-state">{queueStateLabel[queue.state]}</span>}
        </div>
        {queueOn && queueSettings ? (
          <>
          <div className="kpis">
            <Kpi label="In line" text={queue ? String(queue.length) : '—'} />
            <Kpi label="Admitted / min" text={queue ? String(queue.admittedPerMinute) : '—'} note={`set to ${queueSettings.admitPerMinute}`} />
            <Kpi label="Shopping now" text={queue ? String(queue.activeShoppers) : '—'} note={queueSettings.maxActiveShoppers ? `cap ${queueSettings.maxActiveShoppers} (late arrivals may briefly exceed it)` : undefined} />
            <Kpi label="Line clears in" text={queue ? lineClearsIn(queue, queueSettings.admitPerMinute) : '—'} note={queue?.state === 'pre_queue' ? 'at the set rate' : 'at the last minute\'s pace'} />
          </div>
          {e.status !== 'cancelled' && <QueueControls key={JSON.stringify(queueSettings)} event={e} onSaved={reloadAll} />}
          </>
        ) : (
          <p className="muted">No waiting room for this event: buyers go straight to the tickets.</p>
        )}
      </section>

      <section className="panel" aria-labelledby="sales-title">
        <h2 id="sales-title">Sales over time</h2>
        {sales.data && <SalesChart sales={sales.data} />}
      </section>

      <OrdersPanel eventId={id} />
      <WaitlistFigures summary={waitlist.data} sectionName={(sectionId) => stats.data?.sections.find((s) => s.sectionId === sectionId)?.name ?? 'Section'} />
      {e.status !== 'cancelled' && <CapacityForm event={e} sections={stats.data.sections} onSaved={reloadAll} />}
      <TicketTypesPanel event={e} onSaved={async () => { await reloadAll(); }} />
      <CodesPanel eventId={id} sections={e.sections} />
      <EventDetailsForm key={e.startsAt + e.title} event={e} onSaved={reloadAll} />
      <DetailsPanel event={e} onSaved={async () => { await reloadAll(); }} />
      <FeesPanel event={e} onSaved={async () => { await reloadAll(); }} />
      <CancelEvent event={e} totals={sales.data?.totals} onCancelled={reloadAll} />
    </div>
  );
}

/** An estimate needs a sale this long under way and this many tickets in the last five minutes. */
const estimateMinutesMin = 5;
const estimateTicketsMin = 10;

/**
 * When the tickets left would run out at the last five minutes' pace, with that basis; only once the
 * sale has run `estimateMinutesMin` minutes and sold `estimateTicketsMin` tickets in them, since a
 * pace read from a first minute or a handful of orders says little.
 */
export function sellOutEstimate(sales: Sales | undefined, available: number, now = Date.now()): { text: string; basis?: string } {
  if (available === 0) return { text: 'Sold out' };
  const recent = sales?.ticketsLastFiveMinutes ?? 0;
  const firstSale = sales?.buckets[0] ? Date.parse(sales.buckets[0].minute) : undefined;
  const enough = firstSale !== undefined && now - firstSale >= estimateMinutesMin * 60_000 && recent >= estimateTicketsMin;
  if (!enough) return { text: 'Not enough sales yet', basis: `an estimate needs ${estimateMinutesMin} minutes of sales and ${estimateTicketsMin} tickets in the last 5` };
  const perMinute = recent / 5;
  return { text: formatWait((available / perMinute) * 60), basis: `at the last 5 minutes' pace, ${Math.round(perMinute * 10) / 10} tickets a minute` };
}

const queueStateLabel: Record<QueueFigures['state'], string> = { pre_queue: 'Pre-queue', on_sale: 'Admitting', paused: 'Paused', sold_out: 'Sold out' };
const queueBadge: Record<QueueFigures['state'], string> = { pre_queue: 'badge-few_left', on_sale: 'badge-on_sale', paused: 'badge-few_left', sold_out: 'badge-sold_out' };

/**
 * How long until everyone now in line is let in, at the rate measured over the last minute (before
 * the start, at the set rate). Only an estimate: stock and shopper limits can slow the line down.
 */
function lineClearsIn(queue: QueueFigures, setPerMinute: number): string {
  if (queue.state === 'sold_out') return 'Sold out';
  if (queue.length === 0) return 'Nobody waiting';
  if (queue.state === 'paused') return 'Paused';
  const perMinute = queue.state === 'pre_queue' ? setPerMinute : queue.admittedPerMinute;
  return perMinute > 0 ? formatWait((queue.length / perMinute) * 60) : 'Not moving';
}

function Kpi({ label, value, of, text, note }: { label: string; value?: number; of?: number; text?: string; note?: string }) {
  return (
    <div className="kpi">
      <span className="kpi-label">{label}</span>
      <strong className="kpi-value" data-testid={`kpi-${label.toLowerCase().replace(/\W+/g, '-')}`}>{text ?? value}</strong>
      {of !== undefined && value !== undefined && <span className="kpi-of">of {of}</span>}
      {note && <span className="kpi-of">{note}</span>}
    </div>
  );
}
